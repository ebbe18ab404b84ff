"""Small building blocks every area shares: the UK calendar day, safe redirects and
escaping. A leaf of the import graph: it imports no other part of the app but timefmt,
so models and every area may use it."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import update

from .extensions import db
from .timefmt import now_utc, to_uk

# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def uk_today() -> date:
    """Today in the UK: due dates, reviews and transfers fall on UK calendar days."""
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


def safe_next(target: str | None) -> str | None:
    """Follow next= only to a path on this site: never to another host. No control
    characters either: urlsplit drops CR, LF and tab before looking for a host, and
    a line break in a Location header is a server error (or a header planted)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def escape_like(text: str) -> str:
    """Text matched literally by LIKE ... ESCAPE '\\': its % and _ are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet will not run: text that starts like a formula
    (=, +, -, @, a tab or a carriage return) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def size_label(size: int) -> str:
    """A file's size as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def claim_confirmation(proposal, by_id: int) -> bool:
    """Mark a two-person proposal confirmed by this person, once: of two confirmations at
    the same moment, only the one whose UPDATE still found it unconfirmed goes on."""
    model = type(proposal)
    claimed = db.session.execute(
        update(model)
        .where(model.id == proposal.id, model.confirmed_at.is_(None))
        .values(confirmed_by_id=by_id, confirmed_at=now_utc())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        db.session.refresh(proposal)
    return claimed == 1
