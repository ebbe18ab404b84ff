"""The MIS area: uploaded pupil and staff lists waiting for confirmation, and deletions
after the retention review."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import School, User, UTCDateTime, utcnow


class PupilImport(db.Model):
    """An uploaded MIS file, parsed and waiting for its admin to confirm the preview:
    kept here so the confirmation applies exactly what was previewed, without a second upload."""

    __tablename__ = "pupil_imports"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the preview's address
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    # Every pupil on roll is in the file: those missing from it have left.
    full: Mapped[bool] = mapped_column(Boolean, default=True)
    rows: Mapped[str] = mapped_column(Text)  # the parsed rows, as JSON
    applied_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(Text)  # what applying did, as JSON
    # What the file lists: "pupils" or "staff" (cpoms/mis/imports.py KINDS).
    kind: Mapped[str] = mapped_column(String(16), default="pupils", server_default="pupils")
    school: Mapped[School] = relationship(lazy="joined")


class RetentionDeletion(db.Model):
    """Deleting a pupil's records after the retention review: an admin proposes, a
    DSL of the school (another person) confirms. The row outlives the pupil, so it
    holds the pupil's id, not a foreign key, and never their name."""

    __tablename__ = "retention_deletions"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(Integer, index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(Text)  # counts of what was deleted, as JSON
    school: Mapped[School] = relationship(lazy="joined")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")


class RetentionDeletionGrant(db.Model):
    """The entries the confirmed deletion in this transaction may remove. Rows live only
    inside that transaction (written, used and deleted before it commits), and the
    append-only triggers let a DELETE through only for an entry named here
    (append_only.RETENTION_GRANTED)."""

    __tablename__ = "retention_deletion_grants"
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class RetentionDeletionPupilGrant(db.Model):
    """The pupil whose own rows (monitoring, transfers, subject-access exports) the
    confirmed deletion in this transaction may remove: lives like RetentionDeletionGrant."""

    __tablename__ = "retention_deletion_pupil_grants"
    pupil_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
