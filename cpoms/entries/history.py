"""An entry's status history: opened, reviewed, closed and reopened, by whom,
when and why, read from the entry and its follow-ups (nothing stored twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Entry, Kind, User

CHANGES = {Kind.REVIEWED: "Reviewed", Kind.CLOSED: "Closed", Kind.REOPENED: "Reopened"}


@dataclass
class Change:
    what: str
    who: User
    when: datetime
    why: list[tuple[str, str]]  # (what the text is, the text)
    follow_up_id: int | None = None


def _why(follow_up) -> list[tuple[str, str]]:
    if follow_up.kind == Kind.CLOSED:
        return [("Outcome", follow_up.text), ("Why it could be closed", follow_up.reason or "")]
    if follow_up.kind == Kind.REOPENED:
        return [("Reason", follow_up.reason or follow_up.text)]
    return [("Note", follow_up.text)]


def status_history(entry: Entry) -> list[Change]:
    opened = Change("Opened", entry.recorded_by, entry.created_at, [])
    return [
        opened,
        *(
            Change(
                CHANGES[fu.kind], fu.author, fu.created_at, [(label, text) for label, text in _why(fu) if text], fu.id
            )
            for fu in entry.follow_ups
            if fu.kind in CHANGES
        ),
    ]
