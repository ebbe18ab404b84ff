"""Logging a concern: the form, and the pupil search it uses."""

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import alerts, policy, submissions
from ..extensions import db
from ..formfields import as_id, choices
from ..htmx import partial, render, wants_partial
from ..loaders import loggable_pupil_or_404, require
from ..models import Category, PupilRole
from ..timefmt import now_utc, to_uk
from . import operations
from .checks import record_warnings
from .extras import Extras
from .forms import MAX_PUPILS, LogEntryForm
from .queries import alertable_staff, families, pupils_by_id, safeguarding_contacts, search_pupils, siblings_not_chosen

bp = Blueprint("log", __name__)


def _categories() -> list[Category]:
    return list(
        db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.order, Category.name))
    )


def _picking() -> bool:
    """A post of the form that picks pupils (the no-JavaScript picker, and siblings): not a save."""
    return any(name in request.form for name in ("find", "add_pupil", "add_siblings"))


@bp.route("/log", methods=["GET", "POST"])
@login_required
@submissions.once(saving=lambda: not _picking())
def new():
    require(policy.can_log(current_user))
    schools = policy.loggable_school_ids(current_user)
    categories = _categories()
    form = LogEntryForm()
    form.category.choices = choices((c.id, c.name) for c in categories)
    if request.method == "GET" and form.occurred_at.data is None:  # unless a kept draft filled it
        form.occurred_at.data = to_uk(now_utc()).replace(tzinfo=None, second=0, microsecond=0)

    # "Find", "Add" and "Add siblings" are the no-JavaScript pupil picker: they re-show
    # the form (with htmx too, for siblings: the form posts itself and comes back).
    query = request.values.get("q", "").strip()
    adding = as_id(request.form.get("add_pupil", ""))
    adding_siblings = as_id(request.form.get("add_siblings", ""))
    picking = request.method == "POST" and _picking()
    if request.method == "POST" or form.pupil_ids.data:  # posted, or a kept draft
        ids = list(form.pupil_ids.data or [])
    else:  # /log?pupil=ID starts an entry about that pupil
        ids = [i for i in map(as_id, request.args.getlist("pupil")) if i is not None]
    if adding is not None and adding not in ids:
        ids.append(adding)
    pupils = pupils_by_id(schools, ids[:MAX_PUPILS])
    if adding_siblings is not None:  # only a pupil on the form: never another school's family
        found = siblings_not_chosen(pupils, families(schools, pupils)).get(adding_siblings, [])
        pupils = (pupils + found)[:MAX_PUPILS]
    alertable = policy.alertable_school_ids(current_user)

    status, warnings = 200, []
    # Attachments and the body map (optional): checked with the form, saved with the entry.
    extras = Extras.from_request(current_user) if request.method == "POST" else Extras()
    if request.method == "POST" and not picking:
        valid = form.validate_with(pupils) & extras.valid  # both, for every message at once
        alerted = []
        if pupils and (form.alert_staff.data or form.alert_staff.unreadable):
            school = pupils[0].school
            allowed = {user.id: user for user, _, _ in alertable_staff(alertable & {school.id}, current_user.id)}
            alerted = form.validate_alerted(allowed, school.name)
        if not valid or form.alert_staff.errors:
            status = 422
        elif form.checked.data != "1" and (
            warnings := record_warnings(form.narrative.data, form.child_words.data, form.source.data)
        ):
            # Valid, but worth a second look: shown once, then a save stands as it is.
            form.checked.data = "1"
        else:
            entry = operations.create_entry(
                recorded_by=current_user,
                pupils=pupils,
                category=next(c for c in categories if c.id == form.category.data),
                source=form.source.data,
                occurred_at=form.occurred_at.utc,
                narrative=form.narrative.data.strip(),
                child_words=(form.child_words.data or "").strip(),
                told_dsl_in_person=form.told_dsl_in_person.data,
                roles={p.id: form.pupil_roles.role(p.id) for p in pupils},
                alerted=alerted,
            )
            extras.save(current_user, entry)
            entry_id, readable = entry.id, policy.can_view_entry(current_user, entry)
            names, chosen = (_names(alerted) if alerted else ""), {user.id for user in alerted}
            # Logging without two-factor sign-in: the entry is saved, but its page is not theirs to read.
            target = url_for("entries.show", entry_id=entry_id) if readable else url_for("main.home")
            submissions.claim(form.submission_key.data, entry_id, target)
            # Committed and sent here rather than after the response, so the message can
            # say whether the emails went (the after-request commit then has nothing to do).
            db.session.commit()
            alerts.send_after_commit()
            flash(_saved_message(entry_id, readable, names, chosen), "success")
            return _go_to(target)

    if request.method == "POST":
        extras.keep_files(current_user)  # shown again: a file input cannot be refilled
    searched = bool(query)
    results = search_pupils(schools, query) if searched else []
    staff = alertable_staff(alertable & ({p.school_id for p in pupils} or schools), current_user.id)
    return render(
        "log/new.html",
        form=form,
        categories=categories,
        category_help={c.id: c.description for c in categories},
        pupils=pupils,
        siblings=siblings_not_chosen(pupils, families(schools, pupils)),
        roles=PupilRole.LABELS,
        staff=staff,
        staff_schools=len({school.id for _, school, _ in staff}) > 1,
        query=query,
        results=[p for p in results if p not in pupils],
        matches_chosen=any(p in pupils for p in results),
        searched=searched,
        warnings=warnings,
        alerting={c.id for c in categories if c.alerts_safeguarding_team},
        alerting_names=[c.name for c in categories if c.alerts_safeguarding_team],
        # The DSLs to find in person: at the chosen pupils' school, else the recorder's.
        contacts=safeguarding_contacts({p.school_id for p in pupils} or schools),
        extras=extras,
        block="log_form",
        status_code=status,
    )


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
