"""Recording key information and police notifications: rows added, audited, flushed;
the request commits (and the outbox sends) once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from .. import alerts, audit
from ..common import uk_today
from ..extensions import db
from ..models import Alert, Pupil, School, Trust, User
from ..policy import ASSIGNABLE, holds
from ..timefmt import now_utc
from .models import (
    KeyFlag,
    KeyStatus,
    KeyStatusEnd,
    MisFacts,
    PoliceCheckIn,
    PoliceCheckInReminder,
    PoliceNotification,
    StatusKind,
)

POLICE_ALERT = "police_notification"
CHECK_IN = "police_check_in"
MIS_FACTS = ("looked_after", "sen_status", "eal", "free_school_meals")


class AlreadyEnded(Exception):
    """Someone ended this status first (another tab, a colleague)."""


def record_status(
    user: User,
    pupil: Pupil,
    kind: str,
    starts_on: date,
    *,
    flag: KeyFlag | None = None,
    category_of_abuse: str = "",
    authority: str = "",
    contact: str = "",
    note: str = "",
) -> KeyStatus:
    status = KeyStatus(
        pupil_id=pupil.id,
        school_id=pupil.school_id,
        kind=kind,
        flag_id=flag.id if flag else None,
        starts_on=starts_on,
        category_of_abuse=(category_of_abuse or None) if kind == StatusKind.CP_PLAN else None,
        authority=(authority.strip() or None) if kind in StatusKind.WITH_AUTHORITY else None,
        contact=(contact.strip() or None) if kind in StatusKind.WITH_CONTACT else None,
        note=note.strip(),
        recorded_by_id=user.id,
        recorded_at=now_utc(),
    )
    db.session.add(status)
    db.session.flush()
    audit.record(audit.RECORD_KEY_STATUS, pupil=pupil, user=user, status=status.id, kind=kind, flag=status.flag_id)
    return status


def end_status(user: User, status: KeyStatus, ends_on: date, note: str = "") -> KeyStatusEnd:
    if db.session.scalar(select(exists().where(KeyStatusEnd.status_id == status.id))):
        raise AlreadyEnded("This status has already been ended.")
    ending = KeyStatusEnd(
        status_id=status.id,
        pupil_id=status.pupil_id,
        ends_on=max(ends_on, status.starts_on),
        note=note.strip(),
        recorded_by_id=user.id,
        recorded_at=now_utc(),
    )
    db.session.add(ending)
    db.session.flush()
    db.session.expire(status, ["ending"])
    audit.record(
        audit.END_KEY_STATUS, pupil_id=status.pupil_id, school_id=status.school_id, user=user, status=status.id
    )
    return ending


def add_flag(user: User, trust: Trust, name: str) -> KeyFlag:
    flag = KeyFlag(trust_id=trust.id, name=name.strip(), created_by_id=user.id, created_at=now_utc())
    db.session.add(flag)
    db.session.flush()
    audit.record(audit.ADD_KEY_FLAG, user=user, trust=trust.id, flag=flag.id)
    return flag


def record_mis_facts(facts_by_pupil: dict[int, dict]) -> int:
    """What an MIS import says of its pupils, a row for each pupil where it differs from what
    the last import said (one query for those). Only the columns the file carried; the rest
    stay as the last import gave them. The team's statuses are another table: never touched."""
    if not facts_by_pupil:
        return 0
    newest = (
        select(func.max(MisFacts.id)).where(MisFacts.pupil_id.in_(list(facts_by_pupil))).group_by(MisFacts.pupil_id)
    )
    latest = {row.pupil_id: row for row in db.session.scalars(select(MisFacts).where(MisFacts.id.in_(newest)))}
    now, added = now_utc(), []
    for pupil_id, facts in facts_by_pupil.items():
        before = latest.get(pupil_id)
        known = {key: getattr(before, key) for key in MIS_FACTS} if before else dict.fromkeys(MIS_FACTS)
        if before is not None and all(known[key] == value for key, value in facts.items()):
            continue
        added.append(MisFacts(pupil_id=pupil_id, imported_at=now, **(known | facts)))
    db.session.add_all(added)
    db.session.flush()
    return len(added)


# --- police notifications ---------------------------------------------------------------


def record_police_notification(
    user: User,
    pupil: Pupil,
    *,
    incident_at: datetime,
    child_present: bool,
    officer: str,
    force_reference: str,
    shared: str,
    key_adult: User,
) -> tuple[PoliceNotification, list[Alert]]:
    """The notification, the key adult's check-in with the child due today, and the
    team's alert (the email says only that one came in, and where)."""
    notification = PoliceNotification(
        pupil_id=pupil.id,
        school_id=pupil.school_id,
        incident_at=incident_at,
        child_present=child_present,
        officer=officer.strip(),
        force_reference=force_reference.strip(),
        shared=shared,
        key_adult_id=key_adult.id,
        check_in_on=uk_today(),
        recorded_by_id=user.id,
        recorded_at=now_utc(),
    )
    db.session.add(notification)
    db.session.flush()
    audit.record(
        audit.RECORD_POLICE_NOTIFICATION, pupil=pupil, user=user, notification=notification.id, key_adult=key_adult.id
    )
    # The whole team hears of it, as of a safeguarding entry; the recorder knows already.
    team = [person for person in alerts.safeguarding_team(pupil.school_id) if person.id != user.id]
    queued = alerts.queue_to(team, pupil.school_id, POLICE_ALERT)
    # The key adult's check-in, emailed now; today's reminder is this email.
    [told] = alerts.queue_to([key_adult], pupil.school_id, CHECK_IN)
    db.session.add(
        PoliceCheckInReminder(notification_id=notification.id, pupil_id=pupil.id, sent_on=uk_today(), alert_id=told.id)
    )
    db.session.flush()
    return notification, queued


def check_in(user: User, notification: PoliceNotification) -> bool:
    """Marks the check-in done, once; whether this call did."""
    if notification.check_in is not None or db.session.scalar(
        select(exists().where(PoliceCheckIn.notification_id == notification.id))
    ):
        return False
    db.session.add(
        PoliceCheckIn(
            notification_id=notification.id, pupil_id=notification.pupil_id, done_by_id=user.id, done_at=now_utc()
        )
    )
    db.session.flush()
    db.session.expire(notification, ["check_in"])
    audit.record(
        audit.POLICE_CHECK_IN,
        pupil_id=notification.pupil_id,
        school_id=notification.school_id,
        user=user,
        notification=notification.id,
    )
    return True


def queue_check_in_reminders(today: date) -> list[int]:
    """As for tasks (tasks/reminders.py, run by the same `flask send-reminders`): an email
    to the key adult each day a check-in is open and due, never twice a day; committed."""
    due = db.session.scalars(
        select(PoliceNotification)
        .join(User, User.id == PoliceNotification.key_adult_id)
        .where(
            PoliceNotification.check_in_on <= today,
            User.active.is_(True),
            ~exists().where(PoliceCheckIn.notification_id == PoliceNotification.id),
            ~exists().where(
                PoliceCheckInReminder.notification_id == PoliceNotification.id, PoliceCheckInReminder.sent_on == today
            ),
            holds(ASSIGNABLE, PoliceNotification.key_adult_id, PoliceNotification.school_id),
        )
        .order_by(PoliceNotification.id)
    ).unique()
    queued = []
    for notification in list(due):
        [alert] = alerts.queue_to([notification.key_adult], notification.school_id, CHECK_IN)
        db.session.add(
            PoliceCheckInReminder(
                notification_id=notification.id, pupil_id=notification.pupil_id, sent_on=today, alert_id=alert.id
            )
        )
        queued.append(alert.id)
    if queued:
        audit.record(audit.QUEUE_CHECK_IN_REMINDERS, alerts=len(queued), day=today.isoformat())
    try:
        db.session.commit()
    except IntegrityError:
        # Another run queued today's reminders first: theirs stand, these go.
        db.session.rollback()
        return []
    return queued


def police_alert_context(alert: Alert) -> dict:
    """The school and a link: nothing of the notification, nor whom it is about."""
    return {"school": db.session.get(School, alert.school_id).name, "link": alerts.link(alert, "main.home")}


def check_in_context(alert: Alert) -> dict:
    return {
        "school": db.session.get(School, alert.school_id).name,
        "link": alerts.link(alert, "main.home"),
    }


EMAILS = (
    alerts.Email(POLICE_ALERT, "police_notification", police_alert_context),
    alerts.Email(CHECK_IN, "police_check_in", check_in_context),
)
