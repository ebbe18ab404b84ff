from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert

from .. import alerts, audit, policy
from ..extensions import db
from ..models import Category, Entry, EntryPupil, EntryState, Pupil, PupilRole, User
from .checks import record_warnings
from .extras import Extras
from .forms import LogEntryForm
from .queries import alertable_staff
from ..reports import counters
from .sharing import alert_staff


def create_entry(recorded_by: User, alerted: list[User] = (), **details) -> Entry:
    """A new entry as record_entry makes it from `details` (its pupils with their roles,
    its state, its audit row), with its alerts to the safeguarding team and to the
    colleagues chosen, in one transaction."""
    entry = record_entry(recorded_by, **details)
    team_alerts = alerts.queue_for_entry(entry)
    alert_staff(entry, recorded_by, list(alerted), team_alerts)
    db.session.flush()
    return entry


def record_entry(
    recorded_by: User,
    pupils: list[Pupil],
    category: Category,
    source: str,
    occurred_at: datetime,
    narrative: str,
    child_words: str | None,
    told_dsl_in_person: bool,
    roles: dict[int, str] | None = None,
    recorded_at: datetime | None = None,
) -> Entry:
    """The entry, its pupils, its state and its audit row, and no alert: what
    create_entry alerts about, and the demo's history (recorded_at in the past), which
    nobody is to be alerted to now."""
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
    if recorded_at is not None:
        entry.created_at = entry.state.updated_at = recorded_at
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
    return entry


@dataclass
class Logged:
    """A save of the log form: the entry (None when it was not saved), the colleagues
    alerted, the gentle warnings it was held back for, and the page's status."""

    entry: Entry | None = None
    alerted: list[User] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: int = 200


def log_concern(user: User, form: LogEntryForm, pupils: list[Pupil], categories, extras: Extras) -> Logged:
    """Check the form, its pupils, files and body map and the colleagues to alert, all at
    once (every message shown together); hold a first save worth a second look back with
    its warnings; else create the entry, with its files and marks. Flushes only."""
    valid = form.validate_with(pupils) & extras.valid
    alerted = []
    if pupils and (form.alert_staff.data or form.alert_staff.unreadable):
        school = pupils[0].school
        alertable = policy.alertable_school_ids(user) & {school.id}
        offered = alertable_staff(alertable, user.id, [p.id for p in pupils])
        alerted = form.validate_alerted({u.id: u for u, _, _ in offered}, school.name)
    if not valid or form.alert_staff.errors:
        return Logged(status=422)
    if form.checked.data != "1" and (
        warnings := record_warnings(form.narrative.data, form.child_words.data, form.source.data)
    ):
        # Valid, but worth a second look: shown once, then a save stands as it is.
        form.checked.data = "1"
        return Logged(warnings=warnings)
    entry = create_entry(
        recorded_by=user,
        pupils=pupils,
        category=next(c for c in categories if c.id == form.category.data),
        source=form.source.data,
        occurred_at=form.occurred_at.utc,
        narrative=form.narrative.data.strip(),
        child_words=(form.child_words.data or "").strip(),
        told_dsl_in_person=form.told_dsl_in_person.data,
        roles={p.id: form.pupil_roles.role(p.id) for p in pupils},
        alerted=alerted,
    )
    extras.save(user, entry)
    return Logged(entry=entry, alerted=alerted)
