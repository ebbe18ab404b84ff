from __future__ import annotations

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from .. import alerts, policy
from ..common import uk_today
from ..entries.models import in_category
from ..extensions import db
from ..keyinfo import policy as keyinfo_policy
from ..keyinfo.queries import filter_choices, notifications_in, with_active_status
from ..models import Category, Entry, EntryPupil, EntryState, FollowUp, Kind, School
from ..monitoring import policy as monitoring_policy
from ..monitoring.queries import monitored
from ..reports.periods import current_academic_year, terms_of
from ..tasks.queries import overdue_tasks
from ..timefmt import now_utc

STATUSES = {
    "open": "Open",
    "unreviewed": "Not yet reviewed",
    "closed": "Closed",
    "all": "All",
}
PER_PAGE = 25
# Kind.RISK_LEVELS runs from the lowest to the highest.
RISK_RANK = {level: rank for rank, level in enumerate(Kind.RISK_LEVELS)}


def review_queue(user, school_ids, category_id: int | None, status: str, page: int, key: str | None = None):
    """One page of entries and whether more follow: first the open entries nobody has
    reviewed in a category that alerts the team, oldest first; then the other open
    unreviewed ones, oldest first; then the rest, newest first."""
    # The page is chosen from entry_states alone: its own columns, alerts_team among them,
    # are all the order reads (ids rise in the order entries were logged), and one
    # per-school index holds them all; entries are joined only for the rows shown.
    chosen = select(EntryState.entry_id).where(
        EntryState.school_id.in_(school_ids), policy.open_entries(user, EntryState.entry_id)
    )
    if category_id:  # as recorded, or added later
        chosen = chosen.join(Entry, Entry.id == EntryState.entry_id).where(in_category(category_id))
    if key:
        chosen = chosen.where(
            exists().where(EntryPupil.entry_id == EntryState.entry_id, EntryPupil.pupil_id.in_(with_active_status(key)))
        )
    if status == "open":
        chosen = chosen.where(EntryState.status == "open")
    elif status == "closed":
        chosen = chosen.where(EntryState.status == "closed")
    elif status == "unreviewed":
        chosen = chosen.where(EntryState.reviewed_at.is_(None))
    waiting = and_(EntryState.reviewed_at.is_(None), EntryState.status == "open")
    rank = case((waiting, case((EntryState.alerts_team, 0), else_=1)), else_=2)
    waited = case((waiting, EntryState.entry_id))  # oldest first while waiting (NULL for the rest)
    chosen = (
        chosen.add_columns(rank.label("rank"), waited.label("waited"))
        .order_by(rank, waited, EntryState.entry_id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
        .subquery()
    )
    query = (
        select(Entry)
        .join(chosen, chosen.c.entry_id == Entry.id)
        .join(EntryState, EntryState.entry_id == Entry.id)
        # Later categories: a row shows why it leads the queue ("now also: Safeguarding").
        .options(contains_eager(Entry.state), selectinload(Entry.later_categories))
        .order_by(chosen.c.rank, chosen.c.waited, chosen.c.entry_id.desc())
    )
    rows = list(db.session.scalars(query).unique())
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def highest_risks(entry_ids) -> dict[int, str]:
    """The highest level of risk recorded in any assessment of each entry (one query)."""
    if not entry_ids:
        return {}
    found: dict[int, str] = {}
    for entry_id, level in db.session.execute(
        select(FollowUp.entry_id, FollowUp.risk_level)
        .distinct()
        .where(FollowUp.entry_id.in_(entry_ids), FollowUp.kind == Kind.RISK, FollowUp.risk_level.is_not(None))
    ):
        if RISK_RANK.get(level, -1) > RISK_RANK.get(found.get(entry_id), -1):
            found[entry_id] = level
    return found


def unreviewed_count(school_ids) -> int:
    if not school_ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(EntryState.entry_id)).where(
                EntryState.school_id.in_(school_ids), EntryState.reviewed_at.is_(None)
            )
        )
        or 0
    )


def reviewed_schools(user) -> list[School]:
    return list(
        db.session.scalars(select(School).where(School.id.in_(policy.review_school_ids(user))).order_by(School.name))
    )


def queue_page(user, chosen, categories: list[Category]) -> dict:
    """The queue's page of entries, with the team's other worklists at the chosen schools:
    pupils monitored, tasks overdue, alerts not delivered."""
    school_ids = chosen.school_ids
    entries, has_more = review_queue(user, school_ids, chosen.category_id, chosen.status, chosen.page, chosen.key)
    watching = monitoring_policy.monitoring_list_school_ids(user) & set(school_ids)
    return {
        "entries": entries,
        "risks": highest_risks([e.id for e in entries]),
        "has_more": has_more,
        "page": chosen.page,
        "schools": chosen.schools,
        "school": chosen.school,
        "categories": categories,
        "category_id": chosen.category_id,
        "status": chosen.status,
        "statuses": STATUSES,
        **waiting_and_police(user, school_ids),
        "undelivered": alerts.undelivered_count(school_ids),
        "failed": alerts.failed_count(policy.alert_retry_school_ids(user) & set(school_ids)),
        "monitored": monitored(user, watching, with_active_status(chosen.key) if chosen.key else None),
        "key": chosen.key,
        "key_kinds": filter_choices(),
        "overdue_tasks": overdue_tasks(user, watching, uk_today()),
    }


def waiting_and_police(user, school_ids) -> dict:
    """Entries not yet reviewed at these schools, and the police notifications recorded this
    term at those of them where this user is on the team (None where on none): counts, no
    names, in one query."""
    waiting = (
        select(func.count(EntryState.entry_id))
        .where(EntryState.school_id.in_(school_ids), EntryState.reviewed_at.is_(None))
        .scalar_subquery()
    )
    team = sorted(keyinfo_policy.police_school_ids(user) & set(school_ids))
    if not team:
        return {"waiting": db.session.scalar(select(waiting)) or 0, "police": None}
    now = now_utc()
    term = next(t for t in terms_of(current_academic_year()) if t.start <= now < t.end)
    waiting_count, police = db.session.execute(select(waiting, notifications_in(team, term))).one()
    return {"waiting": waiting_count or 0, "police": {"term": term.label, "total": police or 0}}
