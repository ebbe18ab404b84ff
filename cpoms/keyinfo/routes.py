"""A pupil's key information page (statuses, police notifications, what the MIS says),
the forms that record and end them, the key adult's check-in, and the trust's flags.
Each form posts to its own route; an error shows the page again with it."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, submissions
from ..common import uk_today
from ..extensions import db
from ..formfields import choices
from ..htmx import render
from ..loaders import load, refuse_unless, require
from ..models import Pupil, Trust, User
from ..policy import ASSIGNABLE, holders
from . import operations, policy, queries
from .forms import EndStatusForm, FlagForm, PoliceNotificationForm, StatusForm
from .models import AbuseCategory, KeyStatus, PoliceNotification, StatusKind

bp = Blueprint("keyinfo", __name__)


@bp.app_context_processor
def keyinfo_pieces():
    """For the partials this area adds to other areas' pages (the chronology, the entry
    page, the queue, the log form, the home page): built only when shown."""
    return {
        "keyinfo_policy": policy,
        "key_badges": lambda pupils: queries.badges_for(current_user, pupils),
        "key_badge_text": queries.badge_text,
        "key_panel": lambda pupil: _panel(current_user, pupil),
        "key_named_contact": lambda pupil: (
            policy.hears_of_named_contact(current_user, pupil) and queries.has_active_status(pupil.id)
        ),
        "police_check_ins": lambda: queries.my_check_ins(current_user),
    }


def _panel(user, pupil: Pupil) -> dict | None:
    if not policy.reads_statuses(user, pupil):
        return None
    # One query: the notifications themselves are on the key information page.
    return {"active": queries.active_statuses([pupil.id]).get(pupil.id, [])}


def _pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, policy.reads_statuses, what="key information", audit_as="pupil_id")


def _key_adults(pupil: Pupil) -> dict[int, User]:
    # Nobody kept from the child's record: the key adult is told the child's name.
    people = db.session.scalars(holders(ASSIGNABLE, [pupil.school_id], [pupil.id]).order_by(User.name, User.id))
    return {person.id: person for person in people}


def _flags(pupil: Pupil):
    return {flag.id: flag for flag in queries.flags_for(pupil.school.trust_id)}


def _status_form(pupil: Pupil, form: StatusForm | None = None) -> StatusForm:
    form = form or StatusForm(formdata=None, starts_on=uk_today())
    form.kind.choices = choices(
        [
            ("", "Choose a status"),
            *((kind, label) for kind, label in StatusKind.LABELS.items() if kind != StatusKind.OTHER),
            *((f"flag-{i}", f"{flag.name} (the trust's own)") for i, flag in _flags(pupil).items()),
        ]
    )
    return form


def _police_form(pupil: Pupil, form: PoliceNotificationForm | None = None) -> PoliceNotificationForm:
    form = form or PoliceNotificationForm(formdata=None)
    form.key_adult.choices = choices(
        [("", "Choose the key adult"), *((str(i), p.name) for i, p in _key_adults(pupil).items())]
    )
    return form


def _end_form(status_id: int, form: EndStatusForm | None = None) -> EndStatusForm:
    """An end form for one status: its fields' ids its own, as a page holds several."""
    form = form or EndStatusForm(formdata=None, ends_on=uk_today())
    for field in (form.ends_on, form.note):
        field.id = field.label.field_id = f"end-{status_id}-{field.name}"
    return form


def _page(pupil: Pupil, status: int = 200, conflict: str | None = None, **forms):
    team = policy.records_statuses(current_user, pupil)
    police = policy.reads_police_notifications(current_user, pupil)
    statuses = queries.statuses_of(pupil.id)
    notifications = queries.notifications_of(current_user, pupil) if police else []
    audit.record(
        audit.VIEW_KEY_INFORMATION,
        pupil=pupil,
        statuses=[s.id for s in statuses],
        police_notifications=[n.id for n in notifications],
    )
    return render(
        "keyinfo/show.html",
        status_code=status,
        pupil=pupil,
        statuses=statuses,
        notifications=notifications,
        mis=queries.mis_facts(pupil.id),
        team=team,
        police=police,
        conflict=conflict,
        status_form=_status_form(pupil, forms.get("status_form")) if team else None,
        # A form each, so each carries its own one-time key.
        end_forms={
            s.id: _end_form(s.id, forms["end_form"] if forms.get("ending") == s.id else None)
            for s in statuses
            if s.active and team
        },
        police_form=_police_form(pupil, forms.get("police_form")) if police else None,
        StatusKind=StatusKind,
        AbuseCategory=AbuseCategory,
    )


@bp.route("/pupils/<int:pupil_id>/key-information")
@login_required
def show(pupil_id: int):
    return _page(_pupil_or_404(pupil_id))


@bp.route("/pupils/<int:pupil_id>/key-information/statuses", methods=["POST"])
@login_required
@submissions.once()
def record_status(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    refuse_unless(policy.records_statuses(current_user, pupil), "record key status", pupil_id=pupil.id)
    form = _status_form(pupil, StatusForm())
    valid = form.validate_on_submit()
    kind, flag = form.chosen(_flags(pupil))
    if not valid or form.kind.errors or form.category_of_abuse.errors or form.authority.errors:
        return _page(pupil, status=422, status_form=form)
    status = operations.record_status(
        current_user,
        pupil,
        kind,
        form.starts_on.data,
        flag=flag,
        category_of_abuse=form.category_of_abuse.data or "",
        authority=form.authority.data or "",
        contact=form.contact.data or "",
        note=form.note.data or "",
    )
    target = url_for("keyinfo.show", pupil_id=pupil.id, _anchor=f"status-{status.id}")
    submissions.claim(form.submission_key.data, status.id, target)
    flash(f"{status.label} recorded.", "success")
    return redirect(target, 303)


def _status_or_404(status_id: int) -> KeyStatus:
    return load(
        KeyStatus,
        status_id,
        lambda user, s: policy.reads_statuses(user, s.pupil),
        what="key status",
        context=lambda s: {"pupil_id": s.pupil_id},
    )


@bp.route("/key-statuses/<int:status_id>/end", methods=["POST"])
@login_required
@submissions.once()
def end_status(status_id: int):
    status = _status_or_404(status_id)
    pupil = status.pupil
    refuse_unless(policy.records_statuses(current_user, pupil), "end key status", pupil_id=pupil.id)
    if not status.active:
        return _page(pupil, status=409, conflict=f"{status.label} has already been ended.")
    form = EndStatusForm()
    if not form.validate_on_submit():
        return _page(pupil, status=422, end_form=form, ending=status.id)
    if form.ends_on.data < status.starts_on:
        form.ends_on.errors = ["The end date cannot be before the status started."]
        return _page(pupil, status=422, end_form=form, ending=status.id)
    try:
        operations.end_status(current_user, status, form.ends_on.data, form.note.data or "")
    except operations.AlreadyEnded as exc:
        return _page(pupil, status=409, conflict=str(exc))
    target = url_for("keyinfo.show", pupil_id=pupil.id, _anchor=f"status-{status.id}")
    submissions.claim(form.submission_key.data, status.id, target)
    flash(f"{status.label} ended.", "success")
    return redirect(target, 303)


@bp.route("/pupils/<int:pupil_id>/police-notifications", methods=["POST"])
@login_required
@submissions.once()
def record_police_notification(pupil_id: int):
    pupil = load(Pupil, pupil_id, policy.records_police_notifications, what="police notification", audit_as="pupil_id")
    staff = _key_adults(pupil)
    form = _police_form(pupil, PoliceNotificationForm())
    valid = form.validate_on_submit()
    key_adult = form.chosen_key_adult(staff)
    if not valid or key_adult is None:
        return _page(pupil, status=422, police_form=form)
    notification, _ = operations.record_police_notification(
        current_user,
        pupil,
        incident_at=form.incident_at.utc,
        child_present=form.child_present.data == "yes",
        officer=form.officer.data,
        force_reference=form.force_reference.data,
        shared=form.shared.data,
        key_adult=key_adult,
    )
    target = url_for("keyinfo.show", pupil_id=pupil.id, _anchor=f"police-{notification.id}")
    submissions.claim(form.submission_key.data, notification.id, target)
    flash(f"Police notification recorded. {key_adult.name} is asked to check in with the child today.", "success")
    return redirect(target, 303)


@bp.route("/check-ins/<int:notification_id>/done", methods=["POST"])
@login_required
def check_in(notification_id: int):
    notification = load(
        PoliceNotification,
        notification_id,
        policy.can_check_in,
        what="check-in",
        context=lambda n: {"pupil_id": n.pupil_id},
    )
    if operations.check_in(current_user, notification):
        flash("Check-in marked done.", "success")
    if policy.reads_police_notifications(current_user, notification.pupil):
        return redirect(
            url_for("keyinfo.show", pupil_id=notification.pupil_id, _anchor=f"police-{notification.id}"), 303
        )
    return redirect(url_for("main.home"), 303)


# --- the trust's own flags -------------------------------------------------------------


@bp.route("/key-information/flags", methods=["GET", "POST"])
@login_required
@submissions.once()
def flags():
    trust_ids = policy.defines_flags(current_user)
    require(bool(trust_ids))
    trusts = list(db.session.scalars(select(Trust).where(Trust.id.in_(trust_ids)).order_by(Trust.name)))
    form = FlagForm()
    if form.validate_on_submit():
        trust = trusts[0]
        name = form.name.data.strip()
        if name.lower() in {f.name.lower() for f in queries.flags_for(trust.id)}:
            form.name.errors = ["The trust already has a flag of that name."]
        else:
            operations.add_flag(current_user, trust, name)
            target = url_for("keyinfo.flags")
            submissions.claim(form.submission_key.data, None, target)
            flash(f"Flag “{name}” added.", "success")
            return redirect(target, 303)
    status = 422 if form.is_submitted() else 200
    return render(
        "keyinfo/flags.html",
        status_code=status,
        form=form,
        trusts=[(trust, queries.flags_for(trust.id)) for trust in trusts],
    )
