"""Reminders of overdue transfers: the sending school's safeguarding team is emailed
(through the alert outbox) about each transfer with no receipt 5 school days after
it was sent, once a day at most however often the command runs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import alerts, audit
from ..extensions import db
from . import emails
from .models import TransferReminder
from .queries import overdue_transfers


def queue_reminders(today: date) -> list[int]:
    """Queue today's reminders and commit each transfer's on its own. Returns the alert ids queued."""
    queued: list[int] = []
    for transfer in overdue_transfers(today):
        already = db.session.scalar(
            select(TransferReminder.id).where(
                TransferReminder.transfer_id == transfer.id, TransferReminder.on_date == today
            )
        )
        if already is not None:
            continue
        db.session.add(TransferReminder(transfer_id=transfer.id, on_date=today))
        rows = alerts.queue_for_transfer(transfer, transfer.from_school_id, emails.OVERDUE)
        audit.record(
            audit.TRANSFER_REMINDERS_QUEUED,
            pupil=transfer.pupil,
            school_id=transfer.from_school_id,
            transfer=transfer.id,
            recipients=len(rows),
            on_date=today,
        )
        try:
            db.session.commit()
        except IntegrityError:
            # Another run reminded about this transfer today, between our check and our commit.
            db.session.rollback()
            continue
        queued.extend(alert.id for alert in rows)
    return queued
