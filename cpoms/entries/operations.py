"""Everything appended to an entry after it was saved. Each function adds a
follow-up, moves the entry's state on, writes the audit row and flushes."""

from __future__ import annotations

from datetime import datetime

from .. import audit
from ..hearback.operations import tell_recorder_reviewed
from ..extensions import db
from ..models import Entry, FollowUp, Kind, User
from ..reports import counters
from ..timefmt import now_utc

# Kinds that count as the school acting on a concern (time-to-first-action).
ACTIONS = {Kind.ACTION, Kind.RISK, Kind.DECISION, Kind.AGENCY, Kind.OUTCOME, Kind.INFO_SHARING}


class WrongState(Exception):
    """The entry is not in a state where this makes sense (closing a closed entry)."""


def add_follow_up(
    author: User,
    entry: Entry,
    kind: str,
    text: str,
    occurred_at: datetime | None = None,
    recorded_at: datetime | None = None,
    **fields,
) -> FollowUp:
    now = recorded_at or now_utc()
    follow_up = FollowUp(
        entry=entry,
        author=author,
        kind=kind,
        text=text.strip(),
        occurred_at=occurred_at or now,
        created_at=now,
        # Blank text is None; False (consent not sought) stays False.
        **{k: (v.strip() or None) if isinstance(v, str) else v for k, v in fields.items()},
    )
    db.session.add(follow_up)
    state = entry.state
    was = state.status
    state.updated_at = now
    first_action = kind in ACTIONS and state.first_action_at is None
    if first_action:
        state.first_action_at = now
    first_review = kind == Kind.REVIEWED and state.reviewed_at is None
    if first_review:
        state.reviewed_at, state.reviewed_by_id = now, author.id
    if kind == Kind.CLOSED:
        state.status = "closed"
    if kind == Kind.REOPENED:
        state.status = "open"
    counters.status_changed(entry, was, state.status)
    db.session.flush()
    counters.waits_started(entry, first_review, first_action)
    audit.record(audit.ADD_FOLLOW_UP, entry=entry, user=author, kind=kind, follow_up=follow_up.id)
    return follow_up


def mark_reviewed(author: User, entry: Entry, note: str | None) -> FollowUp:
    first = entry.state.reviewed_at is None
    follow_up = add_follow_up(author, entry, Kind.REVIEWED, note or "")
    if first:  # a further review tells the recorder nothing new
        tell_recorder_reviewed(entry, author)
    return follow_up


def close(author: User, entry: Entry, outcome: str, rationale: str) -> FollowUp:
    """The outcome for the child, and why nothing more needs doing now (kept as the reason)."""
    if entry.state.status == "closed":
        raise WrongState("This entry is already closed.")
    return add_follow_up(author, entry, Kind.CLOSED, outcome, reason=rationale)


def reopen(author: User, entry: Entry, reason: str) -> FollowUp:
    if entry.state.status != "closed":
        raise WrongState("This entry is already open.")
    return add_follow_up(author, entry, Kind.REOPENED, "", reason=reason)
