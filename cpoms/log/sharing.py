"""Colleagues a recorder alerts when logging: an email through the outbox, and the
right to read that one entry, recorded as an append-only share."""

from __future__ import annotations

from sqlalchemy import insert

from .. import alerts, audit
from ..extensions import db
from ..models import Entry, User
from ..timefmt import now_utc
from .models import EntryShare


def alert_staff(entry: Entry, recorded_by: User, users: list[User], team_alerts: dict[int, int]) -> None:
    """Queue each colleague's email and record that they were alerted, written with the
    entry: one INSERT for the shares and one audit row, however many colleagues."""
    if not users:
        return
    alert_for = alerts.queue_for_staff(entry, users, team_alerts)
    now = now_utc()
    db.session.execute(
        insert(EntryShare),
        [
            {
                "entry_id": entry.id,
                "user_id": user.id,
                "shared_by_id": recorded_by.id,
                "created_at": now,
                "alert_id": alert_for[user.id],
            }
            for user in users
        ],
    )
    audit.record(
        audit.ALERTED_STAFF,
        entry=entry,
        user=recorded_by,
        alerted=[user.id for user in users],
        names=[user.name for user in users],
    )
