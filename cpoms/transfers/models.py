"""Child-protection file transfers to a pupil's next school, and subject-access exports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Alert, Pupil, School, User, UTCDateTime, utcnow


class TransferMethod:
    LABELS = {
        "secure_email": "Secure email",
        "in_person": "By hand, in person",
        "courier": "Courier",
        "cp_system": "Electronic child-protection system",
        "other": "Other",
    }


class TransferStatus:
    """Where a transfer stands: the latest of its events."""

    STARTED, SENT, ACCEPTED, DECLINED, RECEIVED = "started", "sent", "accepted", "declined", "received"
    LABELS = {
        STARTED: "Started, not sent",
        SENT: "Sent, awaiting receipt",
        ACCEPTED: "Accepted by the receiving school",
        DECLINED: "Declined by the receiving school",
        RECEIVED: "Receipt confirmed",
    }
    DONE = frozenset({ACCEPTED, RECEIVED})


class Transfer(db.Model):
    """A pupil's child-protection file going to their next school. The details are
    written once when the transfer starts; `status` and its times are the one
    writable projection of the append-only TransferEvent rows."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_from_status", "from_school_id", "status"),
        Index("ix_transfers_to_status", "to_school_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # A school of the trust; or None, and the outside school named below.
    to_school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"))
    destination_name: Mapped[Optional[str]] = mapped_column(String(200))
    contact_name: Mapped[Optional[str]] = mapped_column(String(200))
    contact_email: Mapped[Optional[str]] = mapped_column(String(254))
    method: Mapped[str] = mapped_column(String(32))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="started")
    sent_on: Mapped[Optional[date]] = mapped_column(Date)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # accepted, declined or receipt recorded
    pupil: Mapped[Pupil] = relationship(lazy="joined")
    from_school: Mapped[School] = relationship(foreign_keys=[from_school_id], lazy="joined")
    to_school: Mapped[Optional[School]] = relationship(foreign_keys=[to_school_id], lazy="joined")
    started_by: Mapped[User] = relationship(lazy="joined")
    events: Mapped[list[TransferEvent]] = relationship(
        back_populates="transfer", lazy="raise_on_sql", order_by="TransferEvent.id"
    )

    @property
    def in_trust(self) -> bool:
        return self.to_school_id is not None

    @property
    def destination(self) -> str:
        return self.to_school.name if self.to_school is not None else (self.destination_name or "")

    @property
    def status_label(self) -> str:
        return TransferStatus.LABELS.get(self.status, self.status)

    @property
    def method_label(self) -> str:
        return TransferMethod.LABELS.get(self.method, self.method)


class TransferEvent(db.Model):
    """One step of a transfer (started, sent, accepted, declined, receipt recorded): facts, never changed."""

    __tablename__ = "transfer_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    on_date: Mapped[Optional[date]] = mapped_column(Date)  # the day it was sent, or the receipt's day
    confirmed_by: Mapped[Optional[str]] = mapped_column(String(200))  # who at the outside school confirmed
    note: Mapped[Optional[str]] = mapped_column(Text)  # a receipt's note, or why a school declined
    transfer: Mapped[Transfer] = relationship(back_populates="events")
    by: Mapped[User] = relationship(lazy="joined")


class TransferReminder(db.Model):
    """That the sending team was reminded of an overdue transfer on a day: at most once a day."""

    __tablename__ = "transfer_reminders"
    __table_args__ = (UniqueConstraint("transfer_id", "on_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    on_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubjectAccessExport(db.Model):
    """A subject-access export produced for one pupil: who, when, and what it held."""

    __tablename__ = "subject_access_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    produced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entries: Mapped[int] = mapped_column(Integer)
    follow_ups: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the zip handed over
    produced_by: Mapped[User] = relationship(lazy="joined")


append_only.protect_allowing_retention(TransferEvent.__table__)
append_only.protect_allowing_retention(TransferReminder.__table__)
append_only.protect_allowing_retention(SubjectAccessExport.__table__)

# The outbox's transfer emails name their transfer.
Alert.transfer = relationship(Transfer)
