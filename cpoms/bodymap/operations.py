"""Saving an entry's body map: its marks, and one audit row."""
from __future__ import annotations

from .. import audit
from ..extensions import db
from ..models import BodyMapMark, Entry, User
from .marks import Mark


def save_marks(user: User, entry: Entry, marks: list[Mark]) -> list[BodyMapMark]:
    if not marks:
        return []
    rows = [BodyMapMark(entry_id=entry.id, number=m.number, view=m.view, x=m.x, y=m.y, area=m.area,
                        description=m.description) for m in marks]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(audit.ADD_BODY_MAP, entry=entry, user=user, marks=len(rows))
    return rows
