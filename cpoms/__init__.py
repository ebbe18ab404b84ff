"""The concern log: create_app() builds the application."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import alerts, audit, mailbox, policy, redaction, security_headers, static_files
from . import schema  # noqa: F401  every table, for the mappers, create_all and Alembic
from .admin import policy as admin_policy
from .attachments import policy as attachments_policy
from .auditlog import policy as auditlog_policy
from .chronology import policy as chronology_policy
from .entries import policy as entries_policy
from .exclusions import policy as exclusions_policy
from .guidance import policy as guidance_policy
from .hearback import policy as hearback_policy
from .mis import policy as mis_policy
from .monitoring import policy as monitoring_policy
from .sso import providers as sso_providers
from .tasks import policy as tasks_policy
from .packs import policy as packs_policy
from .transfers import policy as transfers_policy
from .drafts import FREE_TEXT_FIELDS
from .extensions import csrf, db, limiter, login_manager, mail, migrate
from .formfields import MAX_ID
from .models import Kind, Role, Source
from .timefmt import uk_date, uk_datetime, uk_time, waited

from config import INSTANCE_DIR

BASE_DIR = Path(__file__).resolve().parent.parent
# Each area's rules, for templates by the name its callers give it: {{ transfers_policy.can_send_transfer(...) }}.
AREA_POLICIES = {
    module.__name__.split(".")[1] + "_policy": module
    for module in (
        admin_policy,
        attachments_policy,
        auditlog_policy,
        chronology_policy,
        entries_policy,
        exclusions_policy,
        guidance_policy,
        hearback_policy,
        mis_policy,
        monitoring_policy,
        packs_policy,
        tasks_policy,
        transfers_policy,
    )
}


def create_app(config_object=None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    if config_object is None:
        from config import Config as config_object
    app.config.from_object(config_object)
    sso_providers.parse_environment(app.config.get("SIGN_IN_PROVIDERS") or "")  # a mistake stops start-up

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_input_guard(app)
    _register_error_pages(app)
    _register_templates(app)
    _register_emails(app)

    from .cli import register as register_cli

    register_cli(app)
    return app


class IdConverter(IntegerConverter):
    """<int:...> in URLs, bounded to what the database holds: a huge id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from .account.routes import bp as account_bp
    from .adults.routes import bp as adults_bp
    from .admin.routes import bp as admin_bp
    from .attachments.routes import bp as attachments_bp
    from .auditlog.routes import bp as auditlog_bp
    from .auth.routes import bp as auth_bp
    from .autosave.routes import bp as drafts_bp
    from .chronology.routes import bp as chronology_bp
    from .entries.routes import bp as entries_bp
    from .exclusions.routes import bp as exclusions_bp
    from .guidance.routes import bp as guidance_bp
    from .hearback.routes import bp as hearback_bp
    from .keyinfo.routes import bp as keyinfo_bp
    from .log.routes import bp as log_bp
    from .main.routes import bp as main_bp
    from .mis.deletion_routes import bp as deletion_bp
    from .mis.routes import bp as mis_bp
    from .oversight.routes import bp as oversight_bp
    from .packs.routes import bp as packs_bp
    from .reports.routes import bp as reports_bp
    from .review.routes import bp as review_bp
    from .search.routes import bp as search_bp
    from .sso.routes import bp as sso_bp
    from .tasks.routes import bp as tasks_bp
    from .monitoring.routes import bp as monitoring_bp
    from .transfers.routes import bp as transfers_bp

    for bp in (
        main_bp,
        auth_bp,
        account_bp,
        admin_bp,
        log_bp,
        entries_bp,
        review_bp,
        chronology_bp,
        auditlog_bp,
        reports_bp,
        search_bp,
        guidance_bp,
        oversight_bp,
        mis_bp,
        tasks_bp,
        monitoring_bp,
        exclusions_bp,
        transfers_bp,
        drafts_bp,
        attachments_bp,
        deletion_bp,
        hearback_bp,
        adults_bp,
        sso_bp,
        keyinfo_bp,
        packs_bp,
    ):
        app.register_blueprint(bp)
    if mailbox.enabled(app):  # the local demo mailbox: no route at all in any other set-up
        from .mailbox.routes import bp as mailbox_bp

        app.register_blueprint(mailbox_bp)


def _register_emails(app: Flask) -> None:
    """Every kind of email the outbox sends, by reason, from the area that sends it."""
    from .adults import operations as adults
    from .auth import reset
    from .hearback import operations as hearback
    from .keyinfo import operations as keyinfo
    from .packs import receiving as packs
    from .tasks import reminders
    from .transfers import emails as transfers

    alerts.register_emails(
        app,
        (
            *alerts.EMAILS,
            *adults.EMAILS,
            *reset.EMAILS,
            *reminders.EMAILS,
            *hearback.EMAILS,
            *transfers.EMAILS,
            *keyinfo.EMAILS,
            *packs.EMAILS,
        ),
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers and a writer work at once; foreign keys are off by default."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# The user loader (cpoms/auth/sessions.py) reads a server-side session by its token;
# cpoms/auth/gate.py answers requests that must sign in first.
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


def _register_request_hooks(app: Flask) -> None:
    @app.after_request
    def commit(response):
        # The one commit of a request. Audit rows of a refusal (404) are kept too;
        # a server error keeps nothing.
        if response.status_code >= 500:
            db.session.rollback()
        else:
            db.session.commit()
            alerts.send_after_commit()
        return response

    security_headers.install(app)
    static_files.install(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a reverse proxy that terminates HTTPS: believe its X-Forwarded-For
        # and -Proto (for the audit log's addresses, HSTS and secure cookies).
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _register_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_undecodable_input():
        # Our pages only ever send UTF-8. Werkzeug fails on reading a query string
        # that is not (a 500) and silently drops a form body that is not (an empty
        # form, which some actions accept): refuse both as a bad request.
        try:
            request.query_string.decode()
        except UnicodeDecodeError:
            abort(400)
        if request.mimetype == "application/x-www-form-urlencoded" and request.content_length and not request.form:
            abort(400)


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: ("The request could not be understood", "Please go back and try again."),
        403: ("You do not have access to this page", "If you think you should, ask your school's administrator."),
        404: ("Page not found", "The page or record does not exist, or you do not have access to it."),
        405: ("That action is not allowed here", "Please go back and use the buttons on the page."),
        413: ("That was too large to send", "Please shorten it and try again."),
        422: ("Some details need correcting", "Please go back and check the form."),
        429: (
            "Too many attempts",
            "There have been too many sign-in attempts from this network. Please wait a minute, then try again.",
        ),
        500: (
            "Something went wrong on our side",
            "Nothing you did caused this. Your last change was not saved; please try again.",
        ),
    }

    def page(code: int):
        title, detail = messages.get(code, messages[400])
        return render_template("errors/error.html", code=code, title=title, detail=detail), code

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return page(exc.code or 500)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        # Usually an expired session on a form left open: give back what was typed.
        typed = {key: request.form[key] for key in FREE_TEXT_FIELDS if request.form.get(key, "").strip()}
        return render_template("errors/expired.html", typed=typed), 400

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return page(500)


def _register_templates(app: Flask) -> None:
    app.jinja_env.filters.update(
        uk_date=uk_date,
        uk_datetime=uk_datetime,
        uk_time=uk_time,
        waited=waited,
        audit_detail=audit.detail_value,
        audit_label=audit.label,
        redact=redaction.redact,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def globals_for_templates():
        return {
            # How a pupil is named to this reader: on their own records, and on an entry
            # (which may have come with a transferred file).
            "pupil_name": redaction.name,
            "pupil_on_entry": redaction.name,
            "pupil_class": redaction.pupil_class,
            "policy": policy,
            **AREA_POLICIES,
            "Kind": Kind,
            "Role": Role,
            "Source": Source,
            "mail_configured": alerts.mail_configured(),
            "mailbox_mode": mailbox.enabled(),
        }
