from __future__ import annotations

from datetime import datetime

from .. import alerts, audit
from ..extensions import db
from ..models import Category, Entry, EntryPupil, EntryState, Pupil, User


def create_entry(
    recorded_by: User,
    pupils: list[Pupil],
    category: Category,
    source: str,
    occurred_at: datetime,
    narrative: str,
    child_words: str | None,
    told_dsl_in_person: bool,
) -> Entry:
    """A new entry, its pupils, its state, its audit row and its alerts, in one transaction."""
    entry = Entry(
        school_id=pupils[0].school_id,
        category=category,
        recorded_by=recorded_by,
        source=source,
        occurred_at=occurred_at,
        narrative=narrative,
        child_words=child_words or None,
        told_dsl_in_person=told_dsl_in_person,
    )
    entry.entry_pupils = [EntryPupil(pupil=p) for p in pupils]
    entry.state = EntryState(status="open", school_id=entry.school_id)
    db.session.add(entry)
    db.session.flush()
    audit.record(audit.CREATE_ENTRY, entry=entry, user=recorded_by, category=category.name)
    alerts.queue_for_entry(entry)
    db.session.flush()
    return entry
