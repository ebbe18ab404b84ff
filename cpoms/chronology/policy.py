"""A child's chronology: who sees who has viewed it, and who marks key events."""

from __future__ import annotations

from ..models import Entry, Pupil
from ..policy import access, reads_about_pupil


def can_see_record_viewers(user, pupil: Pupil) -> bool:
    """Who has looked at a child's record is itself sensitive: the safeguarding team only."""
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def can_mark_key_events(user, entry: Entry) -> bool:
    """What counts as a key event in a child's chronology: the safeguarding team decides."""
    return entry.school_id in access(user).team
