"""Recording guidance: each saved version of a school's or trust's page."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import School, Trust, User, UTCDateTime, utcnow


class GuidanceVersion(db.Model):
    """One saved version of a recording-guidance page, of a school or of its trust.
    Versions are only ever added: the newest is the page, the rest its history."""

    __tablename__ = "guidance_versions"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (trust_id IS NULL)", name="one_owner"),
        Index("ix_guidance_versions_school", "school_id", "created_at"),
        Index("ix_guidance_versions_trust", "trust_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"))
    trust_id: Mapped[Optional[int]] = mapped_column(ForeignKey("trusts.id"))
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    school: Mapped[Optional[School]] = relationship(lazy="joined")
    trust: Mapped[Optional[Trust]] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")

    @property
    def owner_name(self) -> str:
        return self.school.name if self.school is not None else self.trust.name
