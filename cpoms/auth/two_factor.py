"""Two-factor sign-in with time-based codes (TOTP, RFC 6238) and one-time recovery codes.

A code is accepted for the time step before, at or after now (a phone's clock
drifts), and only for a step later than the last one used: a code seen over a
shoulder cannot be used again. Recovery codes are random, so a SHA-256 of each is
all that is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from markupsafe import Markup
from sqlalchemy import delete, or_, update

from ..extensions import db
from ..models import User
from ..timefmt import now_utc
from .models import RecoveryCode, UserSession

ISSUER = "Concern log"
STEP_SECONDS = 30
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def begin_setup(row: UserSession) -> str:
    """A fresh key for each showing of the set-up page, kept on the session that
    asked for it and nowhere else: someone else who knows the password and opens
    the page gets a key of their own, which the real person's set-up replaces."""
    row.totp_setup_secret = new_secret()
    return row.totp_setup_secret


def confirm_setup(user: User, row: UserSession, code: str) -> list[str] | None:
    """Turn two-factor sign-in on with the key this session was shown, if the code
    is from it: the recovery codes, else None. The key is then the account's, and
    no longer the session's to confirm again."""
    secret = row.totp_setup_secret
    if not secret or not accept_code(user, code, secret=secret):
        return None
    user.totp_secret, row.totp_setup_secret = secret, None
    return enrol(user)


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG: no image file, no data: URL, no script."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)
    # The SVG is paths drawn by qrcode from our own URI: no text from anyone is in it.
    return Markup(svg)  # nosec B704


def grouped(secret: str) -> str:
    """The secret in fours, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    code = _digits(code)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


# What became of a one-time code: taken; right, but its 30 seconds (or later ones) already
# used, so only the next code will do; or wrong.
ACCEPTED, ALREADY_USED, WRONG = "accepted", "already_used", "wrong"
CODE_USED = (
    "That code has already been used: each code works once. Wait for your app to show the next "
    "code (a new one every 30 seconds), then enter that."
)


def check_code(user: User, code: str, secret: str | None = None) -> str:
    """ACCEPTED once per code: the step it matched is stored, and an older or equal
    step is refused as ALREADY_USED (the conditional UPDATE makes two racing requests
    one: the second is told the code was used)."""
    step = matching_step(secret or user.totp_secret or "", code)
    if step is None:
        return WRONG
    table = User.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.id == user.id, or_(table.c.totp_last_step.is_(None), table.c.totp_last_step < step))
        .values(totp_last_step=step)
    )
    db.session.expire(user, ["totp_last_step"])
    return ACCEPTED if result.rowcount == 1 else ALREADY_USED


def accept_code(user: User, code: str, secret: str | None = None) -> bool:
    return check_code(user, code, secret) == ACCEPTED


@dataclass(frozen=True)
class Verdict:
    """What a code typed at sign-in was: true only when it was accepted."""

    method: str | None  # "code" or "recovery_code" when accepted
    reused: bool = False  # a right one-time code, but already used: wait for the next

    def __bool__(self) -> bool:
        return self.method is not None


def _normal(code: str) -> str:
    return re.sub(r"[\s-]", "", (code or "").lower())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working); the only time they are shown."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if len(_normal(code)) != RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def verify(user: User, code: str) -> Verdict:
    """A one-time code or a recovery code, taken once."""
    checked = check_code(user, code)
    if checked == ACCEPTED:
        return Verdict("code")
    if use_recovery_code(user, code):
        return Verdict("recovery_code")
    return Verdict(None, reused=checked == ALREADY_USED)


def enrol(user: User) -> list[str]:
    user.totp_enrolled_at = now_utc()
    return new_recovery_codes(user)


def turn_off(user: User) -> None:
    user.totp_secret = user.totp_enrolled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
