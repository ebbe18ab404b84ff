"""Server-side sessions. The browser's cookie holds a random token; the row in
user_sessions says whose it is, since when, whether it passed two-factor sign-in
and whether it has ended. Ending the row (sign-out, timeout, password reset)
makes the cookie worthless, wherever a copy of it is.

Flask-Login's alternative-token pattern: User.get_id() is the token, and the
user loader reads the session row joined with its user in one query.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from .. import audit, drafts
from ..extensions import db, login_manager
from ..models import User
from ..timefmt import now_utc
from .models import UserSession

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often

# Why a session ended.
SIGNED_OUT = "signed_out"
ROTATED = "rotated"  # replaced by a new token at sign-in or at the two-factor step
IDLE = "idle"
ABSOLUTE = "absolute"
PASSWORD_CHANGED = "password_changed"  # nosec B105
PASSWORD_RESET = "password_reset"  # nosec B105
ADMIN_RESET = "admin_reset"
TWO_FACTOR_RESET = "two_factor_reset"
TIMEOUTS = (IDLE, ABSOLUTE)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])


def start(user: User, two_factor: bool = False) -> UserSession:
    """A new session for the person now at the screen: a new token, the old one
    (if any) ended, the cookie session emptied of anything planted before."""
    end_current(ROTATED)
    session.clear()
    token = secrets.token_urlsafe(32)
    now = now_utc()
    row = UserSession(
        token_hash=hash_token(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        two_factor_at=now if two_factor else None,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(row)
    user.session_token, user.session_row = token, row
    login_user(user)
    g.pop("_access", None)  # rights change with the session's two-factor state
    drafts.remember_pending(user.id)
    return row


def current_row() -> UserSession | None:
    user = g.get("_login_user")
    return getattr(user, "session_row", None)


def end_current(reason: str) -> None:
    row = current_row()
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = now_utc(), reason
    logout_user()


def end_all(user_id: int, reason: str, keep: UserSession | None = None) -> int:
    """End every open session of a user (all devices), except `keep`."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(
        query.values(ended_at=now_utc(), end_reason=reason).execution_options(synchronize_session=False)
    )
    return result.rowcount


@login_manager.user_loader
def load(token) -> User | None:
    # The cookie's JSON can hold any type, and text that is not encodable (a lone
    # surrogate): neither is a token we issued.
    if not isinstance(token, str) or not token.isascii():
        return None
    row = db.session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(UserSession.token_hash == hash_token(token))
    )
    if row is None or not row.user.active:
        return None
    now = now_utc()
    if row.ended_at is None:
        timed_out = (
            IDLE
            if now - row.last_seen_at > idle_limit()
            else ABSOLUTE
            if now - row.created_at > absolute_limit()
            else None
        )
        if timed_out:
            row.ended_at, row.end_reason = now, timed_out
            audit.record(audit.SESSION_TIMED_OUT, user=row.user, reason=timed_out)
    if row.ended_at is not None:
        _ended(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    user = row.user
    user.session_token, user.session_row = token, row
    return user


def _ended(row: UserSession) -> None:
    """The cookie names a session that has ended. If it ended by a timeout while
    its owner was typing, keep what they typed for them."""
    session.clear()
    g.session_ended = True
    if row.end_reason in TIMEOUTS:
        path = drafts.save_from_request(row.user_id)
        if path:
            g.draft_path = path
            flash(
                "Your session ended before this was saved. What you typed has been kept: sign in again to carry on.",
                "info",
            )
            return
        flash("Your session ended. Please sign in again.", "info")
