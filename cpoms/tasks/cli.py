"""flask send-reminders: run once a day (cron), or more often: it never repeats a day's reminder."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from .. import alerts
from ..common import uk_today
from ..keyinfo.operations import queue_check_in_reminders
from .reminders import queue_reminders


@click.command("send-reminders")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="The UK day to remind for (default today).")
@with_appcontext
def send_reminders_command(day) -> None:
    """Email the people whose tasks are due tomorrow or overdue (no details of the concern)."""
    today: date = day.date() if day else uk_today()
    queued = queue_reminders(today)
    click.echo(f"{len(queued)} task reminders queued for {today.isoformat()}")
    # The key adults' check-ins after a police notification are tasks too (cpoms/keyinfo/).
    check_ins = queue_check_in_reminders(today)
    click.echo(f"{len(check_ins)} check-in reminders queued for {today.isoformat()}")
    queued += check_ins
    if not queued:
        return
    if not alerts.mail_configured():
        click.echo("MAIL_SERVER is not set: the reminders stay queued until it is (flask send-alerts).")
        return
    counts = alerts.send_pending(ids=queued)
    click.echo(f"sent {counts['sent']}, failed {counts['failed']} (failures are retried by flask send-alerts)")
