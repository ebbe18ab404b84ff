"""Per-account lock after repeated failed sign-ins: LOCKOUT_AFTER_FAILURES failures
lock the account for a minute, each further failure doubles it, up to
LOCKOUT_MAX_MINUTES. Kept on the user row, so it holds across app servers.
Password and two-factor code failures count alike."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models import User
from ..timefmt import now_utc


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > now_utc()


def lock_minutes(failures: int) -> int:
    after = current_app.config["LOCKOUT_AFTER_FAILURES"]
    if failures < after:
        return 0
    return min(2 ** (failures - after), current_app.config["LOCKOUT_MAX_MINUTES"])


def record_failure(user: User) -> None:
    # One atomic increment: two servers counting at once lose no failure.
    failures = db.session.execute(
        update(User.__table__)
        .where(User.__table__.c.id == user.id)
        .values(failed_sign_ins=User.__table__.c.failed_sign_ins + 1)
        .returning(User.__table__.c.failed_sign_ins)
    ).scalar_one()
    minutes = lock_minutes(failures)
    if minutes:
        db.session.execute(
            update(User.__table__)
            .where(User.__table__.c.id == user.id)
            .values(locked_until=now_utc() + timedelta(minutes=minutes))
        )
    db.session.expire(user, ["failed_sign_ins", "locked_until"])


def record_success(user: User) -> None:
    user.failed_sign_ins, user.locked_until, user.last_sign_in_at = 0, None, now_utc()


def unlock(user: User) -> None:
    user.failed_sign_ins, user.locked_until = 0, None
