"""Concerns about adults: raising one (anyone who logs), and the case manager's pages."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, submissions
from ..extensions import db
from ..formfields import as_id, choices
from ..htmx import partial, render, wants_partial
from ..loaders import found_or_404, load, require
from ..models import School
from ..formfields import BaseForm
from ..log.forms import picking_pupils
from ..log.queries import pupils_by_id, search_pupils
from . import deletion, operations, policy, queries
from .forms import FORMS, DslAllowedForm, ProposeDeletionForm, RaiseForm
from .models import AdultConcern, AdultConcernDeletion, AdultKind, FollowUpKind, Level, Outcome

bp = Blueprint("adults", __name__)


@bp.app_context_processor
def adult_pieces():
    """For the partials this area adds to the home page, the menu and a pupil's
    chronology, whose own views do not know about it: built only when shown."""
    return {
        "adults_policy": policy,
        "adult_concern_home": lambda: _home(current_user),
        "adult_case_manager_gaps": lambda: queries.without_case_managers(current_user),
        "adult_concerns_involving": lambda pupil: queries.concerns_involving(current_user, pupil.id),
    }


def _home(user):
    if not policy.is_case_manager(user):
        return None
    rows = queries.managed(user)
    by_id = {row.concern.id: row.concern for row in rows}
    waiting = queries.pending_deletions(list(by_id))
    return {
        "open": sum(1 for row in rows if row.outcome is None),
        # Deletions another case manager proposed, which this one may confirm.
        "to_confirm": sum(
            1 for p in waiting.values() if policy.deletion_confirm_refusal(user, p, by_id[p.concern_id]) is None
        ),
        "overdue": [row for row in rows if row.lado_overdue],
        "patterns": queries.patterns(rows),
    }


def _schools(school_ids) -> list[School]:
    return list(db.session.scalars(select(School).where(School.id.in_(school_ids)).order_by(School.name)))


def _chosen_school(schools: list[School]) -> School:
    """The school asked for (?school= or the form's), else the first: only ever one of these."""
    asked = as_id(request.form.get("school_id") or request.args.get("school") or "")
    return next((s for s in schools if s.id == asked), schools[0])


@bp.route("/adult-concerns/new", methods=["GET", "POST"])
@login_required
@submissions.once(saving=lambda: not picking_pupils(request.form))
def new():
    require(policy.can_raise(current_user))
    schools = _schools(policy.raise_school_ids(current_user))
    school = _chosen_school(schools)
    staff = queries.staff_of(school.id)
    form = RaiseForm()
    form.staff_member.choices = choices(
        [("", "Not in the list (type their name below)"), *((str(i), u.name) for i, u in staff.items())]
    )
    # The children: the log form's picker (a search, and chips to untick), at this school only.
    asked = [i for i in map(as_id, form.pupil_ids.data or []) if i is not None]
    adding = as_id(request.form.get("add_pupil", ""))
    if adding is not None and adding not in asked:
        asked.append(adding)
    pupils = {p.id: p for p in pupils_by_id([school.id], asked)}
    query = request.values.get("q", "").strip()
    picking = request.method == "POST" and picking_pupils(request.form)
    if picking:
        form.pupil_ids.data = [str(i) for i in asked]
    elif form.validate_on_submit():
        person, chosen = form.chosen(staff, pupils)
        if not (form.staff_member.errors or form.pupil_ids.errors):
            concern, alerted = operations.raise_concern(
                current_user,
                school,
                subject_kind=form.subject_kind.data,
                person=person,
                typed_name=form.subject_name.data or "",
                subject_role=form.subject_role.data or "",
                happened_at=form.happened_at.utc,
                location=form.location.data,
                what_happened=form.what_happened.data,
                what_was_said=form.what_was_said.data or "",
                pupils=chosen,
            )
            # Nobody to alert: the raiser is told to speak to someone today, not left
            # believing a case manager has read it.
            target = url_for("adults.received", nobody=None if alerted else 1)
            submissions.claim(form.submission_key.data, concern.id, target)
            return redirect(target, 303)
    status = 422 if form.is_submitted() and not picking else 200
    chosen_pupils = [pupils[i] for i in asked if i in pupils]
    results = search_pupils([school.id], query) if query else []
    return render(
        "adults/new.html",
        status_code=status,
        form=form,
        schools=schools,
        school=school,
        pupils=chosen_pupils,
        query=query,
        searched=bool(query),
        results=[p for p in results if p.id not in pupils],
        matches_chosen=any(p.id in pupils for p in results),
    )


def _picker_school() -> School:
    """The school the raise form stands at (?school=): one of the raiser's."""
    require(policy.can_raise(current_user))
    return _chosen_school(_schools(policy.raise_school_ids(current_user)))


@bp.route("/adult-concerns/pupils")
@login_required
def pupil_search():
    """The typeahead's results (htmx): pupils of the form's school, less those already chosen."""
    school = _picker_school()
    query = request.args.get("q", "").strip()
    if not wants_partial():
        return redirect(url_for("adults.new", school=school.id, q=query))
    chosen = {i for i in map(as_id, request.args.getlist("pupil_ids")) if i is not None}
    results = search_pupils([school.id], query)
    return partial(
        "log/_pupil_results.html",
        results=[p for p in results if p.id not in chosen],
        query=query,
        searched=bool(query),
        matches_chosen=any(p.id in chosen for p in results),
        chip_endpoint="adults.pupil_chip",
        chip_args={"school": school.id},
    )


@bp.route("/adult-concerns/pupils/<int:pupil_id>")
@login_required
def pupil_chip(pupil_id: int):
    """A chosen pupil's chip (htmx), at the form's school."""
    school = _picker_school()
    found = pupils_by_id([school.id], [pupil_id])
    found_or_404(bool(found))
    pupil = found[0]
    if not wants_partial():
        return redirect(url_for("adults.new", school=school.id), 303)
    chosen = {i for i in map(as_id, request.args.getlist("pupil_ids")) if i is not None}
    return partial("log/_pupil_chip.html", pupil=pupil, chip=pupil.id not in chosen)


@bp.route("/adult-concerns/received")
@login_required
def received():
    require(policy.can_raise(current_user))
    return render("adults/received.html", nobody=request.args.get("nobody") == "1")


@bp.route("/adult-concerns")
@login_required
def index():
    require(policy.is_case_manager(current_user))
    rows = queries.managed(current_user)
    audit.record(audit.VIEW_ADULT_CONCERNS, concerns=[row.concern.id for row in rows])
    return render(
        "adults/index.html",
        rows=rows,
        patterns=queries.patterns(rows),
        Level=Level,
        Outcome=Outcome,
        settings_schools=policy.settings_school_ids(current_user),
    )


@bp.route("/adult-concerns/retention")
@login_required
def retention():
    require(policy.is_case_manager(current_user))
    rows = queries.retention(current_user)
    audit.record(audit.VIEW_ADULT_RETENTION, concerns=[r.row.concern.id for r in rows])
    return render("adults/retention.html", rows=rows, Level=Level, Outcome=Outcome)


def concern_or_404(concern_id: int) -> AdultConcern:
    return load(
        AdultConcern,
        concern_id,
        policy.can_view_concern,
        what="adult concern",
        audit_as="concern",
        refusal=audit.DENIED_ADULT_CONCERN,
    )


def concern_page(concern: AdultConcern, adding: str | None = None, form=None, status: int = 200):
    row = queries.concern_page(concern)
    audit.record(audit.VIEW_ADULT_CONCERN, school_id=concern.school_id, concern=concern.id)
    if adding is not None and form is None:
        form = FORMS[adding]()
    return render(
        "adults/show.html",
        status_code=status,
        row=row,
        concern=concern,
        adding=adding,
        form=form,
        kinds=FollowUpKind.LABELS,
        Level=Level,
        Outcome=Outcome,
        AdultKind=AdultKind,
    )


@bp.route("/adult-concerns/<int:concern_id>")
@login_required
def show(concern_id: int):
    concern = concern_or_404(concern_id)
    adding = request.args.get("add")
    return concern_page(concern, adding if adding in FORMS else None)


@bp.route("/adult-concerns/<int:concern_id>/<kind>", methods=["POST"])
@login_required
@submissions.once()
def add_follow_up(concern_id: int, kind: str):
    concern = concern_or_404(concern_id)
    found_or_404(kind in FORMS)
    form = FORMS[kind]()
    if form.validate_on_submit():
        follow_up = operations.add_follow_up(current_user, concern, kind, form)
        target = url_for("adults.show", concern_id=concern.id, _anchor=f"follow-up-{follow_up.id}")
        submissions.claim(form.submission_key.data, follow_up.id, target)
        flash(f"{FollowUpKind.LABELS[kind]} saved.", "success")
        return redirect(target, 303)
    return concern_page(concern, kind, form, status=422)


@bp.route("/adult-concerns/settings", methods=["GET", "POST"])
@login_required
@submissions.once()
def settings():
    school_ids = policy.settings_school_ids(current_user)
    require(bool(school_ids))
    schools = _schools(school_ids)
    school = _chosen_school(schools)
    form = DslAllowedForm()
    if form.validate_on_submit():
        operations.set_dsl_allowed(current_user, school.id, form.dsl_allowed.data == "yes")
        target = url_for("adults.settings", school=school.id)
        submissions.claim(form.submission_key.data, None, target)
        flash("Saved.", "success")
        return redirect(target, 303)
    allowed = school.id in policy.dsl_allowed_at([school.id])
    if not form.is_submitted():
        form.dsl_allowed.data = "yes" if allowed else "no"
    status = 422 if form.is_submitted() else 200
    return render(
        "adults/settings.html", status_code=status, form=form, schools=schools, school=school, allowed=allowed
    )


@bp.route("/adult-concerns/report")
@login_required
def report():
    require(policy.can_see_report(current_user))
    terms = queries.termly_counts(current_user)
    audit.record(audit.VIEW_ADULT_REPORT, terms=len(terms))
    return render("adults/report.html", terms=terms, Outcome=Outcome)


@bp.route("/adult-concerns/<int:concern_id>/reference")
@login_required
def reference(concern_id: int):
    concern = concern_or_404(concern_id)
    rows = queries.reference_rows(current_user, concern)
    audit.record(
        audit.VIEW_ADULT_REFERENCE,
        school_id=concern.school_id,
        concern=concern.id,
        listed=[row.concern.id for row in rows],
    )
    return render("adults/reference.html", concern=concern, rows=rows)


def deletion_page(concern: AdultConcern, form=None, status: int = 200):
    r = queries.retention_for(concern)
    refusal = policy.deletion_confirm_refusal(current_user, r.pending, concern) if r.pending else None
    return render(
        "adults/deletion.html",
        status_code=status,
        concern=concern,
        r=r,
        form=form or ProposeDeletionForm(formdata=None),
        refusal=refusal,
        button=BaseForm(formdata=None),
    )


@bp.route("/adult-concerns/<int:concern_id>/deletion", methods=["GET", "POST"])
@login_required
def deletion_proposal(concern_id: int):
    concern = concern_or_404(concern_id)
    if request.method == "GET":
        audit.record(audit.VIEW_ADULT_CONCERN, school_id=concern.school_id, concern=concern.id, deletion=True)
        return deletion_page(concern)
    form = ProposeDeletionForm()
    r = queries.retention_for(concern)
    if r.pending is not None:
        flash("A deletion of this concern is already waiting for a second case manager.", "info")
        return redirect(url_for("adults.deletion_proposal", concern_id=concern.id), 303)
    if not r.due:  # not the form's fault: the page says why, where the form would be
        return deletion_page(concern, form, status=409)
    if not form.validate_on_submit():
        return deletion_page(concern, form, status=422)
    deletion.propose(current_user, concern, form.reason.data)
    flash("Deletion proposed: another case manager of this concern must confirm it.", "success")
    return redirect(url_for("adults.deletion_proposal", concern_id=concern.id), 303)


def _waiting(concern: AdultConcern) -> AdultConcernDeletion:
    proposal = queries.pending_deletions([concern.id]).get(concern.id)
    found_or_404(proposal is not None)
    return proposal


@bp.route("/adult-concerns/<int:concern_id>/deletion/confirm", methods=["POST"])
@login_required
def confirm_deletion(concern_id: int):
    concern = concern_or_404(concern_id)
    proposal = _waiting(concern)
    refusal = policy.deletion_confirm_refusal(current_user, proposal, concern)
    if refusal:
        audit.record(audit.DENIED_ADULT_CONCERN, what="confirm deletion", concern=concern.id, why=refusal)
        flash(f"Not deleted: {refusal}.", "warning")
        return redirect(url_for("adults.deletion_proposal", concern_id=concern.id), 303)
    counts = deletion.confirm(current_user, proposal)
    if counts is None:
        flash("Another confirmation deleted this concern a moment ago: nothing more was done.", "info")
    else:
        flash(
            f"The concern is deleted, with its {counts.get('adult_follow_ups', 0)} follow-ups. "
            "The audit log keeps that it was, with nothing of what it said.",
            "success",
        )
    return redirect(url_for("adults.retention"), 303)


@bp.route("/adult-concerns/<int:concern_id>/deletion/withdraw", methods=["POST"])
@login_required
def withdraw_deletion(concern_id: int):
    concern = concern_or_404(concern_id)
    proposal = _waiting(concern)
    require(policy.can_withdraw_deletion(current_user, proposal, concern))
    deletion.withdraw(current_user, proposal)
    flash("The proposal is withdrawn: nothing was deleted.", "success")
    return redirect(url_for("adults.deletion_proposal", concern_id=concern.id), 303)
