"""What the reports show, kept as entries are written, in the same transaction as
the write, so a report reads a few thousand rows where it would otherwise go through
a year of a whole trust's entries:

* report_counts: how many entries, per school, UK month, category and status;
* report_waits: every wait from logging to first review and to first action, per
  school, UK month and category (the medians need each one; see models.py).

What moves them, and nothing else does:

* an entry is logged: counted (its school, month, category, "open");
* it is closed or reopened: -1 at the old status, +1 at the new;
* it is first reviewed, or first acted on: that wait is added;
* it is deleted after the retention review: uncounted, its waits taken out.

An entry's school, category and time never change (entries are append-only; a later
category is shown beside the one recorded and not counted; a transfer moves the pupil,
not the entries logged at the old school).

Both are written with upserts that change the stored row in the database (INSERT ...
ON CONFLICT DO UPDATE SET entries = entries + excluded.entries, or review = review ||
excluded.review, on SQLite and PostgreSQL alike), so two entries saved at once both
count: neither reads the row first. `recount` works both out from scratch (the
migration's backfill does the same in frozen SQL); `differences` compares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Float, Integer, String, and_, case, cast, delete, func, insert, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Entry, EntryState
from ..timefmt import from_uk_local
from .models import ReportCount, ReportWaits
from .periods import month_key

# Written with Core statements only: no ORM object of either is ever loaded to go stale.
COUNTS = ReportCount.__table__
WAITS = ReportWaits.__table__


class Key(NamedTuple):
    school_id: int
    month: str
    category_id: int
    status: str


class Group(NamedTuple):
    school_id: int
    month: str
    category_id: int


def key(school_id: int, category_id: int, created_at: datetime, status: str) -> Key:
    return Key(school_id, month_key(created_at), category_id, status)


def _upsert(table, rows: list[dict], add: list[str]):
    """Insert the rows; where one is there already, add these columns to it (+ or ||)."""
    dialect = db.session.get_bind().dialect.name
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + upsert.excluded[name] for name in add},
    )
    db.session.execute(upsert, rows)


def apply(deltas: Counter[Key] | dict[Key, int]) -> None:
    """Add each delta to its count, creating the row on its first entry: the one way
    the counts change. Rows are taken in key order, so two transactions that move
    several rows each lock them in the same order and never wait on each other."""
    rows = [{**k._asdict(), "entries": n} for k, n in sorted(deltas.items()) if n]
    if rows:
        _upsert(COUNTS, rows, ["entries"])


def add_waits(waits: dict[Group, tuple[list[float], list[float]]]) -> None:
    """Append waits (seconds to review, seconds to first action) to their groups: the
    one way waits are added. repr() gives back the very float stored."""
    rows = [
        {**g._asdict(), "review": "".join(f"{w!r}," for w in review), "action": "".join(f"{w!r}," for w in action)}
        for g, (review, action) in sorted(waits.items())
        if review or action
    ]
    if rows:
        _upsert(WAITS, rows, ["review", "action"])


def seconds_between(start, end, dialect: str):
    """Seconds from start to end as the database works them out (the reports' waits)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def entry_logged(entry: Entry) -> None:
    """Count a new entry (flushed: its time is set) at the status its state has, and
    any wait its state already has (an entry imported reviewed)."""
    apply({key(entry.school_id, entry.category_id, entry.created_at, entry.state.status): 1})
    waits_started(entry, entry.state.reviewed_at is not None, entry.state.first_action_at is not None)


def status_changed(entry: Entry, was: str, now: str) -> None:
    if was != now:
        apply(
            {
                key(entry.school_id, entry.category_id, entry.created_at, was): -1,
                key(entry.school_id, entry.category_id, entry.created_at, now): 1,
            }
        )


def waits_started(entry: Entry, reviewed: bool, acted: bool) -> None:
    """Add the entry's wait to its first review and/or first action (both flushed),
    worked out by the database as the reports always have."""
    if not (reviewed or acted):
        return
    dialect = db.session.get_bind().dialect.name
    review, action = db.session.execute(
        select(
            seconds_between(Entry.created_at, EntryState.reviewed_at, dialect),
            seconds_between(Entry.created_at, EntryState.first_action_at, dialect),
        )
        .select_from(Entry)
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(Entry.id == entry.id)
    ).one()
    group = Group(entry.school_id, month_key(entry.created_at), entry.category_id)
    add_waits({group: ([float(review)] if reviewed else [], [float(action)] if acted else [])})


def entries_deleted(entry_ids: Iterable[int]) -> None:
    """Uncount entries about to be deleted (call before the rows go), and work their
    groups' waits out again without them (a wait cannot be taken out of the text)."""
    ids = list(entry_ids)
    gone: Counter[Key] = Counter()
    for start in range(0, len(ids), 500):
        for row in db.session.execute(
            select(Entry.school_id, Entry.category_id, Entry.created_at, EntryState.status)
            .join(EntryState, EntryState.entry_id == Entry.id)
            .where(Entry.id.in_(ids[start : start + 500]))
        ):
            gone[key(*row)] -= 1
    apply(gone)
    groups = sorted({Group(k.school_id, k.month, k.category_id) for k in gone})
    for start in range(0, len(groups), 100):
        chunk = groups[start : start + 100]
        db.session.execute(delete(WAITS).where(or_(*(_is_group(WAITS.c, g) for g in chunk))))
        in_chunk = or_(
            *(
                and_(Entry.school_id == g.school_id, Entry.category_id == g.category_id, *_in_month(g.month))
                for g in chunk
            )
        )
        db.session.execute(insert(WAITS).from_select(WAIT_COLUMNS, waits_recounted(in_chunk, Entry.id.not_in(ids))))


def _is_group(columns, group: Group):
    return and_(*(columns[name] == value for name, value in group._asdict().items()))


def _in_month(month: str):
    year, number = map(int, month.split("-"))
    after = (year + number // 12, number % 12 + 1)
    return (
        Entry.created_at >= from_uk_local(datetime(year, number, 1)),
        Entry.created_at < from_uk_local(datetime(*after, 1)),
    )


# --- from scratch: the generator, the operator's check, the tests -----------------------


def uk_month(column, dialect: str):
    """The UK calendar month (YYYY-MM) of a stored UTC time, worked out by the database.

    PostgreSQL knows the time zone. SQLite does not, but only the last hour of a
    UTC month can fall in the next UK month, and only while British Summer Time
    is on, which it is at the end of March to September and not at the end of
    October to February: so those months' times move on an hour first. SQLite
    rounds a time to the millisecond, which would carry 23:59:59.9996 into the
    next month: the fraction of a second is cut off first (it never decides a month)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/London", func.timezone("UTC", column)), "YYYY-MM")
    whole_seconds = func.substr(column, 1, 19)
    in_summer_time = cast(func.strftime("%m", whole_seconds), Integer).between(3, 9)
    return func.strftime("%Y-%m", whole_seconds, case((in_summer_time, "+1 hour"), else_="+0 hours"))


COUNT_COLUMNS = ["school_id", "month", "category_id", "status", "entries"]
WAIT_COLUMNS = ["school_id", "month", "category_id", "review", "action"]


def recounted(*where):
    """The counts worked out from the entries themselves, as a SELECT of COUNT_COLUMNS."""
    month = uk_month(Entry.created_at, db.session.get_bind().dialect.name)
    return (
        select(Entry.school_id, month, Entry.category_id, EntryState.status, func.count())
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(*where)
        .group_by(Entry.school_id, month, Entry.category_id, EntryState.status)
    )


def waits_recounted(*where):
    """The waits worked out from the entries themselves, as a SELECT of WAIT_COLUMNS
    (each as text that reads back as the same float: 17 digits on SQLite, PostgreSQL's
    shortest exact form). A missing wait stays NULL, which the aggregate leaves out
    (SQLite's printf would write it as 0.0)."""
    dialect = db.session.get_bind().dialect.name
    month = uk_month(Entry.created_at, dialect)

    def listed(end):
        seconds = seconds_between(Entry.created_at, end, dialect)
        if dialect == "postgresql":
            return func.coalesce(func.string_agg(cast(seconds, String) + ",", literal("")), "")
        written = case((end.is_not(None), func.printf("%!.17g,", seconds)))
        return func.coalesce(func.group_concat(written, ""), "")

    return (
        select(
            Entry.school_id,
            month,
            Entry.category_id,
            listed(EntryState.reviewed_at),
            listed(EntryState.first_action_at),
        )
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(or_(EntryState.reviewed_at.is_not(None), EntryState.first_action_at.is_not(None)), *where)
        .group_by(Entry.school_id, month, Entry.category_id)
    )


def parsed(text: str) -> list[float]:
    """The waits of a group's text ("12.5,3600.0,"): each followed by a comma."""
    return list(map(float, text[:-1].split(","))) if text else []


def stored() -> dict[Key, int]:
    """The counts as kept, leaving out rows moved back to nought."""
    return {
        Key(r.school_id, r.month, r.category_id, r.status): r.entries
        for r in db.session.execute(select(COUNTS))
        if r.entries
    }


def stored_waits() -> dict[Group, tuple[list[float], list[float]]]:
    """The waits as kept, each group's sorted (their order is the order they happened)."""
    waits = {}
    for r in db.session.execute(select(WAITS)):
        if r.review or r.action:
            waits[Group(r.school_id, r.month, r.category_id)] = (sorted(parsed(r.review)), sorted(parsed(r.action)))
    return waits


def differences() -> dict:
    """Every count or group of waits kept that is not what the entries give: key -> (kept, recounted)."""
    have, want = stored(), {Key(*row[:4]): row[4] for row in db.session.execute(recounted())}
    wrong: dict = {
        k: (have.get(k, 0), want.get(k, 0)) for k in have.keys() | want.keys() if have.get(k, 0) != want.get(k, 0)
    }
    have_waits = stored_waits()
    want_waits = {
        Group(*row[:3]): (sorted(parsed(row[3])), sorted(parsed(row[4])))
        for row in db.session.execute(waits_recounted())
    }
    none: tuple = ([], [])
    for g in have_waits.keys() | want_waits.keys():
        if have_waits.get(g, none) != want_waits.get(g, none):
            wrong[g] = (have_waits.get(g, none), want_waits.get(g, none))
    return wrong


def recount() -> int:
    """Replace everything kept with what the entries give, set-based; returns the rows written."""
    db.session.execute(delete(COUNTS))
    db.session.execute(delete(WAITS))
    counted = db.session.execute(insert(COUNTS).from_select(COUNT_COLUMNS, recounted())).rowcount
    return counted + db.session.execute(insert(WAITS).from_select(WAIT_COLUMNS, waits_recounted())).rowcount
