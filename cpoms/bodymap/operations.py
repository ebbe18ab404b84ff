"""Saving an entry's body map: its marks in one INSERT, and one audit event."""

from __future__ import annotations

from sqlalchemy import insert

from .. import audit
from ..extensions import db
from ..models import Entry, User
from .marks import Mark
from .models import BodyMapMark


def save_marks(user: User, entry: Entry, marks: list[Mark]) -> None:
    if not marks:
        return
    db.session.execute(
        insert(BodyMapMark),
        [
            {
                "entry_id": entry.id,
                "number": m.number,
                "view": m.view,
                "x": m.x,
                "y": m.y,
                "area": m.area,
                "description": m.description,
            }
            for m in marks
        ],
    )
    audit.record(audit.ADD_BODY_MAP, entry=entry, user=user, marks=len(marks))
