"""The body map: numbered marks on an entry's front and back outlines."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Entry


class BodyMapMark(db.Model):
    """One numbered mark on an entry's body map: which view, where (fractions of the
    outline's width and height), the nearest named area, and what was seen."""

    __tablename__ = "body_map_marks"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    number: Mapped[int] = mapped_column(Integer)
    view: Mapped[str] = mapped_column(String(8))  # front or back
    x: Mapped[float] = mapped_column(db.Float)
    y: Mapped[float] = mapped_column(db.Float)
    area: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))


# Loaded only where asked for (selectinload), like follow-ups.
Entry.body_marks = relationship(BodyMapMark, order_by=BodyMapMark.number, lazy="raise_on_sql", viewonly=True)
append_only.protect_allowing_retention(BodyMapMark.__table__)
