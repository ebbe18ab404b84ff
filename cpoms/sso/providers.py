"""The providers people may sign in with: those a trust admin set up in the app and those
the operator named in the environment (SIGN_IN_PROVIDERS), in one shape. Secrets come only
from the environment: OIDC_<SLUG>_CLIENT_SECRET (the slug in capitals, hyphens as
underscores), never from the database."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from flask import current_app, session
from sqlalchemy import select

from ..extensions import db
from ..models import Trust
from .models import SignInProvider

MICROSOFT, GOOGLE, OIDC = "microsoft", "google", "oidc"
KINDS = {MICROSOFT: "Microsoft Entra ID (Microsoft 365)", GOOGLE: "Google Workspace", OIDC: "Another OpenID provider"}
BUTTON_NAMES = {MICROSOFT: "Microsoft", GOOGLE: "Google"}
GOOGLE_ISSUER = "https://accounts.google.com"
MICROSOFT_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
# In the cookie session: the provider this session signed in with (for its sign-out).
SIGNED_IN_WITH = "sso_provider"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TENANT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    kind: str
    trust_id: int
    client_id: str
    restriction: str = ""  # Microsoft: tenant id; Google: hosted domain
    issuer_url: str = ""  # any other provider
    mfa_claim: str = "amr"
    mfa_value: str = "mfa"
    from_environment: bool = False

    @property
    def issuer(self) -> str:
        if self.kind == MICROSOFT:
            return MICROSOFT_ISSUER.format(tenant=self.restriction.lower())
        if self.kind == GOOGLE:
            return GOOGLE_ISSUER
        return self.issuer_url.rstrip("/")

    @property
    def restriction_claim(self) -> str | None:
        """The ID token claim that must equal the restriction: the tenant, the hosted domain."""
        return {MICROSOFT: "tid", GOOGLE: "hd"}.get(self.kind)

    @property
    def button(self) -> str:
        return f"Continue with {BUTTON_NAMES.get(self.kind, self.name)}"

    @property
    def secret_variable(self) -> str:
        return secret_variable(self.slug)

    @property
    def client_secret(self) -> str:
        return os.environ.get(self.secret_variable, "")


def signed_in_with() -> str | None:
    """The provider this browser's session signed in with, if any."""
    slug = session.get(SIGNED_IN_WITH)
    return slug if isinstance(slug, str) else None


def secret_variable(slug: str) -> str:
    return f"OIDC_{slug.upper().replace('-', '_')}_CLIENT_SECRET"


def has_secret(slug: str) -> bool:
    return bool(os.environ.get(secret_variable(slug)))


def problem(kind: str, restriction: str, issuer: str) -> str | None:
    """What is wrong with a provider's identity settings, or None."""
    if kind == MICROSOFT and not TENANT.fullmatch(restriction or ""):
        return "Enter the tenant id: 36 characters like 72f988bf-86f1-41af-91ab-2d7cd011db47 (not 'common')."
    if kind == GOOGLE and not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", restriction or ""):
        return "Enter the Google Workspace domain, like ashgrove.sch.uk."
    if kind == OIDC and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", issuer or ""):
        return "Enter the provider's issuer address, like https://id.example.org."
    return None


def _from_row(row: SignInProvider) -> Provider:
    return Provider(
        slug=row.slug,
        name=row.name,
        kind=row.kind,
        trust_id=row.trust_id,
        client_id=row.client_id,
        restriction=row.restriction,
        issuer_url=row.issuer,
        mfa_claim=row.mfa_claim,
        mfa_value=row.mfa_value,
    )


def from_environment() -> list[Provider]:
    """SIGN_IN_PROVIDERS: a JSON list, each {"slug", "name", "kind", "trust" (its name),
    "client_id", "tenant" | "hosted_domain" | "issuer", "mfa_claim", "mfa_value"}. A
    malformed entry stops the app at start-up (config.py reads it) rather than at sign-in."""
    found = []
    trusts = None
    for item in configured_in_environment():
        if trusts is None:
            trusts = {t.name: t.id for t in db.session.scalars(select(Trust))}
        if item["trust"] not in trusts:
            continue  # a trust not (yet) in this database
        kind = item["kind"]
        found.append(
            Provider(
                slug=item["slug"],
                name=item.get("name") or BUTTON_NAMES.get(kind, item["slug"]),
                kind=kind,
                trust_id=trusts[item["trust"]],
                client_id=item["client_id"],
                restriction=item.get("tenant") or item.get("hosted_domain") or "",
                issuer_url=item.get("issuer", ""),
                mfa_claim=item.get("mfa_claim", "amr"),
                mfa_value=item.get("mfa_value", "mfa"),
                from_environment=True,
            )
        )
    return found


def configured_in_environment() -> list[dict]:
    return parse_environment(current_app.config.get("SIGN_IN_PROVIDERS") or "")


def parse_environment(text: str | list) -> list[dict]:
    """SIGN_IN_PROVIDERS, checked (create_app calls this once, so a mistake stops the app at
    start-up rather than at someone's sign-in)."""
    if isinstance(text, list):
        items = text
    elif not text.strip():
        return []
    else:
        items = json.loads(text)
    if not isinstance(items, list):
        raise ValueError("SIGN_IN_PROVIDERS must be a JSON list")
    for item in items:
        for key in ("slug", "kind", "trust", "client_id"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ValueError(f"SIGN_IN_PROVIDERS: every provider needs {key!r}")
        if not SLUG.fullmatch(item["slug"]) or item["kind"] not in KINDS:
            raise ValueError(f"SIGN_IN_PROVIDERS: bad slug or kind in {item['slug']!r}")
        reason = problem(item["kind"], item.get("tenant") or item.get("hosted_domain") or "", item.get("issuer", ""))
        if reason:
            raise ValueError(f"SIGN_IN_PROVIDERS {item['slug']!r}: {reason}")
    return items


def enabled() -> list[Provider]:
    """Every provider that can be used now: set up, switched on and with its secret."""
    rows = db.session.scalars(select(SignInProvider).where(SignInProvider.enabled).order_by(SignInProvider.name))
    found = from_environment() + [_from_row(r) for r in rows]
    taken: set[str] = set()
    usable = []
    for provider in found:
        if provider.slug in taken or not provider.client_secret:
            continue  # the environment's wins a clash; no secret, no button
        taken.add(provider.slug)
        usable.append(provider)
    return usable


def by_slug(slug: str) -> Provider | None:
    return next((p for p in enabled() if p.slug == slug), None)
