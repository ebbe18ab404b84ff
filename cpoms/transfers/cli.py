"""flask send-transfer-reminders: run daily (cron or a systemd timer)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import alerts
from ..common import uk_today
from .reminders import queue_reminders


@click.command("send-transfer-reminders")
@with_appcontext
def send_transfer_reminders_command() -> None:
    """Email the sending safeguarding teams about transfers with no receipt 5 school days after sending."""
    queued = queue_reminders(uk_today())
    counts = alerts.send_pending(ids=queued) if queued else {"sent": 0, "failed": 0, "skipped": 0}
    click.echo(
        f"{len(queued)} reminder email(s) queued: {counts['sent']} sent, {counts['failed']} failed"
        + ("" if alerts.mail_configured() else " (MAIL_SERVER is not set: they wait in the outbox)")
        + "."
    )


def register(app) -> None:
    app.cli.add_command(send_transfer_reminders_command)
