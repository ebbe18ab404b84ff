"""Tasks and monitoring reviews fall due on UK calendar days."""
from __future__ import annotations

from datetime import date, timedelta

from ..timefmt import now_utc, to_uk

# How far ahead a due or review date may be set: a school year and a bit.
FURTHEST = timedelta(days=400)


def uk_today() -> date:
    return to_uk(now_utc()).date()


def due_words(due_on: date, today: date | None = None) -> str:
    """How a due date stands, in words (colour is never the only sign)."""
    today = today or uk_today()
    days = (due_on - today).days
    if days < 0:
        late = -days
        return f"Overdue by {late} {'day' if late == 1 else 'days'}"
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    return f"Due in {days} days"
