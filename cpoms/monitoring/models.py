"""The monitoring list: its append-only events and where each pupil stands now."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..common import due_words, uk_today
from ..extensions import db
from ..models import Pupil, User, UTCDateTime, utcnow


class MonitoringEvent(db.Model):
    """A pupil put on the monitoring list, reviewed, or taken off it: facts, never changed."""

    __tablename__ = "monitoring_events"
    __table_args__ = (Index("ix_monitoring_events_pupil", "pupil_id", "id"),)
    STARTED, REVIEWED, ENDED = "started", "reviewed", "ended"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    review_on: Mapped[Optional[date]] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")  # the reason, or the review's note
    by: Mapped[User] = relationship(lazy="joined")


class MonitoringState(db.Model):
    """Whether a pupil is on the monitoring list now, and when the next review is due:
    a projection of their MonitoringEvents, the one writable row (like entry_states)."""

    __tablename__ = "monitoring_states"
    __table_args__ = (Index("ix_monitoring_states_school", "school_id", "active", "review_on"),)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pupil: Mapped[Pupil] = relationship(lazy="joined")

    @property
    def review_overdue(self) -> bool:
        return self.review_on < uk_today()

    @property
    def review_words(self) -> str:
        words = due_words(self.review_on)
        return f"Review {words[0].lower()}{words[1:]}"


append_only.protect_allowing_retention(MonitoringEvent.__table__)
