"""Reading the audit log: who has viewed a pupil's record (safeguarding team),
and the whole log with filters (admins)."""

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from .. import audit
from ..formfields import as_id
from ..htmx import render
from ..loaders import require, viewers_pupil_or_404
from . import policy as auditlog_policy
from .forms import AuditFilterForm
from .queries import Filters, Page, audit_log, record_views

bp = Blueprint("auditlog", __name__)


def _before() -> int | None:
    return as_id(request.args.get("before", ""))


def _pager_links(page: Page) -> list[tuple[str, str]]:
    """Back to the newest, and on to older events, keeping the filters."""

    def here(before):
        return url_for(request.endpoint, **request.view_args, **{**request.args.to_dict(), "before": before})

    links = [("Newest", here(None))] if _before() else []
    if page.older_than:
        links.append(("Older", here(page.older_than)))
    return links


@bp.route("/pupils/<int:pupil_id>/viewers")
@login_required
def viewers(pupil_id: int):
    pupil = viewers_pupil_or_404(pupil_id)
    page = record_views(pupil.id, audit.VIEWS_OF_A_RECORD, _before())
    audit.record(audit.VIEW_VIEWERS, pupil=pupil)
    return render("auditlog/viewers.html", block="events", pupil=pupil, page=page, pager_links=_pager_links(page))


@bp.route("/admin/audit")
@login_required
def log():
    school_ids, scope = auditlog_policy.audit_log_scope(current_user)
    require(bool(school_ids))
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = form.filters() if valid else Filters()
    page = audit_log(school_ids, scope, filters, _before())
    audit.record(audit.VIEW_AUDIT_LOG, filters={k: v for k, v in vars(filters).items() if v})
    return render(
        "auditlog/log.html",
        block="events",
        form=form,
        page=page,
        pager_links=_pager_links(page),
        status_code=200 if valid else 422,
    )
