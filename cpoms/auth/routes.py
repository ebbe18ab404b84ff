from functools import cache

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, policy
from ..common import safe_next
from ..extensions import db, limiter
from ..htmx import render
from ..models import UNUSABLE_PASSWORD, User
from ..sso import oidc as sso_oidc
from ..sso import policy as sso_policy
from ..sso import providers as sso_providers
from . import gate, lockout, reset, sessions, two_factor
from .forms import CodeForm, ForgotForm, LoginForm, NewPasswordForm

bp = Blueprint("auth", __name__)
bp.before_app_request(gate.step_first)

# One message for an unknown address, a wrong password and a locked account.
FAILED = (
    "That email address and password do not match an active account, or there have been "
    "too many attempts: wait a few minutes and try again."
)
CODE_FAILED = "That code did not work. Enter the current code from your app, or a recovery code."
PASSWORD_OFF = (
    "Your trust signs in with its own staff accounts, not with a password here: use the Continue with button above."
)
RESET_SENT = (
    "If that address belongs to an account, we have emailed it a link to set a new password. "
    "The link works once, within the hour. Check your junk folder if it does not arrive."
)


def sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


throttled = limiter.limit(sign_in_limit, methods=["POST"])


def _next() -> str | None:
    return safe_next(request.args.get("next"))


@bp.route("/login", methods=["GET", "POST"])
@throttled
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        accepted = _password_accepted(user, form.password.data)
        if accepted and not sso_policy.password_allowed(user):
            # Said only to someone who knows the password: it tells a guesser nothing.
            audit.record(audit.SIGN_IN_PASSWORD_OFF, user=user)
            form.password.errors.append(PASSWORD_OFF)
        elif accepted:
            sessions.start(user)
            if not user.two_factor_enrolled:
                lockout.record_success(user)  # enrolled: only a good code clears the count
            audit.record(audit.SIGN_IN, user=user, two_factor=user.two_factor_enrolled)
            return redirect(after_first_factor(user, _next()), 303)
        else:
            audit.record(audit.SIGN_IN_FAILED, user=user, email=email)
            form.password.errors.append(FAILED)
        status = 422
    elif form.is_submitted():
        status = 422
    return render("auth/login.html", form=form, providers=sso_providers.enabled(), next_url=_next(), status_code=status)


def _password_accepted(user: User | None, password: str) -> bool:
    """Every path hashes once, so the time taken does not tell an unknown address,
    a wrong password and a locked account apart."""
    if user is None or user.password_hash == UNUSABLE_PASSWORD:
        _dummy_check(password)
        return False
    matches = user.check_password(password)
    if not user.active:
        return False
    if lockout.is_locked(user):
        audit.record(audit.SIGN_IN_LOCKED, user=user)
        return False
    if not matches:
        lockout.record_failure(user)
    return matches


def after_first_factor(user: User, next_url: str | None) -> str:
    """Where a person goes once the password (or the provider) has said who they are: the
    code step, two-factor enrolment, or on."""
    step = policy.pending_sign_in_step(user)
    if step == policy.VERIFY:
        return url_for("auth.two_factor", next=next_url)
    if step == policy.ENROL:
        flash("Your role needs two-factor sign-in. Set it up now: it takes a minute.", "info")
        return url_for("account.two_factor")
    return next_url or url_for("main.home")


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


def _dummy_check(password: str) -> None:
    check_password_hash(_dummy_hash(), password)


@bp.route("/login/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@throttled
@login_required
def code_step():
    if policy.pending_sign_in_step(current_user) != policy.VERIFY:
        return redirect(_next() or url_for("main.home"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        used = None if lockout.is_locked(user) else two_factor.verify(user, form.code.data)
        if used:
            signed_in_with = sso_providers.signed_in_with()  # the same sign-in, one step on
            sessions.start(user, two_factor=True)
            if signed_in_with:
                session[sso_providers.SIGNED_IN_WITH] = signed_in_with
            lockout.record_success(user)
            audit.record(audit.TWO_FACTOR_PASSED, user=user, method=used.method)
            if used.method == "recovery_code":
                flash(
                    "You signed in with a recovery code; it will not work again. If your phone is lost, "
                    "set up two-factor sign-in again and make new recovery codes.",
                    "info",
                )
            return redirect(_next() or url_for("main.home"), 303)
        audit.record(audit.TWO_FACTOR_FAILED, user=user)
        if not lockout.is_locked(user):
            lockout.record_failure(user)
        if lockout.is_locked(user):
            # Too many wrong codes: start again from the password, like any locked account.
            sessions.end_current(sessions.SIGNED_OUT)
            session.clear()
            flash(FAILED, "warning")
            return redirect(url_for("auth.login"), 303)
        # A code used a moment ago counts as a failure like any other (the lock is unchanged):
        # only the message differs, so the person waits for the next code instead of retyping.
        form.code.errors.append(two_factor.CODE_USED if used is not None and used.reused else CODE_FAILED)
        status = 422
    elif form.is_submitted():
        status = 422
    return render("auth/two_factor.html", form=form, status_code=status)


@bp.route("/logout", methods=["POST"])
def logout():
    # Not login_required: signing out of an expired session should just land on
    # the sign-in page, not come back to /logout after signing in.
    # CSRFProtect has already checked the token, as on every POST.
    signed_in_with = sso_providers.signed_in_with()
    if current_user.is_authenticated:
        audit.record(audit.SIGN_OUT)
        sessions.end_current(sessions.SIGNED_OUT)
        session.clear()
        provider = sso_providers.by_slug(signed_in_with) if signed_in_with else None
        provider_exit = provider and sso_oidc.end_session_url(provider, url_for("auth.login", _external=True))
        if provider_exit:
            # Our session has ended; the provider's has not. Offer to end it too (a shared
            # staffroom computer), as a link the person chooses.
            return render("auth/signed_out.html", provider=provider, provider_exit=provider_exit)
        flash("You have signed out.", "info")
    else:
        session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.route("/login/forgot", methods=["GET", "POST"])
@throttled
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        # The same work whether or not the address has an account, and the email is
        # left to the outbox worker: the answer's timing tells nothing.
        queued = reset.queue_link(user.id if user is not None else None)
        audit.record(audit.PASSWORD_RESET_REQUESTED, user=user, email=email, queued=bool(queued))
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"), 303)
    return render("auth/forgot.html", form=form, status_code=422 if form.is_submitted() else 200)


@bp.route("/login/reset/<token>", methods=["GET", "POST"], endpoint="reset")
@throttled
def reset_password(token: str):
    row = reset.usable(token)
    if row is None:
        return render("auth/reset_expired.html", status_code=404)
    form = NewPasswordForm(owner=row.user)
    if form.validate_on_submit():
        if reset.complete(row, form.password.data):
            if current_user.is_authenticated:
                sessions.end_current(sessions.PASSWORD_RESET)
            session.clear()
            audit.record(audit.PASSWORD_RESET_DONE, user=row.user)
            flash(
                "Your new password is set, and every session of your account has been signed out. "
                "Sign in with the new password.",
                "success",
            )
            return redirect(url_for("auth.login"), 303)
        return render("auth/reset_expired.html", status_code=404)
    return render("auth/reset.html", form=form, status_code=422 if form.is_submitted() else 200)
