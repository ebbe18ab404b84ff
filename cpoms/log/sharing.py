"""Colleagues a recorder alerts when logging: an email through the outbox, and the
right to read that one entry, recorded as an append-only share."""
from __future__ import annotations

from sqlalchemy import insert, select

from .. import alerts, audit, policy
from ..extensions import db
from ..models import Entry, EntryShare, User
from ..timefmt import now_utc

SHARED_WITH_ME = 10  # the home page's list; the entries stay readable whatever their age


def alert_staff(entry: Entry, recorded_by: User, users: list[User], team_alerts: dict[int, int]) -> None:
    """Queue each colleague's email and record that they were alerted, written with the
    entry: one INSERT for the shares and one audit row, however many colleagues."""
    if not users:
        return
    alert_for = alerts.queue_for_staff(entry, users, team_alerts)
    now = now_utc()
    db.session.execute(insert(EntryShare), [
        {"entry_id": entry.id, "user_id": user.id, "shared_by_id": recorded_by.id, "created_at": now,
         "alert_id": alert_for[user.id]} for user in users])
    audit.record(audit.ALERTED_STAFF, entry=entry, user=recorded_by,
                 alerted=[user.id for user in users], names=[user.name for user in users])


def shares_of(entry: Entry) -> list[EntryShare]:
    """Who was alerted to this entry by its recorder, with their email's fate: one query."""
    return list(db.session.scalars(
        select(EntryShare).where(EntryShare.entry_id == entry.id).order_by(EntryShare.id)
    ).unique())


def shared_with(user) -> list[tuple[EntryShare, Entry]]:
    """The latest entries colleagues alerted this user to, that they may still read."""
    if not policy.reads_shared_entries(user):
        return []
    rows = db.session.execute(
        select(EntryShare, Entry)
        .join(Entry, Entry.id == EntryShare.entry_id)
        .where(EntryShare.user_id == user.id, policy.visible_entries(user))
        .order_by(EntryShare.id.desc())
        .limit(SHARED_WITH_ME)
    ).unique()
    return [(share, entry) for share, entry in rows]
