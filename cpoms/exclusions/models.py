"""An exclusion from a pupil's record and its end: facts, never changed. An exclusion
is in force while no end names it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Pupil, User, UTCDateTime, utcnow


class RecordExclusion(db.Model):
    """The safeguarding team kept this pupil's record from this person, and why."""

    __tablename__ = "record_exclusions"
    # Every list query asks "which pupils is this user excluded from": by user first.
    __table_args__ = (
        Index("ix_record_exclusions_user_pupil", "user_id", "pupil_id"),
        Index("ix_record_exclusions_pupil", "pupil_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))  # the pupil's school when recorded
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pupil: Mapped[Pupil] = relationship()
    person: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    by: Mapped[User] = relationship(foreign_keys=[by_id], lazy="joined")


class RecordExclusionEnd(db.Model):
    """An exclusion ended: the person may read the record again as their roles allow."""

    __tablename__ = "record_exclusion_ends"
    id: Mapped[int] = mapped_column(primary_key=True)
    exclusion_id: Mapped[int] = mapped_column(ForeignKey("record_exclusions.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[User] = relationship(lazy="joined")


append_only.protect_allowing_retention(RecordExclusion.__table__)
append_only.protect_allowing_retention(RecordExclusionEnd.__table__)
