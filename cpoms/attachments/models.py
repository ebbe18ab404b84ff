"""Files attached to an entry or a follow-up, and the file types accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..common import size_label
from ..extensions import db
from ..models import Entry, User, UTCDateTime, utcnow


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


# The files accepted (attachments/sniff.py checks each by its bytes), with the label they are shown with.
PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG image", "image/png", (".png",))
JPEG = FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
FILE_TYPES = (PDF, PNG, JPEG, DOCX)


class Attachment(db.Model):
    """A file added to an entry (or to one of its follow-ups). Its bytes are an
    AttachmentBlob under a random name; the row keeps their SHA-256, checked on every
    download. The uploaded name is display text only, never a path."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_entry", "entry_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_ups.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(150))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[User] = relationship(lazy="joined")

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg")

    @property
    def type_label(self) -> str:
        return next((t.label for t in FILE_TYPES if t.content_type == self.content_type), self.content_type)

    @property
    def size_label(self) -> str:
        return size_label(self.size)


class AttachmentBlob(db.Model):
    """An attachment's bytes, in the database every app server reads (docs/operations.md,
    "Several app servers"): committed with the attachment's row or not at all, and in
    every backup of the database. Append-only like the record; deleted only with its
    entry after the retention review. No foreign key: written before the attachment
    row that names it, in the same transaction."""

    __tablename__ = "attachment_blobs"
    stored_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StagedFile(db.Model):
    """A file chosen on a log form that was shown again (staging.py), until the entry is
    saved or DRAFT_HOURS pass: in the database so that the next post may reach any server."""

    __tablename__ = "staged_files"
    stored_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    staged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# Loaded only where asked for (selectinload), like follow-ups.
Entry.attachments = relationship(Attachment, order_by=Attachment.id, lazy="raise_on_sql", viewonly=True)

append_only.protect_allowing_retention(Attachment.__table__)
append_only.protect_allowing_retention(AttachmentBlob.__table__)
