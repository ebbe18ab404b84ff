"""The transfer emails, to a school's safeguarding team: which pupil's file (initials
only), between which schools, and a link to the transfer; nothing of the record."""

from __future__ import annotations

from .. import alerts
from ..models import Alert

RECEIVED, OVERDUE, DECLINED = "transfer_received", "transfer_overdue", "transfer_declined"


def transfer_context(alert: Alert) -> dict:
    transfer = alert.transfer
    return {
        "transfer": transfer,
        "initials": transfer.pupil.initials,
        "link": alerts.link(alert, "transfers.show", transfer_id=transfer.id),
        "recipient": alert.recipient,
        "reason": alert.reason,
    }


EMAILS = tuple(alerts.Email(reason, "transfer", transfer_context) for reason in (RECEIVED, OVERDUE, DECLINED))
