"""Who reads and records key information and police notifications.

Statuses are read by those who decide on concerns at the pupil's school (the team and
SLT: review), recorded and ended by the safeguarding team; a file accepted by another
school moves the pupil, and so the statuses, to that school's team. Staff who only log
are told that a status is active, never which. Police notifications are the
safeguarding team's alone, to record and to read: SLT, governors, trust
representatives and admins never see one; the key adult sees only that they are to
check in with the child."""

from __future__ import annotations

from ..models import Pupil
from ..policy import access, reads_about_pupil


def reads_statuses(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).review and reads_about_pupil(user, pupil)


def status_school_ids(user) -> frozenset[int]:
    """Where this user reads statuses (badges on lists, the queue's filter)."""
    return access(user).review


def records_statuses(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def hears_of_named_contact(user, pupil: Pupil) -> bool:
    """The log form's "tell the team in person today": for whoever logs about the pupil
    and does not read the statuses themselves (nor to someone kept from the record: even
    that much is about the child)."""
    a = access(user)
    return pupil.school_id in a.log and pupil.school_id not in a.review and reads_about_pupil(user, pupil)


def defines_flags(user) -> frozenset[int]:
    """The trusts whose own flags this user names: the trust's administrators."""
    return access(user).admin_trusts


def reads_police_notifications(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def records_police_notifications(user, pupil: Pupil) -> bool:
    return pupil.active and pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def police_school_ids(user) -> frozenset[int]:
    """Where this user reads police notifications and their counts: the team's schools."""
    return access(user).team


def check_in_school_ids(user) -> frozenset[int]:
    """Where the key adult is shown their check-ins: where they work as staff, with
    two-factor sign-in or without (as What I logged is): a check-in names the child and
    the day, nothing of the record, and must reach a teacher who reads nothing else."""
    a = access(user)
    return a.assignable | a.recorded_state


def can_check_in(user, notification) -> bool:
    """The key adult marks their own check-in done, while they work at the school; the
    team may mark it for them."""
    a = access(user)
    if notification.school_id in a.team:
        return True
    return notification.key_adult_id == a.user_id and notification.school_id in check_in_school_ids(user)
