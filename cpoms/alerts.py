"""The alert outbox: rows written in the entry's transaction, sent after the commit.

A row is claimed (status "sending") in one statement before it is sent, so the
request that created it and any number of `send-alerts` workers never send it
twice: on PostgreSQL the claim locks the rows FOR UPDATE SKIP LOCKED, so workers
take different rows and never wait for each other; on SQLite the UPDATE runs
under the database's one write lock and re-checks the status. A failed send
leaves the row pending with the error and a later time to try again (doubling
each time); after ALERT_MAX_ATTEMPTS it is marked failed, shown to the
safeguarding team and the school's admins, who can queue it again.
A mail outage delays alerts but never drops them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from flask import Flask, current_app, g, has_request_context, render_template, request, url_for
from flask_login import current_user
from flask_mail import Connection, Message
from sqlalchemy import and_, case, func, insert, or_, select, update

from . import mailbox
from .extensions import db
from .models import Alert, Category, Entry, User
from .policy import RECEIVES_ALERTS, holders
from .timefmt import now_utc

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
CLAIM_EXPIRES = timedelta(minutes=10)  # a worker that died mid-send gives its rows back

# The reasons of the alerts about a new entry (its page's delivery line counts these only).
SAFEGUARDING_TEAM, STAFF_CHOSEN = "safeguarding_team", "chosen_by_recorder"
ABOUT_A_NEW_ENTRY = (SAFEGUARDING_TEAM, STAFF_CHOSEN)


# --- what each kind of email says: declared by its area, registered by create_app -------


@dataclass(frozen=True)
class Email:
    """The email sent for outbox rows of one reason: templates/email/<template>.subject.txt,
    .txt and .html, filled from what context(alert) gathers. Several reasons may share
    templates, which then tell them apart by the context."""

    reason: str
    template: str
    context: Callable[[Alert], dict]

    def render(self, alert: Alert) -> Message:
        context = self.context(alert)
        return Message(
            # A subject is one line: the template's own line breaks around its {% if %}s are not part of it.
            subject=render_template(f"email/{self.template}.subject.txt", **context).strip(),
            recipients=[alert.email],
            body=render_template(f"email/{self.template}.txt", **context),
            html=render_template(f"email/{self.template}.html", **context),
        )


class UnregisteredReason(LookupError):
    """An outbox row whose reason no area registered an email for: it is never sent as
    some other kind of email; it fails, with this message, where the admins see it."""


def register_emails(app: Flask, emails) -> None:
    """The app's emails, by reason (create_app calls this once with every area's)."""
    registry = app.extensions.setdefault("outbox_emails", {})
    for email in emails:
        if email.reason in registry:
            raise ValueError(f"Two emails are registered for the outbox reason {email.reason!r}")
        registry[email.reason] = email


def registered_emails(app: Flask | None = None) -> Mapping[str, Email]:
    return MappingProxyType((app or current_app).extensions.get("outbox_emails", {}))


def render(alert: Alert) -> Message:
    """The email for an outbox row, as its reason's registered templates say."""
    email = registered_emails().get(alert.reason)
    if email is None:
        raise UnregisteredReason(f"No email is registered for the outbox reason {alert.reason!r}")
    return email.render(alert)


def safeguarding_team(school_id: int, about_pupils=()) -> list[User]:
    """Who a safeguarding entry, or a transfer, about these pupils alerts at a school:
    never a member of the team excluded from one of the pupils' records."""
    return list(db.session.scalars(holders(RECEIVES_ALERTS, [school_id], about_pupils).order_by(User.id)))


def queue_for_entry(entry: Entry, later_category: Category | None = None) -> dict[int, int]:
    """Outbox rows for an entry whose category (or a category added to it later)
    alerts the team, sent once committed: {recipient's user id: alert id}."""
    if not (later_category or entry.category).alerts_safeguarding_team:
        return {}
    return _queue(
        entry,
        safeguarding_team(entry.school_id, [link.pupil_id for link in entry.entry_pupils]),
        SAFEGUARDING_TEAM,
        category_id=later_category.id if later_category else None,
    )


def _queue(entry: Entry, users: list[User], reason: str, category_id: int | None = None) -> dict[int, int]:
    """One INSERT for every recipient, however many: logging costs the same queries
    for a school with two DSLs as for one with five."""
    if not users:
        return {}
    now, base_url = now_utc(), queued_from()
    rows = db.session.execute(
        insert(Alert).returning(Alert.id, Alert.recipient_id),
        [
            {
                "entry_id": entry.id,
                "school_id": entry.school_id,
                "recipient_id": user.id,
                "email": user.email,
                "reason": reason,
                "category_id": category_id,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "base_url": base_url,
            }
            for user in users
        ],
    )
    queued = {recipient_id: alert_id for alert_id, recipient_id in rows}
    g.setdefault("alerts_after_commit", []).extend(queued.values())
    return queued


def forget_queued() -> None:
    """The transaction that queued alerts was rolled back: there is nothing to send."""
    g.pop("alerts_after_commit", None)


def send_after_commit() -> None:
    """Called once the request's commit succeeded: try the rows it queued now.

    The entry is saved by then, so nothing here may turn the response into an
    error (the person would log the concern again): the worker retries instead.
    """
    queued = g.pop("alerts_after_commit", [])  # alert ids
    if not queued:
        return
    try:
        send_pending(ids=list(queued))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Sending alerts after commit failed; they stay queued")


def requeue_failed(school_ids=None, entry_id: int | None = None) -> int:
    """Alerts that used up their attempts go back in the queue, attempts reset;
    in a request they are tried again once it has committed. Flushes only."""
    query = select(Alert).where(Alert.status == FAILED)
    if school_ids is not None:
        query = query.where(Alert.school_id.in_(school_ids))
    if entry_id is not None:
        query = query.where(Alert.entry_id == entry_id)
    rows = list(db.session.scalars(query))
    for alert in rows:
        alert.status, alert.attempts, alert.next_attempt_at = PENDING, 0, now_utc()
    db.session.flush()
    if has_request_context():
        g.setdefault("alerts_after_commit", []).extend(alert.id for alert in rows)
    return len(rows)


def requeued_message(count: int) -> str:
    if not count:
        return "There were no failed alerts to send again."
    emails = "email is" if count == 1 else "emails are"
    return f"{count} alert {emails} being sent again."


def where_emails_go() -> str:
    """One line for the operator (the demo's sign-in details)."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"Emails are sent through the mail server {config['MAIL_SERVER']}:{config['MAIL_PORT']}."
    if mailbox.enabled():
        where = f"{config['DEV_SERVER_URL']}/mailbox" if config.get("DEV_SERVER_URL") else "/mailbox on this server"
        return (
            f"No mail server is configured: every email the app sends (alerts, password resets, reminders) "
            f"goes to a local mailbox. Read them at {where} (saved as .eml files in {config['MAILBOX_DIR']})."
        )
    return (
        "No mail server is configured: emails wait in the outbox until MAIL_SERVER is set "
        "(`make run` delivers them to a local mailbox instead)."
    )


def mail_configured() -> bool:
    """Whether emails can go anywhere: a mail server, or the local mailbox of `make run`."""
    return bool(current_app.config.get("MAIL_SERVER")) or mailbox.enabled()


def _connection():
    if mailbox.enabled():
        return mailbox.Connection()
    return _TimedConnection(current_app.extensions["mail"])


CLAIM_BATCH = 20  # rows claimed at a time: small, so a slow server holds few rows back from other workers


def send_pending(ids: list[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due (or just `ids`), at most `limit` tries. Returns counts of sent and failed tries."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    if not mail_configured():
        counts["skipped"] = len(ids) if ids is not None else 0
        return counts
    while counts["sent"] + counts["failed"] < limit:
        claimed = _claim(ids, min(CLAIM_BATCH, limit - counts["sent"] - counts["failed"]))
        if not claimed:
            break
        _send(claimed, counts)
    return counts


def _due(now):
    return or_(
        and_(Alert.status == PENDING, Alert.next_attempt_at <= now),
        # A worker that died mid-send gives its rows back.
        and_(Alert.status == SENDING, Alert.claimed_at < now - CLAIM_EXPIRES),
    )


def _claim(ids: list[int] | None, limit: int) -> list[int]:
    """Mark up to `limit` due rows as being sent by this process, and commit."""
    now = now_utc()
    due = select(Alert.id).where(_due(now)).order_by(Alert.id).limit(limit).with_for_update(skip_locked=True)
    if ids is not None:
        due = due.where(Alert.id.in_(ids))
    claimed = sorted(
        db.session.scalars(
            update(Alert)
            .where(Alert.id.in_(due.scalar_subquery()), _due(now))
            .values(status=SENDING, claimed_at=now)
            .returning(Alert.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return claimed


def _send(claimed: list[int], counts: dict[str, int]) -> None:
    connection = _connection()
    try:
        connection.__enter__()
    except (OSError, smtplib.SMTPException) as exc:
        for alert_id in claimed:
            _failed(alert_id, exc)
            counts["failed"] += 1
        return
    try:
        for alert_id in claimed:
            alert = db.session.get(Alert, alert_id)
            try:
                connection.send(render(alert))
            except Exception as exc:  # noqa: BLE001
                # Anything this one message raises (a header refused for a line break in
                # a name, a template error) is its failure alone: it is recorded and
                # retried, and the rest of the batch, safeguarding alerts among them, goes.
                if not isinstance(exc, (OSError, smtplib.SMTPException)):
                    db.session.rollback()
                    current_app.logger.exception("Alert %s could not be sent", alert_id)
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


def _failed(alert_id: int, exc: Exception) -> None:
    alert = db.session.get(Alert, alert_id)
    db.session.refresh(alert)
    alert.attempts += 1
    alert.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if alert.attempts >= current_app.config["ALERT_MAX_ATTEMPTS"]:
        alert.status = FAILED
    else:
        alert.status = PENDING
        # 1, 2, 4 ... minutes (by default), at most an hour between tries.
        config = current_app.config
        wait = min(config["ALERT_RETRY_BASE_SECONDS"] * 2 ** (alert.attempts - 1), config["ALERT_RETRY_MAX_SECONDS"])
        alert.next_attempt_at = now_utc() + timedelta(seconds=wait)
    db.session.commit()


LAST_RESORT_BASE_URL = "http://127.0.0.1:5000"  # `make run`'s default, when nothing says otherwise


def queued_from() -> str | None:
    """The address a signed-in person reached the app at, kept on the outbox rows their
    action queues. Not an anonymous request's: the forgotten-password page would let
    anyone choose, by the Host header, where a reset link points."""
    if has_request_context() and current_user.is_authenticated:
        return request.host_url.rstrip("/")[:200]
    return None


def base_url(alert: Alert) -> str:
    """APP_BASE_URL when set; else the address the row was queued from; else (a row
    queued by a command, or from the forgotten-password page) the latest such address."""
    configured = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    if configured:
        return configured
    if alert.base_url:
        return alert.base_url
    latest = db.session.scalar(
        select(Alert.base_url).where(Alert.base_url.is_not(None)).order_by(Alert.id.desc()).limit(1)
    )
    return latest or current_app.config.get("DEV_SERVER_URL") or LAST_RESORT_BASE_URL


def link(alert: Alert, endpoint: str, **values) -> str:
    """A link in an email, built by the worker, which has no request of its own."""
    with current_app.test_request_context(base_url=base_url(alert)):
        return url_for(endpoint, _external=True, **values)


def entry_alert_context(alert: Alert) -> dict:
    """The team's alert about a new entry (or one now also in an alerting category), and a
    colleague's the recorder chose: initials only, and no word of the narrative."""
    entry = alert.entry
    return {
        "entry": entry,
        "category": alert.category or entry.category,
        # An entry shows the name its category had when it was recorded; a later one, its own.
        "category_name": alert.category.name if alert.category else entry.category_name,
        "later": alert.category is not None,
        "initials": ", ".join(p.initials for p in entry.pupils),
        "link": link(alert, "entries.show", entry_id=entry.id),
        "recipient": alert.recipient,
        "shared": alert.reason == STAFF_CHOSEN,
    }


EMAILS = (Email(SAFEGUARDING_TEAM, "alert", entry_alert_context), Email(STAFF_CHOSEN, "alert", entry_alert_context))


def delivery_summary(entry_ids: list[int]) -> dict[int, dict[str, int]]:
    """Safeguarding-team alert counts by status for each entry, in one query (the staff
    a recorder chose are shown one by one, with their shares)."""
    summary: dict[int, dict[str, int]] = {}
    if not entry_ids:
        return summary
    rows = db.session.execute(
        select(Alert.entry_id, Alert.status, func.count())
        .where(Alert.entry_id.in_(entry_ids), Alert.reason == SAFEGUARDING_TEAM)
        .group_by(Alert.entry_id, Alert.status)
    )
    for entry_id, status, count in rows:
        summary.setdefault(entry_id, {})[status] = count
    return summary


def entry_alert_statuses(entry_id: int) -> list[tuple[int, str, str]]:
    """(recipient's user id, reason, status) of each alert about a new entry, in one query."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Alert.recipient_id, Alert.reason, Alert.status)
            .where(Alert.entry_id == entry_id, Alert.reason.in_(ABOUT_A_NEW_ENTRY))
            .order_by(Alert.id)
        )
    ]


def undelivered_count(school_ids, statuses=(PENDING, SENDING, FAILED)) -> int:
    if not school_ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(Alert.id)).where(Alert.school_id.in_(school_ids), Alert.status.in_(statuses))
        )
        or 0
    )


def mail_health(school_ids) -> dict:
    """Why alerts of these schools are not going out, for the team's and admins' home page:
    no mail server; rows due for ALERT_STALE_MINUTES with no try (no worker is running);
    rows the mail server refused, being retried (with the latest error)."""
    now = now_utc()
    stale = now - timedelta(minutes=current_app.config["ALERT_STALE_MINUTES"])
    health = {
        "configured": mail_configured(),
        "waiting": 0,
        "stalled": 0,
        "retrying": 0,
        "last_error": None,
        "stale_minutes": current_app.config["ALERT_STALE_MINUTES"],
    }
    if not school_ids:
        return health
    ours = Alert.school_id.in_(school_ids)
    waiting, stalled, retrying = db.session.execute(
        select(
            func.count(Alert.id),
            func.coalesce(
                func.sum(
                    case(
                        (
                            or_(
                                and_(Alert.status == PENDING, Alert.next_attempt_at < stale),
                                and_(Alert.status == SENDING, Alert.claimed_at < stale),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(func.sum(case((and_(Alert.status == PENDING, Alert.attempts > 0), 1), else_=0)), 0),
        ).where(ours, Alert.status.in_((PENDING, SENDING)))
    ).one()
    health.update(waiting=waiting, stalled=stalled, retrying=retrying)
    if retrying:
        health["last_error"] = db.session.scalar(
            select(Alert.last_error)
            .where(ours, Alert.status == PENDING, Alert.attempts > 0)
            .order_by(Alert.id.desc())
            .limit(1)
        )
    return health


def failed_about_entry(entry_id: int) -> int:
    """Every email about an entry given up on (the team's, colleagues', task reminders):
    what the entry page's "try again" sends again."""
    return (
        db.session.scalar(select(func.count(Alert.id)).where(Alert.entry_id == entry_id, Alert.status == FAILED)) or 0
    )


def failed_count(school_ids) -> int:
    """Alerts given up on after ALERT_MAX_ATTEMPTS: they wait for someone to press retry."""
    return undelivered_count(school_ids, statuses=(FAILED,))


def send_message(message: Message) -> None:
    """Send one message straight away, bounded by MAIL_TIMEOUT; raises if it fails."""
    if not mail_configured():
        raise smtplib.SMTPException("MAIL_SERVER is not set")
    with _connection() as connection:
        connection.send(message)


# --- staff alerted by the recorder when logging ------------------------------------------


def queue_for_staff(entry: Entry, users: list[User], team_alerts: dict[int, int]) -> dict[int, int]:
    """Outbox rows for the colleagues a recorder chose, sent once committed: {user id:
    alert id}. Someone the safeguarding team's alert already reaches gets no second email."""
    fresh = [user for user in users if user.id not in team_alerts]
    return {**team_alerts, **_queue(entry, fresh, STAFF_CHOSEN)}


# --- child-protection file transfers (cpoms/transfers/emails.py says what they say) ---


def queue_for_transfer(transfer, school_id: int, reason: str) -> list[Alert]:
    """Outbox rows to a school's safeguarding team about a transfer; sent once committed."""
    alerts = [
        Alert(
            transfer=transfer,
            school_id=school_id,
            recipient=user,
            email=user.email,
            reason=reason,
            base_url=queued_from(),
        )
        for user in safeguarding_team(school_id, [transfer.pupil_id])
    ]
    return queue_rows(alerts)


# --- other kinds of email about an entry (cpoms/hearback/: the recorder hears back) ---


def queue_about_entry(entry: Entry, users: list[User], reason: str) -> dict[int, int]:
    """Outbox rows about an entry to these people for a registered reason, sent once
    committed: {user id: alert id}."""
    return _queue(entry, users, reason)


def queue_to(users: list[User], school_id: int, reason: str) -> list[Alert]:
    """Outbox rows about no entry or transfer (a concern about an adult), to these people
    for a registered reason whose email puts nothing of the record in it."""
    alerts = [
        Alert(school_id=school_id, recipient=user, email=user.email, reason=reason, base_url=queued_from())
        for user in users
    ]
    return queue_rows(alerts)


def queue_rows(alerts: list[Alert]) -> list[Alert]:
    """Outbox rows made by the caller, sent once the request commits."""
    db.session.add_all(alerts)
    db.session.flush()  # the ids, which is what send_after_commit() is handed
    if has_request_context():
        g.setdefault("alerts_after_commit", []).extend(alert.id for alert in alerts)
    return alerts
