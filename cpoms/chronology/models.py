"""A child's chronology: the follow-ups the safeguarding team marked as key events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .. import append_only
from ..extensions import db
from ..models import UTCDateTime, utcnow


class KeyEvent(db.Model):
    """A follow-up the safeguarding team marked as a key event in the child's
    chronology. Marks are facts like the rest: never removed, at most one each."""

    __tablename__ = "key_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), unique=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


append_only.protect_allowing_retention(KeyEvent.__table__)
