"""Logging a concern: the form, and the pupil search it uses."""

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from .. import alerts, policy, submissions
from ..extensions import db
from ..formfields import as_id
from ..htmx import partial, render, wants_partial
from ..loaders import loggable_pupil_or_404, require
from ..models import Category, PupilRole
from . import operations
from .extras import Extras
from .forms import LogEntryForm, PupilPick, picking_pupils
from .queries import families, log_form_page, picked_pupils, search_pupils, siblings_not_chosen

bp = Blueprint("log", __name__)


@bp.route("/log", methods=["GET", "POST"])
@login_required
@submissions.once(saving=lambda: not picking_pupils(request.form))
def new():
    require(policy.can_log(current_user))
    categories = Category.ordered(active_only=True)
    form = LogEntryForm()
    form.offer(categories)
    pick = PupilPick.from_request(form, request)
    pupils = picked_pupils(policy.loggable_school_ids(current_user), pick)
    # Attachments and the body map (optional): checked with the form, saved with the entry.
    extras = Extras.from_request(current_user) if request.method == "POST" else Extras()
    logged = operations.Logged()
    if request.method == "POST" and not pick.picking:
        logged = operations.log_concern(current_user, form, pupils, categories, extras)
        if logged.entry is not None:
            return _saved(form, logged)
    if request.method == "POST":
        extras.keep_files(current_user)  # shown again: a file input cannot be refilled
    return render(
        "log/new.html",
        form=form,
        extras=extras,
        warnings=logged.warnings,
        **log_form_page(current_user, categories, pupils, pick.query),
        block="log_form",
        status_code=logged.status,
    )


def _saved(form: LogEntryForm, logged: operations.Logged):
    entry_id, readable = logged.entry.id, policy.can_view_entry(current_user, logged.entry)
    names, chosen = (_names(logged.alerted) if logged.alerted else ""), {user.id for user in logged.alerted}
    # Logging without two-factor sign-in: the entry is saved, but its page is not theirs to read.
    target = url_for("entries.show", entry_id=entry_id) if readable else url_for("main.home")
    submissions.claim(form.submission_key.data, entry_id, target)
    # Committed and sent here rather than after the response, so the message can
    # say whether the emails went (the after-request commit then has nothing to do).
    db.session.commit()
    alerts.send_after_commit()
    flash(_saved_message(entry_id, readable, names, chosen), "success")
    return _go_to(target)


@bp.route("/log/pupils")
@login_required
def pupil_search():
    require(policy.can_log(current_user))
    query = request.args.get("q", "").strip()
    if not wants_partial():
        return redirect(url_for("log.new", q=query))
    results = search_pupils(policy.loggable_school_ids(current_user), query)
    chosen = _chosen()
    return partial(
        "log/_pupil_results.html",
        results=[p for p in results if p.id not in chosen],
        query=query,
        searched=bool(query),
        matches_chosen=any(p.id in chosen for p in results),
    )


@bp.route("/log/pupils/<int:pupil_id>")
@login_required
def pupil_chip(pupil_id: int):
    require(policy.can_log(current_user))
    pupil = loggable_pupil_or_404(pupil_id)
    if not wants_partial():
        return redirect(url_for("log.new", pupil=pupil.id))
    # A pupil already on the entry (a second tap on a result still shown) adds no second chip;
    # either way the results close, so they offer nobody twice.
    chip = pupil.id not in _chosen()
    siblings = siblings_not_chosen([pupil], families(policy.loggable_school_ids(current_user), [pupil])) if chip else {}
    return partial("log/_pupil_chip.html", pupil=pupil, siblings=siblings, roles=PupilRole.LABELS, chip=chip)


def _chosen() -> set[int]:
    """The pupils already on the entry, as the typeahead sends them (the chips' checkboxes)."""
    return {i for i in map(as_id, request.args.getlist("pupil_ids")) if i is not None}


def _go_to(url: str):
    """After a save: a redirect, or for htmx (which posted the form) a full page load there."""
    if wants_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def _saved_message(entry_id: int, readable: bool, names: str, chosen: set[int]) -> str:
    """What is true once the request has tried the emails: sent, or queued for the worker."""
    parts = ["Your entry has been saved." if readable else f"Your entry has been saved (reference: entry {entry_id})."]
    rows = alerts.entry_alert_statuses(entry_id)
    if chosen:
        theirs = [status for recipient_id, _, status in rows if recipient_id in chosen]
        parts.append(f"{names} " + _alerted(theirs, "has" if len(chosen) == 1 else "have"))
    team = [status for _, reason, status in rows if reason != alerts.STAFF_CHOSEN]
    if team:
        people = "person" if len(team) == 1 else "people"
        parts.append(f"The safeguarding team ({len(team)} {people}) " + _alerted(team, "has"))
        parts.append("If a child is at immediate risk, also speak to a DSL now.")
    return " ".join(parts)


def _alerted(statuses: list[str], has: str) -> str:
    if statuses and all(status == alerts.SENT for status in statuses):
        return f"{has} been alerted by email."
    return f"will be alerted: the {'email is' if len(statuses) == 1 else 'emails are'} queued."


def _names(users) -> str:
    names = [u.name for u in users]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
