"""The retention review: pupils whose records have reached, or will reach within a
year, the end of the retention period (date of birth + RETENTION_YEARS). A list
for people to review; nothing here deletes anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from .. import policy
from ..extensions import db
from ..models import Entry, EntryPupil, Pupil

LOOK_AHEAD = timedelta(days=365)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Due:
    pupil: Pupil
    until: date  # the day the retention period ends
    entries: int


def counted_from(pupil: Pupil) -> date:
    """The date of birth the period is counted from: an earlier one from the MIS only
    once a DSL has accepted it (mis/pupils.py)."""
    return pupil.retention_date_of_birth or pupil.date_of_birth


def ends(pupil: Pupil, years: int) -> date:
    return add_years(counted_from(pupil), years)


def flagged(user, school_ids) -> list[Pupil]:
    """Pupils the MIS gives an earlier date of birth that no DSL has accepted yet (none
    whose record this user is excluded from)."""
    return list(
        db.session.scalars(
            select(Pupil)
            .where(
                Pupil.school_id.in_(school_ids),
                Pupil.retention_date_of_birth.is_not(None),
                policy.open_pupils(user),
            )
            .order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
        )
    )


def due(user, school_ids, years: int, today: date) -> list[Due]:
    horizon = add_years(today + LOOK_AHEAD, -years)  # born on or before it: due within a year
    entries = (
        select(EntryPupil.pupil_id, func.count(Entry.id).label("n"))
        .join(Entry, Entry.id == EntryPupil.entry_id)
        .group_by(EntryPupil.pupil_id)
        .subquery()
    )
    born = func.coalesce(Pupil.retention_date_of_birth, Pupil.date_of_birth)
    rows = db.session.execute(
        select(Pupil, func.coalesce(entries.c.n, 0))
        .outerjoin(entries, entries.c.pupil_id == Pupil.id)
        .where(Pupil.school_id.in_(school_ids), born <= horizon, policy.open_pupils(user))
        .order_by(born, Pupil.last_name, Pupil.id)
    )
    return [Due(pupil, ends(pupil, years), n) for pupil, n in rows]
