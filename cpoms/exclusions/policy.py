"""Who keeps a child's record from named staff. The rule an exclusion makes is the
core's (policy.withheld_pupils); here only who records and ends exclusions."""

from __future__ import annotations

from ..models import Pupil
from ..policy import access, reads_about_pupil
from .models import RecordExclusion


def can_manage_exclusions(user, pupil: Pupil) -> bool:
    """Seeing who is kept from a child's record and why, excluding and ending: the
    safeguarding team of the pupil's school (who are never excluded from it themselves)."""
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil, page_of_pupil=True)


def can_end_exclusion(user, exclusion: RecordExclusion) -> bool:
    return can_manage_exclusions(user, exclusion.pupil)
