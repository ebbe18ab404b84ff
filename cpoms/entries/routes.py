"""One entry: reading it, and everything the team appends to it."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from .. import alerts, audit, policy, submissions
from ..attachments import operations as attachment_ops
from ..attachments import uploads
from ..attachments.forms import AddAttachmentForm
from ..formfields import as_id, choices
from ..htmx import partial, render, wants_partial
from ..loaders import entry_page_or_404, require_on
from ..log.queries import shares_of
from ..models import Entry, Kind
from ..tasks import operations as task_operations
from ..tasks.forms import offer_staff
from . import amendments, categories, history, links, operations
from . import policy as entries_policy
from .forms import NOT_A_NUMBER, CloseForm, FollowUpForm, LinkForm, ReopenForm, ReviewForm

bp = Blueprint("entries", __name__)


def _follow_up_form(entry: Entry, posted: bool = False) -> FollowUpForm:
    form = FollowUpForm() if posted else FollowUpForm(formdata=None)
    form.kind.choices = choices((k, Kind.LABELS[k]) for k in policy.follow_up_kinds(current_user, entry))
    if not posted and len(form.kind.choices) == 1:
        form.kind.data = form.kind.choices[0].value
    if Kind.TASK in policy.follow_up_kinds(current_user, entry):
        offer_staff(form, entry)
    return form


def entry_page(
    entry: Entry,
    status: int = 200,
    conflict: str | None = None,
    choose_link: bool = False,
    opened: str | None = None,
    **forms,
):
    """The entry page, or its activity section when htmx posted to it. `opened` names a
    folded form to render open (the page without JavaScript, from the fold's link)."""
    context = {
        "follow_up_form": _follow_up_form(entry),
        "review_form": ReviewForm(formdata=None),
        "close_form": CloseForm(formdata=None),
        "reopen_form": ReopenForm(formdata=None),
        "attachment_form": AddAttachmentForm(formdata=None),
        **_evolving(entry, forms, "link" if choose_link else opened, choose_link),
    }
    context.update(forms)
    delivery = (
        alerts.delivery_summary([entry.id]).get(entry.id, {})
        if policy.sees_alert_delivery(current_user, entry)
        else None
    )
    failed_emails = alerts.failed_about_entry(entry.id) if policy.can_retry_alerts(current_user, entry) else 0
    return render(
        "entries/show.html",
        block="activity",
        status_code=status,
        entry=entry,
        delivery=delivery,
        failed_emails=failed_emails,
        conflict=conflict,
        shares=[] if wants_partial() else shares_of(entry),  # the header: not in the activity block
        **context,
    )


def _evolving(entry: Entry, posted: dict, opened: str | None, choose_link: bool) -> dict:
    """Later categories, amendments, links and status history (see their modules). Their
    forms are folds that the page shows closed and empty: a form is built only when it was
    posted (with its errors) or asked for, and htmx fetches one as its fold opens."""
    entry_links = links.links_of(entry)
    return {
        "entry_links": entry_links,
        "status_history": history.status_history(entry),
        "alerts_team": entry.state.alerts_team,
        "folds": {
            "link": entries_policy.can_link_entries(current_user, entry),
            "category": entries_policy.can_add_category(current_user, entry),
            "correction": bool(amendments.targets(entry)),
        },
        "later_category_form": categories.form_for(entry) if opened == "category" else None,
        "amendment_form": amendments.form_for(entry) if opened == "correction" else None,
        "link_form": links.form_for(entry, entry_links, choosing=choose_link) if opened == "link" else None,
        # An htmx answer also refreshes the parts of the page above the activity section.
        "out_of_band": wants_partial(),
    }


def _saved(entry: Entry, form=None, record_id: int | None = None):
    """After an addition to the entry: its page again. With the form that made it, the
    form's key is claimed for it first (a repeat of the submission is answered so)."""
    target = url_for("entries.show", entry_id=entry.id, _anchor="activity")
    if form is not None:
        submissions.claim(form.submission_key.data, record_id, target)
    if wants_partial():
        return entry_page(entry)
    return redirect(target, 303)


def saved_once():
    """@submissions.once for a form of the entry page: htmx gets the page's activity again."""
    return submissions.once(lambda target, entry_id: _saved(entry_page_or_404(entry_id)))


@bp.route("/entries/<int:entry_id>")
@login_required
def show(entry_id: int):
    entry = entry_page_or_404(entry_id)
    audit.record(audit.VIEW_ENTRY, entry=entry)
    # ?link=choose: the page with the pupils' recent entries listed in the link form;
    # ?form=correction (a fold's link without JavaScript): that folded form open.
    opened = request.args.get("form")
    return entry_page(
        entry, choose_link=request.args.get("link") == "choose", opened=opened if opened in FOLDS else None
    )


# The folded forms: (what a refusal records, the form's name in the templates, its builder,
# the fold's id on the page).
FOLDS = {
    "link": ("link_entries", "link_form", lambda entry: links.form_for(entry, []), "link-entry"),
    "category": ("add_category", "later_category_form", categories.form_for, "add-category"),
    "correction": ("amend", "amendment_form", amendments.form_for, "correct-record"),
}


def _fold(entry_id: int, name: str):
    """A folded form of the entry page, as htmx asks for it when the fold opens; a browser
    without htmx gets the entry page with the fold open."""
    entry = entry_page_or_404(entry_id)
    what, form_name, build, anchor = FOLDS[name]
    form = build(entry)
    require_on(entry, form is not None, what)
    if not wants_partial():
        return redirect(url_for("entries.show", entry_id=entry.id, form=name, _anchor=anchor))
    return partial(f"entries/_{name}_form.html", entry=entry, **{form_name: form})


@bp.route("/entries/<int:entry_id>/links/new")
@login_required
def fold_link(entry_id: int):
    return _fold(entry_id, "link")


@bp.route("/entries/<int:entry_id>/categories/new")
@login_required
def fold_category(entry_id: int):
    return _fold(entry_id, "category")


@bp.route("/entries/<int:entry_id>/amendments/new")
@login_required
def fold_correction(entry_id: int):
    return _fold(entry_id, "correction")


@bp.route("/entries/<int:entry_id>/follow-ups", methods=["POST"])
@login_required
@saved_once()
def add_follow_up(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, bool(policy.follow_up_kinds(current_user, entry)), "follow_up")
    form = _follow_up_form(entry, posted=True)
    files = uploads.from_request()
    if form.validate_on_submit() & files.valid:
        follow_up = operations.add_follow_up(
            current_user,
            entry,
            form.kind.data,
            form.text.data,
            **form.sharing_values(),
            occurred_at=form.occurred_at.utc,
            risk_level=form.risk_level.data if form.kind.data == Kind.RISK else None,
            reason=form.reason.data if form.kind.data == Kind.DECISION else None,
            agency_name=form.agency_name.data if form.kind.data == Kind.AGENCY else None,
            agency_reference=form.agency_reference.data if form.kind.data == Kind.AGENCY else None,
        )
        if form.kind.data == Kind.TASK:
            task_operations.give_task(current_user, follow_up, int(form.assignee.data), form.due_on.data)
        attachment_ops.attach(current_user, entry, files.uploads, follow_up=follow_up)
        return _saved(entry, form, follow_up.id)
    if files.uploads and files.valid:
        files.errors.append("Please choose the files again: they are kept only when the follow-up is saved.")
    return entry_page(entry, status=422, follow_up_form=form, follow_up_file_errors=files.errors)


@bp.route("/entries/<int:entry_id>/review", methods=["POST"])
@login_required
def review(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, policy.can_review(current_user, entry), "review")
    form = ReviewForm()
    if form.validate_on_submit():
        operations.mark_reviewed(current_user, entry, form.note.data)
        return _saved(entry)
    return entry_page(entry, status=422, review_form=form)


@bp.route("/entries/<int:entry_id>/close", methods=["POST"])
@login_required
def close(entry_id: int):
    return _change_state(
        entry_id,
        CloseForm,
        "close_form",
        lambda user, entry, form: operations.close(user, entry, form.outcome.data, form.rationale.data),
    )


@bp.route("/entries/<int:entry_id>/reopen", methods=["POST"])
@login_required
def reopen(entry_id: int):
    return _change_state(
        entry_id, ReopenForm, "reopen_form", lambda user, entry, form: operations.reopen(user, entry, form.reason.data)
    )


def _change_state(entry_id: int, form_class, form_name: str, change):
    entry = entry_page_or_404(entry_id)
    require_on(entry, policy.can_close_or_reopen(current_user, entry), "close_or_reopen")
    form = form_class()
    if not form.validate_on_submit():
        return entry_page(entry, status=422, **{form_name: form})
    try:
        change(current_user, entry, form)
    except operations.WrongState as exc:
        return entry_page(entry, status=409, conflict=str(exc))
    return _saved(entry)


@bp.route("/entries/<int:entry_id>/alerts/retry", methods=["POST"])
@login_required
def retry_alerts(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, policy.can_retry_alerts(current_user, entry), "retry_alerts")
    count = alerts.requeue_failed(entry_id=entry.id)
    audit.record(audit.RETRY_ALERTS, entry=entry, alerts=count)
    flash(alerts.requeued_message(count), "success" if count else "info")
    return redirect(url_for("entries.show", entry_id=entry.id, _anchor="activity"), 303)


# --- an entry that evolves: a later category, an amendment, a link (the operations: their modules)


@bp.route("/entries/<int:entry_id>/categories", methods=["POST"])
@login_required
@saved_once()
def add_category(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, entries_policy.can_add_category(current_user, entry), "add_category")
    form = categories.form_for(entry, posted=True)
    if not form.validate_on_submit():
        return entry_page(entry, status=422, later_category_form=form)
    # The form accepted only a category offered: one of these.
    chosen = next(c for c in categories.addable(entry) if c.id == as_id(form.category.data))
    row = categories.add_category(current_user, entry, chosen, form.reason.data)
    return _saved(entry, form, row.id)


@bp.route("/entries/<int:entry_id>/amendments", methods=["POST"])
@login_required
@saved_once()
def amend(entry_id: int):
    entry = entry_page_or_404(entry_id)
    allowed = amendments.targets(entry)
    require_on(entry, bool(allowed), "amend")
    form = amendments.form_for(entry, posted=True)
    if not form.validate_on_submit():
        return entry_page(entry, status=422, amendment_form=form)
    row = amendments.amend(current_user, entry, allowed[form.target.data], form.text.data, form.reason.data)
    return _saved(entry, form, row.id)


@bp.route("/entries/<int:entry_id>/links", methods=["POST"])
@login_required
@saved_once()
def link(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, entries_policy.can_link_entries(current_user, entry), "link_entries")
    form = links.form_for(entry, links.links_of(entry), posted=True)
    valid = form.validate_on_submit()
    other_id = _number(form) if valid else None
    if other_id is not None:
        try:
            row = links.link(current_user, entry, other_id, form.reason.data)
            return _saved(entry, form, row.id)
        except links.CannotLink as exc:
            (form.number if (form.number.data or "").strip() else form.other).errors.append(str(exc))
    return entry_page(entry, status=422, link_form=form)


def _number(form: LinkForm) -> int | None:
    """The entry asked for: the number typed, else the one chosen from the list."""
    typed = (form.number.data or "").strip().lstrip("#")
    if typed:
        entry_id = as_id(typed)
        if entry_id is None:
            form.number.errors.append(NOT_A_NUMBER)
        if form.other.data and form.other.data != typed:
            form.number.errors.append("Choose an entry from the list or type a number, not both.")
        return None if form.number.errors else entry_id
    return as_id(form.other.data)
