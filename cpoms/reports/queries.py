"""The numbers behind the reports: counts and waiting times, never a pupil.

The database counts entries by category, school, status and UK month; terms
are made of months. Medians need each wait, so those come back as plain numbers
of seconds (a year of a whole trust: about a hundred thousand)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import Integer, case, cast, func, or_, select, tuple_

from ..common import uk_today
from ..extensions import db
from ..models import Category, Entry, EntryState, School
from ..timefmt import from_uk_local, to_uk
from ..tasks.queries import counts_by_school
from .periods import Period, current_academic_year, month_key, month_label, months_of, terms_of


def first_year(school_ids) -> int | None:
    """The academic year the first of these schools' entries was logged in (None: none yet).
    One MIN over the (school, when logged) index: the reports offer no empty years before it."""
    first = db.session.scalar(select(func.min(Entry.created_at)).where(Entry.school_id.in_(school_ids)))
    return current_academic_year(to_uk(first).date()) if first else None


@dataclass
class Table:
    """One table of a report: shown on the page, drawn as a chart, downloaded as CSV."""

    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Report:
    total: int
    tables: dict[str, Table]
    by_month: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    review_hours: list[tuple[str, float | None]]
    overdue_tasks: int = 0
    overdue_by_school: list[tuple[str, int]] = field(default_factory=list)


def _uk_month(column, dialect: str):
    """The UK calendar month (YYYY-MM) of a stored UTC time, worked out by the database.

    PostgreSQL knows the time zone. SQLite does not, but only the last hour of a
    UTC month can fall in the next UK month, and only while British Summer Time
    is on, which it is at the end of March to September and not at the end of
    October to February: so those months' times move on an hour first."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/London", func.timezone("UTC", column)), "YYYY-MM")
    in_summer_time = cast(func.strftime("%m", column), Integer).between(3, 9)
    return func.strftime("%Y-%m", column, case((in_summer_time, "+1 hour"), else_="+0 hours"))


def _seconds(start, end, dialect: str):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _month_start(key: str):
    year, month = map(int, key.split("-"))
    return from_uk_local(datetime(year, month, 1))


def hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None


@dataclass
class Waits:
    """Median seconds from logging to first review and to first action."""

    review: dict[int, float] = field(default_factory=dict)  # by category
    action: dict[int, float] = field(default_factory=dict)  # by category
    reviewed: dict[int, int] = field(default_factory=dict)  # entries reviewed, by category
    school_review: dict[int, float] = field(default_factory=dict)  # by school


def _waits_anywhere(scope, dialect: str) -> Waits:
    """Every wait, as a plain number of seconds; the medians taken here."""
    query = (
        select(
            Entry.category_id,
            Entry.school_id,
            _seconds(Entry.created_at, EntryState.reviewed_at, dialect),
            _seconds(Entry.created_at, EntryState.first_action_at, dialect),
        )
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(*scope, or_(EntryState.reviewed_at.is_not(None), EntryState.first_action_at.is_not(None)))
    )
    review, action, school_review = defaultdict(list), defaultdict(list), defaultdict(list)
    for category, school, reviewed, acted in db.session.execute(query):
        if reviewed is not None:
            review[category].append(reviewed)
            school_review[school].append(reviewed)
        if acted is not None:
            action[category].append(acted)
    return Waits(
        review={k: median(v) for k, v in review.items()},
        action={k: median(v) for k, v in action.items()},
        reviewed={k: len(v) for k, v in review.items()},
        school_review={k: median(v) for k, v in school_review.items()},
    )


def _postgresql(scope, month) -> tuple[list, Waits]:
    """Counts and medians from PostgreSQL in one scan: grouping sets give the
    counts by category, school, status and month, and the medians by category
    and by school."""
    review = _seconds(Entry.created_at, EntryState.reviewed_at, "postgresql")
    action = _seconds(Entry.created_at, EntryState.first_action_at, "postgresql")
    detail = func.grouping(Entry.category_id, Entry.school_id, EntryState.status, month)
    query = (
        select(
            detail,
            Entry.category_id,
            Entry.school_id,
            EntryState.status,
            month,
            func.count(),
            func.percentile_cont(0.5).within_group(review),
            func.percentile_cont(0.5).within_group(action),
            func.count(review),
        )
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(*scope)
        .group_by(
            func.grouping_sets(
                tuple_(Entry.category_id, Entry.school_id, EntryState.status, month),
                tuple_(Entry.category_id),
                tuple_(Entry.school_id),
            )
        )
    )
    counts, waits = [], Waits()
    for level, category, school, status, month_of_entry, n, to_review, to_act, reviewed in db.session.execute(query):
        if level == 0:  # every column grouped on: a count
            counts.append((category, school, status, month_of_entry, n))
        elif category is not None:
            if to_review is not None:
                waits.review[category] = float(to_review)
            if to_act is not None:
                waits.action[category] = float(to_act)
            waits.reviewed[category] = reviewed
        elif to_review is not None:
            waits.school_review[school] = float(to_review)
    return counts, waits


def build(schools: list[School], categories: list[Category], period: Period, category_id: int | None) -> Report:
    dialect = db.engine.dialect.name
    scope = [
        Entry.school_id.in_([s.id for s in schools]),
        Entry.created_at >= period.start,
        Entry.created_at < period.end,
    ]
    if category_id:
        scope.append(Entry.category_id == category_id)
        categories = [c for c in categories if c.id == category_id]

    first, last = month_key(period.start), month_key(period.end - timedelta(microseconds=1))
    months = [m for m in months_of(period.start_year) if first <= m <= last]
    terms = [t for t in terms_of(period.start_year) if t.start < period.end and t.end > period.start]
    term_of_month = {
        m: t.label for t in terms for m in months_of(period.start_year) if t.start <= _month_start(m) < t.end
    }
    per_month: dict[str, Counter] = defaultdict(Counter)
    per_term: dict[str, Counter] = defaultdict(Counter)
    per_category: Counter = Counter()
    per_school: dict[int, Counter] = defaultdict(Counter)

    # Counted by the database: a few hundred groups, whatever the number of entries.
    month = _uk_month(Entry.created_at, dialect)
    if dialect == "postgresql":
        counts, waits = _postgresql(scope, month)
    else:
        counts = db.session.execute(
            select(Entry.category_id, Entry.school_id, EntryState.status, month, func.count())
            .join(EntryState, EntryState.entry_id == Entry.id)
            .where(*scope)
            .group_by(Entry.category_id, Entry.school_id, EntryState.status, month)
        ).all()
        waits = _waits_anywhere(scope, dialect)
    for category, school, status, month_of_entry, n in counts:
        per_month[month_of_entry][category] += n
        if month_of_entry in term_of_month:
            per_term[term_of_month[month_of_entry]][category] += n
        per_category[category] += n
        per_school[school][status] += n

    names = [c.name for c in categories]
    ids = [c.id for c in categories]

    def counts_table(key, title, first, periods, counter):
        rows = [[label, *[counter[p][i] for i in ids], sum(counter[p].values())] for p, label in periods]
        return Table(key, title, [first, *names, "Total"], rows)

    tables = {
        "months": counts_table(
            "months", "Entries by month and category", "Month", [(m, month_label(m)) for m in months], per_month
        ),
        "terms": counts_table(
            "terms", "Entries by term and category", "Term", [(t.label, t.label) for t in terms], per_term
        ),
        "timings": Table(
            "timings",
            "Median hours from logging to first review and to first action",
            ["Category", "Entries", "Reviewed", "Median hours to review", "Median hours to first action"],
            [
                [
                    c.name,
                    per_category[c.id],
                    waits.reviewed.get(c.id, 0),
                    hours(waits.review.get(c.id)),
                    hours(waits.action.get(c.id)),
                ]
                for c in categories
            ],
        ),
        "schools": Table(
            "schools",
            "Open and closed entries by school",
            ["School", "Entries", "Open", "Closed", "Median hours to review"],
            [
                [
                    s.name,
                    sum(per_school[s.id].values()),
                    per_school[s.id]["open"],
                    per_school[s.id]["closed"],
                    hours(waits.school_review.get(s.id)),
                ]
                for s in schools
            ],
        ),
    }
    tables["tasks"], overdue = tasks_table(schools, category_id)
    return Report(
        overdue_tasks=overdue,
        overdue_by_school=[(row[0], row[2]) for row in tables["tasks"].rows[: len(schools)]],
        total=sum(per_category.values()),
        tables=tables,
        by_month=[(month_label(m), sum(per_month[m].values())) for m in months],
        by_category=[(c.name, per_category[c.id]) for c in categories],
        review_hours=[(c.name, hours(waits.review.get(c.id))) for c in categories],
    )


# --- overdue tasks ------------------------------------------------------------------


def tasks_table(schools: list[School], category_id: int | None) -> tuple[Table, int]:
    """Open and overdue tasks today, per school and for all the schools shown: a
    count as things stand, whatever period is chosen. Names no one."""
    counts = counts_by_school([s.id for s in schools], uk_today(), category_id)
    rows = [[s.name, *counts.get(s.id, (0, 0))] for s in schools]
    open_all, overdue_all = sum(r[1] for r in rows), sum(r[2] for r in rows)
    if len(schools) > 1:
        rows.append(["All schools shown", open_all, overdue_all])
    return Table(
        "tasks", "Open and overdue tasks today, by school", ["School", "Open tasks", "Overdue tasks"], rows
    ), overdue_all
