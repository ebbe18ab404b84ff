from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from .. import alerts, audit
from ..extensions import db
from ..models import Category, Entry, EntryPupil, EntryState, Pupil, PupilRole, User
from ..reports import counters
from .sharing import alert_staff


def create_entry(
    recorded_by: User,
    pupils: list[Pupil],
    category: Category,
    source: str,
    occurred_at: datetime,
    narrative: str,
    child_words: str | None,
    told_dsl_in_person: bool,
    roles: dict[int, str] | None = None,
    alerted: list[User] = (),
) -> Entry:
    """A new entry, its pupils (each with their role), its state, its audit rows, its
    alerts to the safeguarding team and to the colleagues chosen, in one transaction."""
    roles = roles or {}
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
    entry.state = EntryState(status="open", school_id=entry.school_id)
    db.session.add(entry)
    db.session.flush()
    counters.entry_logged(entry)
    # One INSERT for all the pupils: an entry about a whole class costs what one about a child does.
    db.session.execute(
        insert(EntryPupil),
        [{"entry_id": entry.id, "pupil_id": p.id, "role": roles.get(p.id, PupilRole.DEFAULT)} for p in pupils],
    )
    named = {str(p.id): roles[p.id] for p in pupils if roles.get(p.id, PupilRole.DEFAULT) != PupilRole.DEFAULT}
    audit.record(
        audit.CREATE_ENTRY, entry=entry, user=recorded_by, category=category.name, **({"roles": named} if named else {})
    )
    team_alerts = alerts.queue_for_entry(entry)
    alert_staff(entry, recorded_by, list(alerted), team_alerts)
    db.session.flush()
    return entry
