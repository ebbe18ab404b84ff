from __future__ import annotations

from sqlalchemy import BigInteger, cast, select
from sqlalchemy.orm import selectinload

from .. import policy
from ..entries.models import in_category
from ..extensions import db
from ..models import Entry
from ..reports.periods import Period

PER_PAGE = 10
MAX_PAGE = 1000
# A prime larger than any id: (id × m) mod it, for a large m drawn from the seed,
# shuffles ids the same way for the same seed and differently for another.
SHUFFLE_PRIME = 2_147_483_659
SPREAD = 2_654_435_761  # Knuth's multiplicative hash constant: makes m large for any seed


def oversight_entries(
    user, school_ids, period: Period, category_id: int | None, sample: int | None, seed: int, page: int
) -> tuple[list[Entry], bool]:
    """A page of the period's entries this user may read, newest first; or a repeatable random sample."""
    query = (
        select(Entry)
        .where(
            Entry.school_id.in_(school_ids),
            Entry.created_at >= period.start,
            Entry.created_at < period.end,
            policy.open_entries(user),
        )
        .options(selectinload(Entry.follow_ups), selectinload(Entry.later_categories), selectinload(Entry.amendments))
    )
    if category_id:
        query = query.where(in_category(category_id))
    if sample:
        multiplier = (seed * SPREAD) % SHUFFLE_PRIME or 1
        shuffled = (cast(Entry.id, BigInteger) * multiplier) % SHUFFLE_PRIME
        rows = list(db.session.scalars(query.order_by(shuffled, Entry.id).limit(sample)).unique())
        return sorted(rows, key=lambda e: (e.created_at, e.id), reverse=True), False
    query = query.order_by(Entry.created_at.desc(), Entry.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    rows = list(db.session.scalars(query).unique())
    return rows[:PER_PAGE], len(rows) > PER_PAGE
