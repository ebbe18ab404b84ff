"""Signing in: server-side sessions, one-time recovery codes, password reset links."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Alert, User, UTCDateTime, utcnow


class UserSession(db.Model):
    """A signed-in session on the server: the browser holds only its token."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    two_factor_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(String(32))
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(300))
    # The two-factor set-up key this session was shown and has not yet confirmed:
    # only this session can confirm it, and only until it does.
    totp_setup_secret: Mapped[Optional[str]] = mapped_column(String(64))
    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One-time codes for when the authenticator is lost; only their hashes are kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the emailed link's token is made from, with SECRET_KEY (cpoms/auth/reset.py):
    # the outbox worker can write the link, and the table alone cannot. None: a link
    # mailed directly, before reset mail went through the outbox.
    mail_key: Mapped[Optional[str]] = mapped_column(String(64))
    user: Mapped[User] = relationship()


# The outbox's reset-link emails (cpoms/auth/reset.py) name their token.
Alert.password_reset = relationship(PasswordResetToken)
