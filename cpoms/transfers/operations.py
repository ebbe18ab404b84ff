"""One change to a transfer each: an append-only event, the state row moved on, the audit line.
Each flushes; the request commits."""

from __future__ import annotations

from datetime import date

from .. import alerts, audit
from ..extensions import db
from ..models import Pupil, School, User
from ..timefmt import now_utc
from . import emails
from .models import Transfer, TransferEvent, TransferStatus

STARTED, SENT, ACCEPTED, DECLINED, RECEIVED = (
    TransferStatus.STARTED,
    TransferStatus.SENT,
    TransferStatus.ACCEPTED,
    TransferStatus.DECLINED,
    TransferStatus.RECEIVED,
)


def _event(transfer: Transfer, kind: str, by: User, **details) -> TransferEvent:
    event = TransferEvent(transfer=transfer, kind=kind, by_id=by.id, at=now_utc(), **details)
    db.session.add(event)
    transfer.status = kind
    return event


def start(
    by: User,
    pupil: Pupil,
    *,
    to_school: School | None,
    destination_name: str | None,
    contact_name: str | None,
    contact_email: str | None,
    method: str,
    sent_on: date | None,
) -> Transfer:
    transfer = Transfer(
        pupil_id=pupil.id,
        from_school_id=pupil.school_id,
        to_school_id=to_school.id if to_school else None,
        destination_name=None if to_school else destination_name,
        contact_name=None if to_school else contact_name,
        contact_email=None if to_school else contact_email,
        method=method,
        started_by_id=by.id,
        started_at=now_utc(),
        status=STARTED,
    )
    transfer.pupil, transfer.to_school, transfer.started_by = pupil, to_school, by
    db.session.add(transfer)
    _event(transfer, STARTED, by)
    db.session.flush()
    audit.record(
        audit.START_TRANSFER,
        pupil=pupil,
        transfer=transfer.id,
        to_school=transfer.to_school_id,
        destination=transfer.destination,
        method=method,
    )
    if sent_on is not None:
        mark_sent(by, transfer, sent_on)
    return transfer


def mark_sent(by: User, transfer: Transfer, sent_on: date) -> None:
    """Sent: an in-trust file now waits for the receiving team, who are emailed."""
    transfer.sent_on = sent_on
    _event(transfer, SENT, by, on_date=sent_on)
    db.session.flush()
    audit.record(
        audit.SEND_TRANSFER,
        pupil=transfer.pupil,
        school_id=transfer.from_school_id,
        transfer=transfer.id,
        sent_on=sent_on,
    )
    if transfer.in_trust:
        alerts.queue_for_transfer(transfer, transfer.to_school_id, emails.RECEIVED)


def accept(by: User, transfer: Transfer) -> None:
    """The pupil joins the receiving school; every entry stays with the school that recorded it."""
    _event(transfer, ACCEPTED, by)
    transfer.closed_at = now_utc()
    pupil = transfer.pupil
    pupil.school_id, pupil.active, pupil.left_on = transfer.to_school_id, True, None
    db.session.flush()
    audit.record(
        audit.ACCEPT_TRANSFER,
        pupil=pupil,
        school_id=transfer.to_school_id,
        transfer=transfer.id,
        from_school=transfer.from_school_id,
    )


def decline(by: User, transfer: Transfer, reason: str) -> None:
    _event(transfer, DECLINED, by, note=reason)
    transfer.closed_at = now_utc()
    db.session.flush()
    audit.record(audit.DECLINE_TRANSFER, pupil=transfer.pupil, school_id=transfer.to_school_id, transfer=transfer.id)
    alerts.queue_for_transfer(transfer, transfer.from_school_id, emails.DECLINED)


def record_receipt(by: User, transfer: Transfer, *, confirmed_by: str, on_date: date, note: str | None) -> None:
    _event(transfer, RECEIVED, by, confirmed_by=confirmed_by, on_date=on_date, note=note)
    transfer.closed_at = now_utc()
    db.session.flush()
    audit.record(
        audit.RECORD_TRANSFER_RECEIPT,
        pupil=transfer.pupil,
        school_id=transfer.from_school_id,
        transfer=transfer.id,
        confirmed_by=confirmed_by,
        on_date=on_date,
    )
