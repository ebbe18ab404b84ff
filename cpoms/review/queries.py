from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Entry, EntryState, in_category

STATUSES = {
    "open": "Open",
    "unreviewed": "Not yet reviewed",
    "closed": "Closed",
    "all": "All",
}
PER_PAGE = 25


def review_queue(school_ids, category_id: int | None, status: str, page: int):
    """One page of entries, unreviewed first then newest; and whether more follow."""
    query = (
        select(Entry)
        .join(EntryState, EntryState.entry_id == Entry.id)
        .options(contains_eager(Entry.state))
        .where(EntryState.school_id.in_(school_ids))
    )
    if category_id:
        query = query.where(in_category(category_id))  # as recorded, or added later
    if status == "open":
        query = query.where(EntryState.status == "open")
    elif status == "closed":
        query = query.where(EntryState.status == "closed")
    elif status == "unreviewed":
        query = query.where(EntryState.reviewed_at.is_(None))
    # Newest first by id: ids rise in the order entries were logged, and the
    # per-school index on entry_states holds them.
    query = query.order_by(
        case((EntryState.reviewed_at.is_(None), 0), else_=1),
        EntryState.entry_id.desc(),
    ).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    rows = list(db.session.scalars(query).unique())
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def unreviewed_count(school_ids) -> int:
    if not school_ids:
        return 0
    return db.session.scalar(
        select(func.count(EntryState.entry_id))
        .where(EntryState.school_id.in_(school_ids), EntryState.reviewed_at.is_(None))
    ) or 0
