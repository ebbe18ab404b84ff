"""Concerns that evolve: who adds a later category, amends, or links entries."""

from __future__ import annotations

from ..models import Entry
from ..policy import access, can_view_entry


def can_add_category(user, entry: Entry) -> bool:
    """A later categorisation ("now also: safeguarding"): the safeguarding team."""
    return entry.school_id in access(user).team


def can_amend(user, entry: Entry, follow_up=None) -> bool:
    """A correction to the narrative (no follow-up) or to a follow-up: the safeguarding
    team, or the recorder on their own entry (for follow-ups, only those they wrote)."""
    a = access(user)
    if entry.school_id in a.team:
        return True
    if entry.recorded_by_id != a.user_id or entry.school_id not in a.read_own:
        return False
    return follow_up is None or follow_up.author_id == a.user_id


def can_link_entries(user, entry: Entry) -> bool:
    return entry.school_id in access(user).team


def can_link_to(user, entry: Entry, other: Entry) -> bool:
    """The other end of a link: an entry of the same school that this user may read."""
    return other.school_id == entry.school_id and can_view_entry(user, other)
