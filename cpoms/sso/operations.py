"""Signing in with a provider's verified answer, and the trust admin's changes to sign-in."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import User
from . import policy
from .models import SignInLink, SignInProvider, SignInSettings
from .oidc import Refused
from .providers import Provider

UNKNOWN = (
    "Your organisation's account is not linked to an account here. Ask your school's "
    "administrator to add you (using this email address): signing in never creates an account."
)
NOT_YOURS = (
    "This account cannot sign in with that provider. Ask your school's administrator, or sign in "
    "with your password if your school allows it."
)


def account_for(provider: Provider, claims: dict) -> User:
    """The one active account the verified token names, in the provider's trust; Refused
    otherwise. Checks the restriction, the address and the identity linked before."""
    if not policy.restriction_holds(provider, claims):
        raise Refused("restriction_failed", NOT_YOURS)
    email = policy.email_of(claims, provider)
    if email is None:
        raise Refused("email_not_verified", NOT_YOURS)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        raise Refused("unknown_email", UNKNOWN)
    # One message for a deactivated account and an unknown one: neither has a way in.
    if not user.active:
        raise Refused("deactivated", UNKNOWN)
    if not policy.belongs_to(user, provider.trust_id):
        raise Refused("other_trust", NOT_YOURS)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise Refused("no_subject")
    link = db.session.scalar(
        select(SignInLink).where(SignInLink.user_id == user.id, SignInLink.provider == provider.slug)
    )
    if link is None:
        taken = db.session.scalar(
            select(SignInLink.user_id).where(SignInLink.provider == provider.slug, SignInLink.subject == subject)
        )
        if taken is not None:
            raise Refused("subject_linked_elsewhere", NOT_YOURS)
        db.session.add(SignInLink(user_id=user.id, provider=provider.slug, subject=subject))
        audit.record(audit.SSO_LINKED, user=user, provider=provider.slug)
    elif link.subject != subject:
        # The address now belongs to a different identity at the provider (a re-used address).
        raise Refused("subject_changed", NOT_YOURS)
    return user


def refused(provider: Provider | None, error: Refused, claims: dict | None = None) -> None:
    email = policy.email_of(claims or {}) or (claims or {}).get("email")
    user = None
    if isinstance(email, str):
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    audit.record(
        audit.SSO_REFUSED,
        user=user,
        provider=provider.slug if provider else None,
        reason=error.reason,
        email=email if isinstance(email, str) else None,
    )


# --- the trust admin's settings --------------------------------------------------

FIELDS = ("name", "slug", "kind", "restriction", "issuer", "client_id", "mfa_claim", "mfa_value", "enabled")


def add_provider(trust_id: int, values: dict) -> SignInProvider:
    row = SignInProvider(trust_id=trust_id, **values)
    db.session.add(row)
    db.session.flush()
    audit.record(audit.SSO_PROVIDER_ADDED, provider=row.slug, trust_id=trust_id, new=values)
    return row


def change_provider(row: SignInProvider, values: dict) -> bool:
    old = {k: getattr(row, k) for k in values}
    changed = {k: v for k, v in values.items() if old[k] != v}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(row, key, value)
    audit.record(
        audit.SSO_PROVIDER_CHANGED,
        provider=row.slug,
        trust_id=row.trust_id,
        old={k: old[k] for k in changed},
        new=changed,
    )
    return True


def remove_provider(row: SignInProvider) -> None:
    """The provider goes, and with it the identities linked through it: set up again, it
    links afresh."""
    db.session.execute(SignInLink.__table__.delete().where(SignInLink.provider == row.slug))
    audit.record(audit.SSO_PROVIDER_REMOVED, provider=row.slug, trust_id=row.trust_id)
    db.session.delete(row)


def set_password_sign_in(trust_id: int, allowed: bool, break_glass_user_id: int | None) -> bool:
    settings = db.session.get(SignInSettings, trust_id)
    old = (settings.password_sign_in, settings.break_glass_user_id) if settings is not None else (True, None)
    if old == (allowed, break_glass_user_id):
        return False
    if settings is None:
        settings = SignInSettings(trust_id=trust_id)
        db.session.add(settings)
    settings.password_sign_in, settings.break_glass_user_id = allowed, break_glass_user_id
    audit.record(
        audit.PASSWORD_SIGN_IN_SETTING_CHANGED,
        trust_id=trust_id,
        old={"password_sign_in": old[0], "break_glass_user_id": old[1]},
        new={"password_sign_in": allowed, "break_glass_user_id": break_glass_user_id},
    )
    return True
