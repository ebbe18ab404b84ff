"""The safeguarding team's messages to the person who logged an entry."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Entry
from ..policy import access, holds, kept_from_entry, RECORDED_STATE


def sees_recorder_messages(user, entry: Entry) -> bool:
    """The messages sent to an entry's recorder, on the entry page: the safeguarding team."""
    return entry.school_id in access(user).team


def can_message_recorder(user, entry: Entry) -> bool:
    """A short message to the person who logged an entry: the safeguarding team, about
    someone else's entry (whether they can still receive it: message_recorder_refusal)."""
    a = access(user)
    return entry.school_id in a.team and entry.recorded_by_id != a.user_id


def message_recorder_refusal(user, entry: Entry) -> str | None:
    """Why this message cannot go; None when it can. The recorder must still be told at
    that school (active, holding RECORDED_STATE there), or the message would go unread."""
    if not can_message_recorder(user, entry):
        return "only the safeguarding team sends a message to the person who logged an entry"
    still_there, kept_from_it = db.session.execute(
        select(
            holds(RECORDED_STATE, entry.recorded_by_id, entry.school_id),
            kept_from_entry(entry.recorded_by_id, entry.id),
        )
    ).one()
    if not still_there:
        return "the person who logged this no longer works at the school, so they could not read a message"
    if kept_from_it:
        return "the person who logged this is excluded from the record of a pupil it names"
    return None
