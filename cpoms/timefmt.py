"""Times are stored in UTC and shown in UK time, through the BST changes."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def to_uk(value: datetime) -> datetime:
    return value.astimezone(UK)


def uk_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_uk(value)
    return f"{value.day} {value:%b %Y}"


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_uk(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


def uk_local_input(value: datetime) -> str:
    """The value a datetime-local input shows for an aware datetime."""
    return to_uk(value).strftime("%Y-%m-%dT%H:%M")


def from_uk_local(naive: datetime) -> datetime:
    """A wall-clock time typed in the UK, as UTC. In the repeated autumn hour the
    earlier reading is taken; a time skipped in spring moves forward an hour."""
    local = naive.replace(tzinfo=UK, fold=0)
    return local.astimezone(timezone.utc)


def waited(since: datetime, until: datetime | None = None) -> str:
    seconds = int(((until or now_utc()) - since).total_seconds())
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def uk_time(value: datetime) -> str:
    """The wall-clock time alone ("10:42"), for something that happened minutes ago."""
    return f"{to_uk(value):%H:%M}"
