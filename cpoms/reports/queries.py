"""The numbers behind the reports: counts and waiting times, never a pupil.

One query fetches the period's entries (when logged, category, school, where
each stands); the counting is done here, in UK months and terms. A year of a
whole trust is about a hundred thousand small rows."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median

from sqlalchemy import select

from ..extensions import db
from ..models import Category, Entry, EntryState, School
from .periods import Period, month_key, month_label, months_of, terms_of


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


def hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None


def _median_hours(waits: list[float]) -> float | None:
    return hours(median(waits)) if waits else None


def build(schools: list[School], categories: list[Category], period: Period, category_id: int | None) -> Report:
    query = (
        select(Entry.created_at, Entry.category_id, Entry.school_id,
               EntryState.status, EntryState.reviewed_at, EntryState.first_action_at)
        .join(EntryState, EntryState.entry_id == Entry.id)
        .where(Entry.school_id.in_([s.id for s in schools]),
               Entry.created_at >= period.start, Entry.created_at < period.end)
    )
    if category_id:
        query = query.where(Entry.category_id == category_id)
        categories = [c for c in categories if c.id == category_id]

    first, last = month_key(period.start), month_key(period.end - timedelta(microseconds=1))
    months = [m for m in months_of(period.start_year) if first <= m <= last]
    terms = [t for t in terms_of(period.start_year) if t.start < period.end and t.end > period.start]
    per_month: dict[str, Counter] = defaultdict(Counter)
    per_term: dict[str, Counter] = defaultdict(Counter)
    per_category: Counter = Counter()
    review_waits: dict[int, list[float]] = defaultdict(list)
    action_waits: dict[int, list[float]] = defaultdict(list)
    per_school: dict[int, Counter] = defaultdict(Counter)
    school_review_waits: dict[int, list[float]] = defaultdict(list)

    for created, category, school, status, reviewed, acted in db.session.execute(query):
        per_month[month_key(created)][category] += 1
        term = next((t.label for t in terms if t.start <= created < t.end), None)
        if term:
            per_term[term][category] += 1
        per_category[category] += 1
        per_school[school][status] += 1
        if reviewed:
            wait = (reviewed - created).total_seconds()
            review_waits[category].append(wait)
            school_review_waits[school].append(wait)
        if acted:
            action_waits[category].append((acted - created).total_seconds())

    names = [c.name for c in categories]
    ids = [c.id for c in categories]

    def counts_table(key, title, first, periods, counter):
        rows = [[label, *[counter[p][i] for i in ids], sum(counter[p].values())] for p, label in periods]
        return Table(key, title, [first, *names, "Total"], rows)

    tables = {
        "months": counts_table("months", "Entries by month and category", "Month",
                               [(m, month_label(m)) for m in months], per_month),
        "terms": counts_table("terms", "Entries by term and category", "Term",
                              [(t.label, t.label) for t in terms], per_term),
        "timings": Table("timings", "Median hours from logging to first review and to first action",
                         ["Category", "Entries", "Reviewed", "Median hours to review", "Median hours to first action"],
                         [[c.name, per_category[c.id], len(review_waits[c.id]),
                           _median_hours(review_waits[c.id]), _median_hours(action_waits[c.id])] for c in categories]),
        "schools": Table("schools", "Open and closed entries by school",
                         ["School", "Entries", "Open", "Closed", "Median hours to review"],
                         [[s.name, sum(per_school[s.id].values()), per_school[s.id]["open"],
                           per_school[s.id]["closed"], _median_hours(school_review_waits[s.id])] for s in schools]),
    }
    return Report(
        total=sum(per_category.values()),
        tables=tables,
        by_month=[(month_label(m), sum(per_month[m].values())) for m in months],
        by_category=[(c.name, per_category[c.id]) for c in categories],
        review_hours=[(c.name, _median_hours(review_waits[c.id])) for c in categories],
    )
