"""Reading the audit log: newest first, a page at a time.

Pages are keyed on the chain's sequence number (`before=`), not an offset, so a
page costs the same on the millionth event as on the first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, false, or_, select

from ..audit import AuditEvent
from ..common import escape_like
from ..extensions import db
from ..log.queries import search_pupils
from ..models import EntryPupil, Pupil, School, User

PAGE_SIZE = 50
# A pupil filter that matches more pupils than this is too vague to be useful.
MAX_PUPIL_MATCHES = 20


@dataclass
class Page:
    rows: list = field(default_factory=list)
    older_than: int | None = None  # the `before=` of the next page, when there is one


def _page(query: Select, before: int | None) -> Page:
    if before:
        query = query.where(AuditEvent.seq < before)
    rows = db.session.execute(query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE + 1)).all()
    if len(rows) > PAGE_SIZE:
        return Page(rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].AuditEvent.seq)
    return Page(rows)


def _with_names() -> Select:
    """Each event with who did it, the pupil and the school, in one query."""
    return (
        select(AuditEvent, User, Pupil, School.name.label("school_name"))
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Pupil, Pupil.id == AuditEvent.pupil_id)
        .outerjoin(School, School.id == AuditEvent.school_id)
    )


def _about_pupils(pupil_ids: list[int]):
    """Events on these pupils' chronologies or on any entry naming one of them."""
    return or_(
        AuditEvent.pupil_id.in_(pupil_ids),
        AuditEvent.entry_id.in_(select(EntryPupil.entry_id).where(EntryPupil.pupil_id.in_(pupil_ids))),
    )


def record_views(pupil_id: int, actions, before: int | None) -> Page:
    query = _with_names().where(_about_pupils([pupil_id]), AuditEvent.action.in_(actions))
    return _page(query, before)


@dataclass
class Filters:
    who: str = ""
    pupil: str = ""
    action: str = ""
    since: datetime | None = None  # UTC
    until: datetime | None = None  # UTC, exclusive


def audit_log(school_ids: frozenset[int], scope, filters: Filters, before: int | None) -> Page:
    """scope: policy.audit_log_scope's WHERE clause, the events this reader may see."""
    query = _with_names().where(scope)
    if filters.who:
        pattern = f"%{escape_like(filters.who.lower())}%"
        query = query.where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))
    if filters.pupil:
        matches = [p.id for p in search_pupils(school_ids, filters.pupil, MAX_PUPIL_MATCHES, active_only=False)]
        query = query.where(_about_pupils(matches) if matches else false())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    return _page(query, before)
