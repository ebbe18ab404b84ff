"""Domain changes of concerns about adults: each flushes, audits and returns; the
request's one commit keeps them. The case managers' alert is queued in the outbox and
says only that there is a concern to read, at which school: no name, no content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import alerts, audit
from ..extensions import db
from ..models import Alert, Pupil, School, User
from . import policy
from .models import AdultConcern, AdultConcernPupil, AdultFollowUp, CaseManagerSetting, FollowUpKind

ALERT_REASON = "adult_concern"


def raise_concern(
    raiser: User,
    school: School,
    *,
    subject_kind: str,
    person: User | None,
    typed_name: str,
    subject_role: str,
    happened_at: datetime,
    location: str,
    what_happened: str,
    what_was_said: str,
    pupils: list[Pupil],
) -> tuple[AdultConcern, bool]:
    """The concern, and whether anyone was alerted (a school with no case manager alerts nobody)."""
    about_head = person is not None and (
        db.session.scalar(select(User.id).where(User.id == person.id, User.id.in_(policy.headteacher_ids(school.id))))
        is not None
    )
    concern = AdultConcern(
        school_id=school.id,
        raised_by_id=raiser.id,
        subject_kind=subject_kind,
        subject_user_id=person.id if person is not None else None,
        subject_name=person.name if person is not None else typed_name.strip(),
        subject_role=subject_role.strip() or None,
        about_headteacher=about_head,
        happened_at=happened_at,
        location=location.strip(),
        what_happened=what_happened.strip(),
        what_was_said=what_was_said.strip() or None,
    )
    db.session.add(concern)
    db.session.flush()
    db.session.add_all(AdultConcernPupil(concern_id=concern.id, pupil_id=p.id) for p in pupils)
    queued = alerts.queue_to(policy.case_managers(concern), school.id, ALERT_REASON)
    # Ids only: the audit log names no adult and holds no text of a record.
    audit.record(
        audit.RAISE_ADULT_CONCERN,
        school_id=school.id,
        user=raiser,
        concern=concern.id,
        alerts=[a.id for a in queued],
    )
    return concern, bool(queued)


def add_follow_up(author: User, concern: AdultConcern, kind: str, form) -> AdultFollowUp:
    """One typed follow-up from its validated form (adults/forms.py)."""
    values = {"text": form.text.data.strip()}
    if kind == FollowUpKind.ASSESSMENT:
        values["level"] = form.level.data
    elif kind == FollowUpKind.LADO:
        values.update(
            lado_on=form.lado_on.data,
            lado_name=form.lado_name.data.strip(),
            lado_reference=(form.lado_reference.data or "").strip() or None,
        )
    elif kind == FollowUpKind.ACTION:
        values["suspension_considered"] = form.suspension_considered.data == "yes"
    elif kind == FollowUpKind.OUTCOME:
        values["outcome"] = form.outcome.data
    elif kind == FollowUpKind.DATES:
        values.update(born_on=form.born_on.data, retires_on=form.retires_on.data, left_on=form.left_on.data)
    follow_up = AdultFollowUp(concern_id=concern.id, author_id=author.id, kind=kind, **values)
    db.session.add(follow_up)
    db.session.flush()
    audit.record(
        audit.ADD_ADULT_FOLLOW_UP,
        school_id=concern.school_id,
        user=author,
        concern=concern.id,
        follow_up=follow_up.id,
        kind=kind,
    )
    return follow_up


def set_dsl_allowed(headteacher: User, school_id: int, allowed: bool) -> CaseManagerSetting:
    setting = CaseManagerSetting(school_id=school_id, dsl_allowed=allowed, set_by_id=headteacher.id)
    db.session.add(setting)
    db.session.flush()
    audit.record(audit.SET_ADULT_CASE_MANAGERS, school_id=school_id, user=headteacher, dsl_allowed=allowed)
    return setting


def email_context(alert: Alert) -> dict:
    """The school and a link: nothing of the concern, nor whom it is about."""
    return {"school": db.session.get(School, alert.school_id).name, "link": alerts.link(alert, "adults.index")}


EMAILS = (alerts.Email(ALERT_REASON, "adult_concern", email_context),)
