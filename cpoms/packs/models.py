"""Child-protection files received from schools outside the trust, kept as they arrived,
and the signing keys a trust has marked as not trusted."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Alert, Pupil, School, User, UTCDateTime, utcnow


class ReceivedPack(db.Model):
    """A signed pack imported at /transfers/import: who sent it, the key that signed it
    (verified at import), and the pack itself, kept unaltered in the database (every app server
    reads it; it is in every backup and goes with the row) to verify again."""

    __tablename__ = "received_packs"
    __table_args__ = (Index("ix_received_packs_pupil", "pupil_id", "imported_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))  # the school that received it
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender_school: Mapped[str] = mapped_column(String(200))
    sender_trust: Mapped[str] = mapped_column(String(200))
    sender_person: Mapped[str] = mapped_column(String(200))
    receipt_email: Mapped[str] = mapped_column(String(254))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    pack_sha256: Mapped[str] = mapped_column(String(64))
    format_version: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the zip as it arrived
    pupil: Mapped[Pupil] = relationship()
    school: Mapped[School] = relationship()
    imported_by: Mapped[User] = relationship(lazy="joined")
    records: Mapped[list[ReceivedRecord]] = relationship(
        back_populates="pack", lazy="raise_on_sql", order_by="ReceivedRecord.position"
    )


class ReceivedRecord(db.Model):
    """One record of a received pack (an entry, a follow-up, an amendment, a later category,
    a body-map mark, an attachment, a piece of key information) as the sender wrote it."""

    __tablename__ = "received_records"
    __table_args__ = (Index("ix_received_records_pack", "received_pack_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    received_pack_id: Mapped[int] = mapped_column(ForeignKey("received_packs.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # its place in records.json
    kind: Mapped[str] = mapped_column(String(24))
    entry_ref: Mapped[Optional[int]] = mapped_column(Integer)  # the sender's id of the entry it belongs to
    created_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # as the sender recorded it
    occurred_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    school: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)  # the record's JSON as received
    pack: Mapped[ReceivedPack] = relationship(back_populates="records")

    @property
    def file_sha256(self) -> str | None:
        """An attachment's checksum, when its file came with the pack."""
        if self.kind != "attachment":
            return None
        record = json.loads(self.data)
        sha256 = record.get("sha256")
        return sha256 if record.get("file") and isinstance(sha256, str) and len(sha256) == 64 else None


class KeyDistrust(db.Model):
    """That a trust stopped (or went back to) trusting packs signed with a key: the latest row
    for a fingerprint says which."""

    __tablename__ = "key_distrust_events"
    __table_args__ = (Index("ix_key_distrust_trust", "trust_id", "fingerprint", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    distrusted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[User] = relationship(lazy="joined")


append_only.protect_allowing_retention(ReceivedPack.__table__)
append_only.protect_allowing_retention(ReceivedRecord.__table__)
append_only.protect(KeyDistrust.__table__)

# The receipt sent to the school a pack came from names that pack.
Alert.received_pack = relationship(ReceivedPack)
