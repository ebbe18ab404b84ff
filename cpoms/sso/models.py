"""Signing in through a trust's own identity provider (OpenID Connect): the providers a
trust admin has set up, whether the trust still takes passwords, and which identity at
a provider each account has signed in with."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class SignInProvider(db.Model):
    """A provider set up in the app by a trust admin. Its client secret is never here:
    it comes from the environment (OIDC_<SLUG>_CLIENT_SECRET)."""

    __tablename__ = "sign_in_providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # microsoft, google or oidc
    # Microsoft: the tenant id; Google: the hosted domain; any other: empty.
    restriction: Mapped[str] = mapped_column(String(254), default="")
    # Any other provider: its issuer (discovery at <issuer>/.well-known/openid-configuration).
    issuer: Mapped[str] = mapped_column(String(300), default="")
    client_id: Mapped[str] = mapped_column(String(300))
    # The ID token claim that lists how the person authenticated, and the value in it that
    # means a second factor was used. An empty claim: the provider's word is never taken.
    mfa_claim: Mapped[str] = mapped_column(String(64), default="amr")
    mfa_value: Mapped[str] = mapped_column(String(64), default="mfa")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInSettings(db.Model):
    """A trust's choice about passwords. With password sign-in off, only its break-glass
    admin signs in with a password (for the day the provider is down or misconfigured)."""

    __tablename__ = "sign_in_settings"
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), primary_key=True)
    password_sign_in: Mapped[bool] = mapped_column(Boolean, default=True)
    break_glass_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class SignInLink(db.Model):
    """The identity (issuer's `sub`) an account first signed in with at a provider: later
    sign-ins must be the same identity, so an address the provider hands to someone new
    does not open the old holder's account."""

    __tablename__ = "sign_in_links"
    __table_args__ = (UniqueConstraint("user_id", "provider"), UniqueConstraint("provider", "subject"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))  # the provider's slug
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
