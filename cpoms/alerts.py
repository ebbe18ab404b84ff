"""The alert outbox: rows written in the entry's transaction, sent after the commit.

A row is claimed with a conditional UPDATE before it is sent, so the request that
created it and any number of `send-alerts` workers never send it twice. A failed
send leaves it pending with the error and a later time to try again; a mail
outage delays alerts but never drops them.
"""
from __future__ import annotations

import smtplib
from datetime import timedelta

from flask import current_app, g, render_template, url_for
from flask_mail import Connection, Message
from sqlalchemy import and_, func, or_, select, update

from .extensions import db
from .models import Alert, Entry, RoleAssignment, User
from .policy import SAFEGUARDING_TEAM
from .timefmt import now_utc

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
CLAIM_EXPIRES = timedelta(minutes=10)  # a worker that died mid-send gives its rows back


def safeguarding_team(school_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.school_id == school_id,
                RoleAssignment.role.in_(SAFEGUARDING_TEAM),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def queue_for_entry(entry: Entry) -> list[Alert]:
    """Outbox rows for an entry whose category alerts the team; sent once committed."""
    if not entry.category.alerts_safeguarding_team:
        return []
    alerts = [
        Alert(entry=entry, school_id=entry.school_id, recipient=user, email=user.email,
              reason="safeguarding_team")
        for user in safeguarding_team(entry.school_id)
    ]
    db.session.add_all(alerts)
    g.setdefault("alerts_after_commit", []).extend(alerts)
    return alerts


def send_after_commit() -> None:
    """Called once the request's commit succeeded: try the rows it queued now.

    The entry is saved by then, so nothing here may turn the response into an
    error (the person would log the concern again): the worker retries instead.
    """
    queued = g.pop("alerts_after_commit", [])
    if not queued:
        return
    try:
        send_pending(ids=[alert.id for alert in queued])
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Sending alerts after commit failed; they stay queued")


def retry_failed() -> int:
    """Alerts that used up their attempts go back in the queue, attempts reset."""
    result = db.session.execute(
        update(Alert)
        .where(Alert.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_pending(ids: list[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due (or just `ids`). Returns counts of sent and failed tries."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    if not mail_configured():
        counts["skipped"] = len(ids) if ids is not None else 0
        return counts
    now = now_utc()
    query = select(Alert.id).where(
        or_(
            and_(Alert.status == PENDING, Alert.next_attempt_at <= now),
            and_(Alert.status == SENDING, Alert.claimed_at < now - CLAIM_EXPIRES),
        )
    ).order_by(Alert.id).limit(limit)
    if ids is not None:
        query = query.where(Alert.id.in_(ids))
    candidates = list(db.session.scalars(query))
    db.session.commit()
    if not candidates:
        return counts
    connection = _TimedConnection(current_app.extensions["mail"])
    try:
        connection.__enter__()
    except (OSError, smtplib.SMTPException) as exc:
        for alert_id in candidates:
            if _claim(alert_id):
                _failed(alert_id, exc)
                counts["failed"] += 1
        return counts
    try:
        for alert_id in candidates:
            if not _claim(alert_id):
                counts["skipped"] += 1
                continue
            alert = db.session.get(Alert, alert_id)
            try:
                connection.send(_message(alert))
            except (OSError, smtplib.SMTPException) as exc:
                _failed(alert_id, exc)
                counts["failed"] += 1
            else:
                alert.status, alert.sent_at, alert.last_error = SENT, now_utc(), None
                alert.attempts += 1
                db.session.commit()
                counts["sent"] += 1
    finally:
        try:
            connection.__exit__(None, None, None)
        except (OSError, smtplib.SMTPException):
            pass
    return counts


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a mail server that hangs
    cannot hold a teacher's request (or a worker) for ever."""

    def configure_host(self):
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _claim(alert_id: int) -> bool:
    now = now_utc()
    result = db.session.execute(
        update(Alert)
        .where(
            Alert.id == alert_id,
            or_(
                Alert.status == PENDING,
                and_(Alert.status == SENDING, Alert.claimed_at < now - CLAIM_EXPIRES),
            ),
        )
        .values(status=SENDING, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _failed(alert_id: int, exc: Exception) -> None:
    alert = db.session.get(Alert, alert_id)
    db.session.refresh(alert)
    alert.attempts += 1
    alert.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if alert.attempts >= current_app.config["ALERT_MAX_ATTEMPTS"]:
        alert.status = FAILED
    else:
        alert.status = PENDING
        # 1, 2, 4 ... minutes, at most an hour between tries.
        alert.next_attempt_at = now_utc() + timedelta(minutes=min(2 ** (alert.attempts - 1), 60))
    db.session.commit()


def _entry_link(entry_id: int) -> str:
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("entries.show", entry_id=entry_id, _external=True)


def _message(alert: Alert) -> Message:
    entry = alert.entry
    context = {
        "entry": entry,
        "initials": ", ".join(p.initials for p in entry.pupils),
        "link": _entry_link(entry.id),
        "recipient": alert.recipient,
    }
    return Message(
        subject=f"New {entry.category.name.lower()} entry at {entry.school.name}: please review",
        recipients=[alert.email],
        body=render_template("email/alert.txt", **context),
        html=render_template("email/alert.html", **context),
    )


def delivery_summary(entry_ids: list[int]) -> dict[int, dict[str, int]]:
    """Alert counts by status for each entry, in one query."""
    summary: dict[int, dict[str, int]] = {}
    if not entry_ids:
        return summary
    rows = db.session.execute(
        select(Alert.entry_id, Alert.status, func.count())
        .where(Alert.entry_id.in_(entry_ids))
        .group_by(Alert.entry_id, Alert.status)
    )
    for entry_id, status, count in rows:
        summary.setdefault(entry_id, {})[status] = count
    return summary


def undelivered_count(school_ids) -> int:
    if not school_ids:
        return 0
    return db.session.scalar(
        select(func.count(Alert.id))
        .where(Alert.school_id.in_(school_ids), Alert.status.in_((PENDING, SENDING, FAILED)))
    ) or 0


