"""The retention review: pupils whose records have reached, or will reach within a
year, the end of the retention period (date of birth + RETENTION_YEARS). A list
for people to review; nothing here deletes anything."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

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


def due(school_ids, years: int, today: date) -> list[Due]:
    horizon = add_years(today + LOOK_AHEAD, -years)  # born on or before it: due within a year
    entries = (select(EntryPupil.pupil_id, func.count(Entry.id).label("n"))
               .join(Entry, Entry.id == EntryPupil.entry_id).group_by(EntryPupil.pupil_id).subquery())
    rows = db.session.execute(
        select(Pupil, func.coalesce(entries.c.n, 0))
        .outerjoin(entries, entries.c.pupil_id == Pupil.id)
        .where(Pupil.school_id.in_(school_ids), Pupil.date_of_birth <= horizon)
        .order_by(Pupil.date_of_birth, Pupil.last_name, Pupil.id)
    )
    return [Due(pupil, add_years(pupil.date_of_birth, years), n) for pupil, n in rows]
