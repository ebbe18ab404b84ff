"""Who may sign in through a provider, and who still may with a password. Sign-in never
creates an account or a right: it only finds the one account an admin already made."""

from __future__ import annotations

from ..extensions import db
from ..models import User
from ..policy import access, administers_trust, trust_administrators
from .models import SignInSettings
from .providers import MICROSOFT, Provider


def can_configure_sign_in(user) -> bool:
    """Sign-in is a trust-wide setting: the trust's own administrators only."""
    return bool(access(user).admin_trusts)


def configurable_trust_ids(user) -> frozenset[int]:
    return access(user).admin_trusts


def can_manage_provider(user, row) -> bool:
    return row.trust_id in access(user).admin_trusts


def trusts_of(user: User) -> set[int]:
    return {r.trust_id if r.trust_id is not None else r.school.trust_id for r in user.roles}


def belongs_to(user: User, trust_id: int) -> bool:
    """Every role of the account is in the provider's trust: one trust's provider vouches for
    nobody else's staff (a trust admin sets up their provider, not another trust's)."""
    trusts = trusts_of(user)
    return bool(trusts) and trusts == {trust_id}


def restriction_holds(provider: Provider, claims: dict) -> bool:
    """The token comes from the trust's own tenant (Microsoft `tid`) or Workspace domain
    (Google `hd`): an account of the same provider elsewhere is not the school's."""
    claim = provider.restriction_claim
    if claim is None:
        return True
    value = claims.get(claim)
    return isinstance(value, str) and value.lower() == provider.restriction.lower()


def email_of(claims: dict, provider: Provider | None = None) -> str | None:
    """The address, if the provider vouches for it: an `email_verified` that is false (or
    anything but true, when sent) is not vouching. Microsoft sends `email` only when the
    tenant adds it as an optional claim; otherwise its `preferred_username` (the user
    principal name, set by the school's own tenant admins: the tenant is checked first)."""
    email = claims.get("email")
    if email is None and provider is not None and provider.kind == MICROSOFT:
        email = claims.get("preferred_username")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        return None
    if "email_verified" in claims and claims["email_verified"] not in (True, "true"):
        return None
    return email.strip().lower()


def mfa_asserted(provider: Provider, claims: dict) -> bool:
    """The provider says a second factor was used: its configured claim holds its configured
    value (a list such as `amr`, or a single value). No claim configured: never."""
    if not provider.mfa_claim or not provider.mfa_value:
        return False
    value = claims.get(provider.mfa_claim)
    if isinstance(value, list):
        return provider.mfa_value in value
    return value == provider.mfa_value


def settings_for(trust_id: int) -> SignInSettings | None:
    return db.session.get(SignInSettings, trust_id)


def password_allowed(user: User) -> bool:
    """False when a trust the account belongs to has turned password sign-in off, unless
    the account is that trust's break-glass admin."""
    for trust_id in trusts_of(user):
        settings = settings_for(trust_id)
        if settings is not None and not settings.password_sign_in and not _break_glass(user, settings):
            return False
    return True


def _break_glass(user: User, settings: SignInSettings) -> bool:
    """The named account, while it is still a trust-wide admin of that trust."""
    return settings.break_glass_user_id == user.id and administers_trust(user, settings.trust_id)


def passwords_off(trust_id: int) -> bool:
    settings = settings_for(trust_id)
    return settings is not None and not settings.password_sign_in


def break_glass_candidates(trust_id: int) -> list[User]:
    """A break-glass account is an active trust-wide admin of the trust."""
    return list(db.session.scalars(trust_administrators(trust_id).order_by(User.name, User.id)))
