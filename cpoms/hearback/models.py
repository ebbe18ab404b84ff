"""Hearing back: the safeguarding team's short messages to the person who logged an entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Entry, User, UTCDateTime, utcnow


class RecorderMessage(db.Model):
    """A short message from the safeguarding team to the person who logged an entry
    (cpoms/hearback/): shown to them beside the entry on their "What I logged" page,
    and to the team on the entry page. Written for the recorder, so it holds no record
    content by design (the form says so); append-only like the entry."""

    __tablename__ = "recorder_messages"
    __table_args__ = (Index("ix_recorder_messages_recipient", "recipient_id", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    # The entry's school, copied (it never changes), as on tasks and alerts.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recorder when it was sent: the entry's recorder never changes, but the row says whom it was for.
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")


append_only.protect_allowing_retention(RecorderMessage.__table__)
# Loaded when the entry page asks (the team's view of them); lists of entries never do.
Entry.recorder_messages = relationship(
    RecorderMessage, viewonly=True, lazy="select", order_by=(RecorderMessage.created_at, RecorderMessage.id)
)
