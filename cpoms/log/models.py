"""Logging a concern: the colleagues a recorder chose to alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Alert, Entry, User, UTCDateTime, utcnow


class EntryShare(db.Model):
    """A member of staff the recorder chose to alert when logging: they may read this
    entry (not the pupil's chronology) from then on. Append-only, like the entry; how
    the email fared is on its Alert row."""

    __tablename__ = "entry_shares"
    __table_args__ = (
        UniqueConstraint("entry_id", "user_id"),
        Index("ix_entry_shares_user", "user_id", "entry_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    entry: Mapped[Entry] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    shared_by: Mapped[User] = relationship(foreign_keys=[shared_by_id], lazy="joined")
    alert: Mapped[Alert] = relationship(lazy="joined")


append_only.protect_allowing_retention(EntryShare.__table__)
