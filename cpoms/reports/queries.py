"""The numbers behind the reports: counts and waiting times, never a pupil.

Counts and waits are kept by school, UK month and category as entries are
written (counters.py); terms and years are made of months, so a report reads
its months' rows, a few thousand at most, whatever the number of entries."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain

from sqlalchemy import func, select

from ..common import uk_today
from ..extensions import db
from ..keyinfo import queries as key_information
from ..keyinfo.models import StatusKind
from ..models import Category, School
from ..tasks.queries import counts_by_school
from ..timefmt import from_uk_local
from .counters import COUNTS, WAITS, parsed
from .periods import Period, month_key, month_label, months_of, terms_of


def first_year(school_ids) -> int | None:
    """The academic year the first of these schools' entries was logged in (None: none yet),
    from the kept counts: the reports offer no empty years before it."""
    first = db.session.scalar(
        select(func.min(COUNTS.c.month)).where(COUNTS.c.school_id.in_(school_ids), COUNTS.c.entries > 0)
    )
    if first is None:
        return None
    year, month = map(int, first.split("-"))
    return year if month >= 9 else year - 1


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


@lru_cache(maxsize=20_000)
def _sorted(text: str) -> tuple[float, ...]:
    """One group's waits, read and sorted once per process: a group's text only changes
    by growing (or by a retention deletion), so the same text means the same waits, and
    the years already over are read from this memo, not parsed again on every report.
    A year of a 20-school trust is about 3,400 texts (a review and an action text per
    school, month and category) and some 10 MB here: the memo holds about six."""
    return tuple(sorted(parsed(text)))


@lru_cache(maxsize=500)
def _median(texts: tuple[str, ...], dialect: str) -> tuple[float | None, int]:
    """The median of the waits of these groups, and how many there are; the median as
    each database's own gave it before the waits were kept: PostgreSQL's
    percentile_cont(0.5) goes half way from the lower middle value, Python's median
    halves their sum (the same but for the last bit of a float). The same texts give
    the same median, so a period over is worked out once per process."""
    values = sorted(chain.from_iterable(map(_sorted, texts)))  # sorted runs: a merge
    if not values:
        return None, 0
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle], len(values)
    lower, upper = values[middle - 1], values[middle]
    return (lower + (upper - lower) * 0.5 if dialect == "postgresql" else (lower + upper) / 2), len(values)


def _waits(school_ids: list[int], first_month: str, last_month: str, category_id: int | None) -> Waits:
    """The medians, from the kept waits of the schools and months (counters.py)."""
    query = (
        select(WAITS.c.category_id, WAITS.c.school_id, WAITS.c.review, WAITS.c.action)
        .where(WAITS.c.school_id.in_(school_ids), WAITS.c.month.between(first_month, last_month))
        .order_by(*WAITS.primary_key.columns)
    )
    if category_id:
        query = query.where(WAITS.c.category_id == category_id)
    review, action, school_review = defaultdict(list), defaultdict(list), defaultdict(list)
    for category, school, to_review, to_act in db.session.execute(query):
        # One object per text, however many reports held it: a memo's key costs pointers, not copies.
        to_review, to_act = sys.intern(to_review), sys.intern(to_act)
        review[category].append(to_review)
        school_review[school].append(to_review)
        action[category].append(to_act)
    dialect = db.engine.dialect.name

    def medians(texts_by_key) -> dict:
        found = {k: _median(tuple(texts), dialect) for k, texts in texts_by_key.items()}
        return {k: m for k, m in found.items() if m[1]}

    by_category, by_school, acted = medians(review), medians(school_review), medians(action)
    return Waits(
        review={k: m for k, (m, _) in by_category.items()},
        action={k: m for k, (m, _) in acted.items()},
        reviewed={k: n for k, (_, n) in by_category.items()},
        school_review={k: m for k, (m, _) in by_school.items()},
    )


def _counts(school_ids: list[int], first_month: str, last_month: str, category_id: int | None):
    """(category, school, status, month, entries) for the schools and months, from the kept counts."""
    query = select(COUNTS.c.category_id, COUNTS.c.school_id, COUNTS.c.status, COUNTS.c.month, COUNTS.c.entries).where(
        COUNTS.c.school_id.in_(school_ids), COUNTS.c.month.between(first_month, last_month)
    )
    if category_id:
        query = query.where(COUNTS.c.category_id == category_id)
    return db.session.execute(query).all()


def build(schools: list[School], categories: list[Category], period: Period, category_id: int | None) -> Report:
    if category_id:
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

    # A period is whole UK months, so its counts are its months' rows: a few thousand at most.
    counts = _counts([s.id for s in schools], first, last, category_id)
    waits = _waits([s.id for s in schools], first, last, category_id)
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
    tables["key_information"], tables["police_notifications"] = key_information_tables(schools, terms)
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


# --- key information and police notifications (keyinfo/) ------------------------------


def key_information_tables(schools: list[School], terms) -> tuple[Table, Table]:
    """Pupils with each status today, and police notifications recorded in each term of
    the period, per school: counts, no names (whatever category is chosen)."""
    ids = [s.id for s in schools]
    statuses = key_information.status_counts(ids)
    kinds = list(StatusKind.LABELS)
    status_rows = [[s.name, *(statuses.get(s.id, {}).get(k, 0) for k in kinds)] for s in schools]
    police = key_information.notification_counts(ids, terms)
    police_rows = [[s.name, *police.get(s.id, [0] * len(terms))] for s in schools]
    if len(schools) > 1:
        status_rows.append(["All schools shown", *(sum(r[i] for r in status_rows) for i in range(1, len(kinds) + 1))])
        police_rows.append(["All schools shown", *(sum(r[i] for r in police_rows) for i in range(1, len(terms) + 1))])
    return (
        Table(
            "key_information",
            "Pupils with each status today, by school",
            ["School", *(StatusKind.LABELS[k] for k in kinds)],
            status_rows,
        ),
        Table(
            "police_notifications",
            "Police notifications (Operation Encompass), by school and term",
            ["School", *(t.label for t in terms)],
            police_rows,
        ),
    )
