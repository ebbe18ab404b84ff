"""The OpenID Connect authorization code flow, with PKCE, state and nonce (Authlib for the
protocol, joserfc for the ID token's signature). What the provider says is believed only
after the ID token's signature (the provider's published keys), issuer, audience, expiry
and nonce have been checked."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from .providers import GOOGLE, Provider

TIMEOUT = 10  # seconds for each call to the provider
METADATA_SECONDS = 3600
LEEWAY = 60  # clock difference allowed on exp/iat
PENDING = "sso_pending"
SCOPE = "openid email profile"
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

_metadata: dict[str, tuple[float, dict]] = {}
_keys: dict[str, dict] = {}


class Refused(Exception):
    """A sign-in that must not go ahead: `reason` for the audit log, `message` for the person."""

    def __init__(self, reason: str, message: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.message = message or (
            "Signing in with your organisation's account did not work. Try again, or sign in with "
            "your password if your school allows it."
        )


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise Refused("provider_unreachable") from error
    if not isinstance(data, dict):
        raise Refused("provider_unreachable")
    return data


def metadata(provider: Provider) -> dict:
    """The provider's discovery document, kept an hour; its issuer must be the one configured."""
    issuer = provider.issuer
    cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_SECONDS:
        return cached[1]
    data = _get_json(f"{issuer}/.well-known/openid-configuration")
    if data.get("issuer", "").rstrip("/") != issuer:
        raise Refused("discovery_issuer_mismatch")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(key), str):
            raise Refused("discovery_incomplete")
    _metadata[issuer] = (time.monotonic(), data)
    return data


def _key_set(meta: dict, refresh: bool = False) -> KeySet:
    uri = meta["jwks_uri"]
    if refresh or uri not in _keys:
        _keys[uri] = _get_json(uri)
    try:
        return KeySet.import_key_set(_keys[uri])
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise Refused("bad_jwks") from error


def _client(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def begin(provider: Provider, redirect_uri: str, next_url: str | None) -> str:
    """The provider's sign-in address. What the callback must see again (state, nonce,
    PKCE verifier) waits in this browser's session, for this provider only."""
    meta = metadata(provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    url, _ = _client(provider, redirect_uri).create_authorization_url(
        meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    session[PENDING] = {
        "provider": provider.slug,
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "at": int(time.time()),
    }
    return url


@dataclass(frozen=True)
class Outcome:
    claims: dict
    next_url: str | None


def finish(provider: Provider, args, redirect_uri: str) -> Outcome:
    """The provider's answer at the callback, checked; Refused if anything is wrong. The
    pending sign-in is used up whatever happens: a callback works once."""
    pending = session.pop(PENDING, None)
    state = args.get("state", "")
    if (
        not isinstance(pending, dict)
        or pending.get("provider") != provider.slug
        or not isinstance(state, str)
        or not hmac.compare_digest(str(pending.get("state", "")).encode(), state.encode("utf-8", "replace"))
        or time.time() - int(pending.get("at", 0)) > 600
    ):
        raise Refused(
            "state_mismatch",
            "That sign-in link has already been used or has expired. Start again from the sign-in page.",
        )
    if args.get("error"):
        raise Refused("provider_error:" + str(args.get("error"))[:40])
    meta = metadata(provider)
    if "iss" in args and args.get("iss", "").rstrip("/") != provider.issuer:
        raise Refused("wrong_issuer_in_response")  # RFC 9207: an answer from another provider
    code = args.get("code", "")
    if not code or len(code) > 2000:
        raise Refused("no_code")
    try:
        token = _client(provider, redirect_uri).fetch_token(
            meta["token_endpoint"], code=code, code_verifier=pending["verifier"], timeout=TIMEOUT
        )
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        raise Refused("token_exchange_failed") from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise Refused("no_id_token")
    claims = verify_id_token(provider, meta, id_token, pending["nonce"], token.get("access_token"))
    return Outcome(claims=claims, next_url=pending.get("next"))


def verify_id_token(provider: Provider, meta: dict, id_token: str, nonce: str, access_token: str | None) -> dict:
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(algorithms=[a for a in offered if a in ASYMMETRIC] or ["RS256"])
    try:
        try:
            decoded = jwt.decode(id_token, _key_set(meta), registry=registry)
        except InvalidKeyIdError:  # the provider has rotated its keys since we fetched them
            decoded = jwt.decode(id_token, _key_set(meta, refresh=True), registry=registry)
    except (JoseError, ValueError, TypeError) as error:
        raise Refused("bad_signature") from error
    issuers = [provider.issuer]
    if provider.kind == GOOGLE:
        issuers.append("accounts.google.com")  # Google's documented second spelling
    options = {
        "iss": {"essential": True, "values": issuers},
        "aud": {"essential": True, "value": provider.client_id},
        "exp": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    }
    params = {"nonce": nonce, "client_id": provider.client_id}
    if access_token:
        params["access_token"] = access_token
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    try:
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError) as error:
        raise Refused("bad_claims:" + type(error).__name__) from error
    return dict(claims)


def end_session_url(provider: Provider, return_to: str) -> str | None:
    """Where to sign out of the provider too, if its discovery offers it."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except Refused:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    return (
        requests.Request(
            "GET", endpoint, params={"client_id": provider.client_id, "post_logout_redirect_uri": return_to}
        )
        .prepare()
        .url
    )
