"""The reports' counts, kept as entries are written: one row per school, UK month,
category and status (models.ReportCount), moved in the same transaction as the
write that changes what is counted, so a report reads a few thousand rows where
it would otherwise count a year of a whole trust's entries.

Everything that changes a count goes through `apply`, with a delta per row:

* an entry is logged: +1 (its school, month, category, "open");
* it is closed or reopened: -1 at the old status, +1 at the new;
* it is deleted after the retention review: -1 for each entry that goes.

Nothing else moves them: an entry's school, category and time are never changed
(entries are append-only; a later category is shown beside the one recorded and
not counted; a transfer moves the pupil, not the entries logged at the old school).

`apply` is an upsert that adds to the stored number in the database (INSERT ...
ON CONFLICT DO UPDATE SET entries = entries + excluded.entries, on SQLite and
PostgreSQL alike), so two entries saved at once both count: neither reads the
number first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, case, cast, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Entry, EntryState
from .models import ReportCount
from .periods import month_key

# Written with Core statements only: no ORM object of a count is ever loaded to go stale.
COUNTS = ReportCount.__table__


class Key(NamedTuple):
    school_id: int
    month: str
    category_id: int
    status: str


def key(school_id: int, category_id: int, created_at: datetime, status: str) -> Key:
    return Key(school_id, month_key(created_at), category_id, status)


def apply(deltas: Counter[Key] | dict[Key, int]) -> None:
    """Add each delta to its row, creating the row on its first entry. The one way
    the counts change. Rows are taken in key order, so two transactions that move
    several rows each lock them in the same order and never wait on each other."""
    rows = [{**k._asdict(), "entries": n} for k, n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(COUNTS)
    upsert = upsert.on_conflict_do_update(
        index_elements=[c.name for c in COUNTS.primary_key.columns],
        set_={"entries": COUNTS.c.entries + upsert.excluded.entries},
    )
    db.session.execute(upsert, rows)


def entry_logged(entry: Entry) -> None:
    """Count a new entry (flushed: its time is set) at the status its state has."""
    apply({key(entry.school_id, entry.category_id, entry.created_at, entry.state.status): 1})


def status_changed(entry: Entry, was: str, now: str) -> None:
    if was != now:
        apply(
            {
                key(entry.school_id, entry.category_id, entry.created_at, was): -1,
                key(entry.school_id, entry.category_id, entry.created_at, now): 1,
            }
        )


def entries_deleted(entry_ids: Iterable[int]) -> None:
    """Uncount entries about to be deleted (call before the rows go)."""
    gone: Counter[Key] = Counter()
    ids = list(entry_ids)
    for start in range(0, len(ids), 500):
        for row in db.session.execute(
            select(Entry.school_id, Entry.category_id, Entry.created_at, EntryState.status)
            .join(EntryState, EntryState.entry_id == Entry.id)
            .where(Entry.id.in_(ids[start : start + 500]))
        ):
            gone[key(*row)] -= 1
    apply(gone)


# --- counting from scratch: the migration's backfill, the generator, the check -----


def uk_month(column, dialect: str):
    """The UK calendar month (YYYY-MM) of a stored UTC time, worked out by the database.

    PostgreSQL knows the time zone. SQLite does not, but only the last hour of a
    UTC month can fall in the next UK month, and only while British Summer Time
    is on, which it is at the end of March to September and not at the end of
    October to February: so those months' times move on an hour first."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/London", func.timezone("UTC", column)), "YYYY-MM")
    in_summer_time = cast(func.strftime("%m", column), Integer).between(3, 9)
    return func.strftime("%Y-%m", column, case((in_summer_time, "+1 hour"), else_="+0 hours"))


def recounted():
    """The counts worked out from the entries themselves, as a SELECT of ReportCount's columns."""
    month = uk_month(Entry.created_at, db.session.get_bind().dialect.name)
    return (
        select(Entry.school_id, month, Entry.category_id, EntryState.status, func.count())
        .join(EntryState, EntryState.entry_id == Entry.id)
        .group_by(Entry.school_id, month, Entry.category_id, EntryState.status)
    )


def stored() -> dict[Key, int]:
    """The counts as kept, leaving out rows moved back to nought."""
    return {
        Key(r.school_id, r.month, r.category_id, r.status): r.entries
        for r in db.session.execute(select(COUNTS))
        if r.entries
    }


def differences() -> dict[Key, tuple[int, int]]:
    """Every row where the stored count is not the recount: key -> (stored, recounted)."""
    have = stored()
    want = {Key(*row[:4]): row[4] for row in db.session.execute(recounted())}
    return {k: (have.get(k, 0), want.get(k, 0)) for k in have.keys() | want.keys() if have.get(k, 0) != want.get(k, 0)}


def recount() -> int:
    """Replace every count with the recount, set-based (two statements); returns the rows written."""
    db.session.execute(delete(COUNTS))
    columns = ["school_id", "month", "category_id", "status", "entries"]
    return db.session.execute(insert(COUNTS).from_select(columns, recounted())).rowcount
