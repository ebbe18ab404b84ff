"""School days, for "overdue": weekdays that are not bank holidays in England and Wales.

The bank holidays are a fixed list for 2025 to 2028 (gov.uk's published dates,
substitute days included); school term dates (half terms, the summer) are not
known to the app and count as school days. Extend the list for later years.
"""

from __future__ import annotations

from datetime import date, timedelta

BANK_HOLIDAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2025-01-01",
        "2025-04-18",
        "2025-04-21",
        "2025-05-05",
        "2025-05-26",
        "2025-08-25",
        "2025-12-25",
        "2025-12-26",
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-27",
        "2027-12-28",
        "2028-01-03",
        "2028-04-14",
        "2028-04-17",
        "2028-05-01",
        "2028-05-29",
        "2028-08-28",
        "2028-12-25",
        "2028-12-26",
    )
)
RECEIPT_WITHIN = 5  # school days after sending


def is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def add_school_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_school_day(day):
            days -= 1
    return day


def receipt_due(sent_on: date) -> date:
    """The day a transfer without a receipt becomes overdue: the 5th school day after it was sent."""
    return add_school_days(sent_on, RECEIPT_WITHIN)


def is_overdue(sent_on: date | None, today: date) -> bool:
    return sent_on is not None and today >= receipt_due(sent_on)
