"""What a recorder is shown about what they logged: a fixed number of queries a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import defer, raiseload

from .. import policy
from ..extensions import db
from ..models import Entry, EntryState, FollowUp, Kind
from ..timefmt import now_utc
from .models import RecorderMessage

PER_PAGE = 25
# How long the home page keeps saying that an entry was reviewed, or that the team wrote.
HOME_DAYS = 14

# Neither text of the entry is loaded, and a template that asked for one would fail:
# these pages show where an entry stands, never what it says.
NO_TEXT = (
    defer(Entry.narrative, raiseload=True),
    defer(Entry.child_words, raiseload=True),
    raiseload(Entry.follow_ups),
)


@dataclass
class Logged:
    entry: Entry
    closed_at: datetime | None
    messages: list[RecorderMessage]

    @property
    def state(self) -> str:
        if self.entry.state.status == "closed":
            return "closed"
        return "reviewed" if self.entry.state.reviewed_at else "waiting"


def _closed_at():
    """When the entry was last closed: its newest "closed" follow-up, in the entry's own SELECT."""
    return (
        select(func.max(FollowUp.created_at))
        .where(FollowUp.entry_id == Entry.id, FollowUp.kind == Kind.CLOSED)
        .correlate(Entry)
        .scalar_subquery()
    )


def logged_by(user, page: int) -> tuple[list[Logged], bool]:
    """One page of what this user logged, newest first, and whether more follow."""
    rows = (
        db.session.execute(
            select(Entry, _closed_at())
            .where(policy.recorded_by_them(user))
            .options(*NO_TEXT)
            .order_by(Entry.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
        .unique()
        .all()
    )
    shown = rows[:PER_PAGE]
    messages: dict[int, list[RecorderMessage]] = {}
    if shown:
        for message in db.session.scalars(
            select(RecorderMessage)
            .where(
                RecorderMessage.entry_id.in_([entry.id for entry, _ in shown]), RecorderMessage.recipient_id == user.id
            )
            .order_by(RecorderMessage.created_at, RecorderMessage.id)
        ):
            messages.setdefault(message.entry_id, []).append(message)
    return [Logged(entry, closed_at, messages.get(entry.id, [])) for entry, closed_at in shown], len(rows) > PER_PAGE


def heard_lately(user) -> tuple[list[Entry], list[tuple[RecorderMessage, Entry]]]:
    """For the home page: entries of theirs reviewed in the last HOME_DAYS, and the team's
    messages to them in that time, newest first (a few of each)."""
    if not policy.sees_what_they_recorded(user):
        return [], []
    since = now_utc() - timedelta(days=HOME_DAYS)
    reviewed = list(
        db.session.scalars(
            select(Entry)
            .join(EntryState, EntryState.entry_id == Entry.id)
            .options(*NO_TEXT)
            .where(policy.recorded_by_them(user), EntryState.reviewed_at >= since)
            .order_by(EntryState.reviewed_at.desc())
            .limit(5)
        ).unique()
    )
    messages = list(
        db.session.execute(
            select(RecorderMessage, Entry)
            .join(Entry, Entry.id == RecorderMessage.entry_id)
            .options(*NO_TEXT)
            .where(
                policy.recorded_by_them(user),
                RecorderMessage.recipient_id == user.id,
                RecorderMessage.created_at >= since,
            )
            .order_by(RecorderMessage.created_at.desc())
            .limit(5)
        )
        .unique()
        .all()
    )
    return reviewed, [(message, entry) for message, entry in messages]
