"""Academic years and terms, as English schools count them.

Terms are taken by month so that every school in a trust reports on the same
periods: Autumn is September to December, Spring January to March, Summer
April to August. Boundaries are midnight UK time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..timefmt import from_uk_local, now_utc, to_uk

TERMS = {"autumn": ("Autumn", 9, 1), "spring": ("Spring", 1, 4), "summer": ("Summer", 4, 9)}
MONTHS_OF_YEAR = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    start_year: int  # of the academic year


def _midnight(day: date) -> datetime:
    return from_uk_local(datetime(day.year, day.month, day.day))


def current_academic_year(today: date | None = None) -> int:
    today = today or to_uk(now_utc()).date()
    return today.year if today.month >= 9 else today.year - 1


def year_label(start_year: int) -> str:
    return f"{start_year}/{str(start_year + 1)[-2:]}"


def academic_year(start_year: int) -> Period:
    return Period(
        year_label(start_year), _midnight(date(start_year, 9, 1)), _midnight(date(start_year + 1, 9, 1)), start_year
    )


def term(start_year: int, key: str) -> Period:
    name, first_month, end_month = TERMS[key]
    year = start_year if first_month >= 9 else start_year + 1
    end_year = year + 1 if end_month < first_month else year
    return Period(
        f"{name} {year}", _midnight(date(year, first_month, 1)), _midnight(date(end_year, end_month, 1)), start_year
    )


def terms_of(start_year: int) -> list[Period]:
    return [term(start_year, key) for key in TERMS]


def term_of(moment: datetime) -> Period:
    """The term a moment (UTC) falls in."""
    day = to_uk(moment).date()
    start_year = current_academic_year(day)
    return next(p for p in terms_of(start_year) if p.start <= moment < p.end)


def month_key(value: datetime) -> str:
    """The UK calendar month a moment falls in, as YYYY-MM."""
    return to_uk(value).strftime("%Y-%m")


def months_of(start_year: int) -> list[str]:
    return [f"{start_year + (m < 9)}-{m:02d}" for m in MONTHS_OF_YEAR]


def month_label(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").strftime("%b %Y")
