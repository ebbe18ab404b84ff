"""flask commands: demo data, users, and the alert worker."""

from __future__ import annotations

import time

import click
import pyotp
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import alerts, audit
from .admin import operations
from .auth.two_factor import ISSUER
from .demo import DEMO_TRUST, load_demo
from .extensions import db
from .formfields import name_problem
from .models import Role, School, Trust, User


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(send_alerts_command)
    app.cli.add_command(verify_audit_command)
    from .mis.cli import register as register_mis

    register_mis(app)
    from .tasks.cli import send_reminders_command

    app.cli.add_command(send_reminders_command)

    from .transfers.cli import register as register_transfers

    register_transfers(app)

    from .attachments.cli import register as register_attachments

    register_attachments(app)

    from .packs.cli import register as register_packs

    register_packs(app)

    from .reports.cli import recount_reports_command

    app.cli.add_command(recount_reports_command)


@click.command("demo")
@click.option("--password", required=True, help="Password for every demo account.")
@click.option("--if-empty", is_flag=True, help="Load only into a database with no schools yet.")
@with_appcontext
def demo_command(password: str, if_empty: bool) -> None:
    """Create the synthetic demo trust (idempotent) and print its sign-in accounts."""
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    if if_empty and db.session.scalar(select(func.count(School.id))):
        click.echo("The database already has schools: demo data not loaded.")
        accounts = db.session.execute(
            select(User.email, User.totp_secret, User.totp_enrolled_at)
            .where(User.email.like("%.example.org"))
            .order_by(User.email)
        ).all()
        if accounts:
            click.echo("Demo accounts present (password as set when they were created):")
            for email, secret, enrolled_at in accounts:
                click.echo(f"  {email}" + (f"  TOTP secret {secret}" if secret and enrolled_at else ""))
        click.echo(alerts.where_emails_go())
        return
    existing = set(db.session.scalars(select(User.email)))
    accounts = load_demo(password)
    db.session.commit()
    click.echo(f"Demo trust: {DEMO_TRUST}")
    if any(email in existing for email, _, _ in accounts):
        click.echo(
            f"Password of accounts created now: {password}; accounts that already existed keep the password they had."
        )
    else:
        click.echo(f"Every account's password: {password}")
    click.echo(
        "Accounts with a TOTP secret use two-factor sign-in: add the secret to an authenticator "
        "app (a 'setup key'), or open the otpauth:// link on the phone. Staff accounts have none."
    )
    width = max(len(email) for email, _, _ in accounts)
    for email, description, secret in accounts:
        click.echo(f"  {email:<{width}}  {description}")
        if secret:
            uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
            click.echo(f"  {'':<{width}}  TOTP secret {secret}  {uri}")
    click.echo(alerts.where_emails_go())


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(Role.ALL))
@click.option("--school", "school_slug", help="School slug (not needed for trust-wide roles).")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_user_command(email: str, name: str, role: str, school_slug: str | None, password: str) -> None:
    """Create a user (or add a role to an existing one) as the operator at the server.

    This is the way in before there is any administrator (the first trust admin) and
    the way back in when none can sign in. It acts as the operator, not as any account:
    no administrator's limits apply, and the audit log records each role given as by
    the operator at the command line. Every other role is given on the users page or
    by the staff import, as an administrator."""
    if name_problem(name):
        raise click.BadParameter(name_problem(name), param_hint="--name")
    school = trust = None
    if role in Role.TRUST_WIDE:
        trust = db.session.scalar(select(Trust).order_by(Trust.id))
        if trust is None:
            raise click.ClickException("There is no trust yet: create a school first.")
    else:
        if not school_slug:
            raise click.BadParameter("this role needs a school", param_hint="--school")
        school = db.session.scalar(select(School).where(School.slug == school_slug))
        if school is None:
            raise click.BadParameter(f"no school with slug {school_slug!r}", param_hint="--school")
    email = email.strip().lower()
    grant = (role, school.id if school else None, trust.id if trust else None)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        user, _ = operations.create_user(None, name, email, grant, via=operations.COMMAND_LINE, mail=False)
    else:
        operations.add_role(None, user, grant, via=operations.COMMAND_LINE)
    user.set_password(password)
    db.session.commit()
    where = school.name if school else trust.name
    click.echo(f"{email}: {Role.LABELS[role]} at {where}")


@click.command("send-alerts")
@click.option("--watch", is_flag=True, help="Keep running, sending what falls due.")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between passes with --watch.")
@click.option("--retry-failed", is_flag=True, help="Give alerts that ran out of attempts another round first.")
@with_appcontext
def send_alerts_command(watch: bool, interval: float, retry_failed: bool) -> None:
    """Send pending alert emails from the outbox, retrying failures."""
    if not alerts.mail_configured():
        raise click.ClickException("MAIL_SERVER is not set (and no local mailbox): alerts stay queued until it is.")
    if retry_failed:
        click.echo(f"{alerts.requeue_failed()} failed alerts queued again")
        db.session.commit()
    while True:
        sent = failed = 0
        while True:  # drain what is due now, a batch at a time
            counts = alerts.send_pending()
            sent, failed = sent + counts["sent"], failed + counts["failed"]
            if not any(counts.values()):
                break
        if sent or failed or not watch:
            click.echo(f"sent {sent}, failed {failed}")
        if not watch:
            return
        time.sleep(interval)


@click.command("verify-audit")
@with_appcontext
def verify_audit_command() -> None:
    """Walk the audit log's hash chain and report the first row that does not hold."""
    check = audit.verify_chain()
    if check.intact:
        click.echo(f"Audit log intact: {check.events} events, every link holds.")
        return
    click.echo(f"Audit log BROKEN at event #{check.broken_seq}: {check.problem}.", err=True)
    click.echo(f"The {check.events} events before it are intact.", err=True)
    raise SystemExit(1)
