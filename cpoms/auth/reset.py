"""Password reset links: single use, expiring (PASSWORD_RESET_HOURS), stored only
as a SHA-256 of the token.

The email goes through the alert outbox, written in the request's transaction
with the token row, so it exists once the request has committed, and the
forgotten-password page answers at once whether or not the address has an
account: the same statements run either way (they insert no rows for an address
with no active account), and the mail server is not waited for. The outbox row
does not hold the link: the worker rebuilds the token from the token row's
mail_key and SECRET_KEY, so neither the table nor a backup of it opens an account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import Integer, String, bindparam, insert, literal, select, update

from .. import alerts
from ..extensions import db
from ..models import Alert, User, UTCDateTime
from ..timefmt import now_utc
from . import lockout, sessions
from .models import PasswordResetToken

# The outbox reasons of reset emails: what the email says differs.
RESET, FORCED, NEW_ACCOUNT = "password_reset", "password_reset_forced", "password_reset_new_account"


def _token(mail_key: str) -> str:
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), b"password-reset\0" + mail_key.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def issue(user: User) -> str:
    """A token for this user now (flushed); returns it."""
    mail_key = secrets.token_urlsafe(32)
    token = _token(mail_key)
    now = now_utc()
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=sessions.hash_token(token),
            mail_key=mail_key,
            created_at=now,
            expires_at=now + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"]),
        )
    )
    db.session.flush()
    return token


def usable(token: str) -> PasswordResetToken | None:
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == sessions.hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= now_utc() or not row.user.active:
        return None
    return row


def queue_link(user_id: int | None, reason: str = RESET) -> list[int]:
    """A token and its email in the outbox for this account if it is active, else
    nothing; the same statements and the same hashing either way. Flushes only;
    returns the outbox row's id (none for no account)."""
    mail_key = secrets.token_urlsafe(32)
    token_hash = sessions.hash_token(_token(mail_key))
    now = now_utc()
    expires = now + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    # A bound parameter even for None (no account): "= NULL" matches nothing, and
    # the statement's text does not tell the two cases apart.
    account = select(
        User.id, literal(token_hash), literal(mail_key), literal(now, UTCDateTime), literal(expires, UTCDateTime)
    ).where(User.id == bindparam("account", user_id, type_=Integer), User.active.is_(True))
    db.session.execute(
        insert(PasswordResetToken).from_select(
            ["user_id", "token_hash", "mail_key", "created_at", "expires_at"], account
        )
    )
    mail = (
        select(
            PasswordResetToken.id,
            User.id,
            User.email,
            literal(reason),
            literal(alerts.PENDING),
            literal(0),
            literal(now, UTCDateTime),
            literal(now, UTCDateTime),
            literal(alerts.queued_from(), String),
        )
        .join(User, User.id == PasswordResetToken.user_id)
        .where(PasswordResetToken.token_hash == token_hash)
    )
    return list(
        db.session.scalars(
            insert(Alert)
            .from_select(
                [
                    "password_reset_id",
                    "recipient_id",
                    "email",
                    "reason",
                    "status",
                    "attempts",
                    "created_at",
                    "next_attempt_at",
                    "base_url",
                ],
                mail,
            )
            .returning(Alert.id)
        )
    )


def send_link(user: User, forced_by: User | None = None, new_account: bool = False) -> bool:
    """An administrator's reset for someone: queued like any reset email, and tried
    once the request has committed (an administrator's page may wait for the mail
    server; the forgotten-password page does not). Returns whether a mail server is
    set, so the administrator can be told the email cannot go yet."""
    reason = NEW_ACCOUNT if new_account else FORCED if forced_by is not None else RESET
    g.setdefault("alerts_after_commit", []).extend(queue_link(user.id, reason))
    return alerts.mail_configured()


def reset_context(alert: Alert) -> dict:
    """The link is rebuilt here, by the worker, from the token row: the outbox row never holds it."""
    return {
        "user": alert.recipient,
        "link": alerts.link(alert, "auth.reset", token=_token(alert.password_reset.mail_key)),
        "forced": alert.reason in (FORCED, NEW_ACCOUNT),
        "new_account": alert.reason == NEW_ACCOUNT,
        "hours": current_app.config["PASSWORD_RESET_HOURS"],
    }


EMAILS = tuple(alerts.Email(reason, "password_reset", reset_context) for reason in (RESET, FORCED, NEW_ACCOUNT))


def complete(row: PasswordResetToken, password: str) -> bool:
    """Set the new password once: the token is claimed with a conditional UPDATE."""
    claimed = (
        db.session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now_utc())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not claimed:
        return False
    user = row.user
    user.set_password(password)
    lockout.unlock(user)  # the link proved the mailbox; a lock from guessing need not stand
    # Any other link still out there dies with this one.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    sessions.end_all(user.id, sessions.PASSWORD_RESET)
    return True
