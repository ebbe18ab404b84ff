"""Password reset links: single use, expiring (PASSWORD_RESET_HOURS), stored only
as a SHA-256 of the token. The mail goes straight out through Flask-Mail, not
through the alert outbox: a reset link must not sit in a table for a worker."""
from __future__ import annotations

import secrets
import smtplib
from datetime import timedelta

from flask import current_app, render_template, url_for
from flask_mail import Message
from sqlalchemy import select, update

from .. import alerts, audit
from ..extensions import db
from ..models import PasswordResetToken, User
from ..timefmt import now_utc
from . import lockout, sessions


def issue(user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = now_utc()
    db.session.add(PasswordResetToken(
        user_id=user.id, token_hash=sessions.hash_token(token), created_at=now,
        expires_at=now + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"]),
    ))
    db.session.flush()
    return token


def usable(token: str) -> PasswordResetToken | None:
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == sessions.hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= now_utc() or not row.user.active:
        return None
    return row


def _link(token: str) -> str:
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("auth.reset", token=token, _external=True)


def send_link(user: User, forced_by: User | None = None, new_account: bool = False) -> bool:
    """Issue a link and email it. A failure is logged and audited, never shown:
    the page says the same whether or not a mail went."""
    token = issue(user)
    context = {"user": user, "link": _link(token), "forced": forced_by is not None, "new_account": new_account,
               "hours": current_app.config["PASSWORD_RESET_HOURS"]}
    message = Message(
        subject="Set a new password for the concern log",
        recipients=[user.email],
        body=render_template("email/password_reset.txt", **context),
        html=render_template("email/password_reset.html", **context),
    )
    try:
        alerts.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("Password reset mail to user %s not sent: %s", user.id, exc)
        audit.record(audit.PASSWORD_RESET_MAIL_FAILED, user=forced_by or user, target_user_id=user.id,
                     error=f"{type(exc).__name__}: {exc}"[:300])
        return False
    return True


def complete(row: PasswordResetToken, password: str) -> bool:
    """Set the new password once: the token is claimed with a conditional UPDATE."""
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
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
