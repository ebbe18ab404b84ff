"""Who may start, see, send and receive a pupil's child-protection file, and produce
a subject-access export. Which records a received file opens is the core's
(policy.received_with_file): every list of records asks it."""

from __future__ import annotations

from ..models import Pupil
from ..policy import access, kept_after_transfer, reads_about_pupil


def transfer_school_ids(user) -> frozenset[int]:
    """The transfer dashboard: the safeguarding team, of the schools it sends from and receives at."""
    return access(user).team


def can_start_transfer(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def can_view_transfer(user, transfer) -> bool:
    team = access(user).team
    at_either = transfer.from_school_id in team or (transfer.to_school_id is not None and transfer.to_school_id in team)
    return at_either and reads_about_pupil(user, transfer.pupil_id)


def can_send_transfer(user, transfer) -> bool:
    """Mark as sent, download the pack, record the receipt: the sending school's team."""
    return transfer.from_school_id in access(user).team


def can_receive_transfer(user, transfer) -> bool:
    """Accept or decline a file sent to a trust school: that school's safeguarding team."""
    return transfer.to_school_id is not None and transfer.to_school_id in access(user).team


def sees_pupil_transfers(user, pupil: Pupil) -> bool:
    """The transfers of a pupil's file, listed on their chronology: the safeguarding team and SLT of
    the pupil's school, and the safeguarding team of a school the file was accepted from."""
    a = access(user)
    sees = pupil.school_id in a.review or (bool(a.team) and kept_after_transfer(user, pupil))
    return sees and reads_about_pupil(user, pupil)


def can_produce_subject_access(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)
