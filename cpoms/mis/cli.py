"""flask import-pupils, import-staff, backup and restore: the MIS import and the database copy from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .. import audit
from ..auth.models import UserSession
from ..extensions import db
from ..models import School, User
from ..timefmt import now_utc
from . import backup, imports, pupils
from . import policy as mis_policy
from .csvfile import FileProblem


def register(app) -> None:
    for command in (import_pupils_command, import_staff_command, backup_command, restore_command):
        app.cli.add_command(command)


@click.command("import-pupils")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--partial", is_flag=True, help="The file lists only some pupils: mark nobody as left.")
@with_appcontext
def import_pupils_command(file: Path, slug: str, dry_run: bool, partial: bool) -> None:
    """Import a school's pupils from a CSV file exported from its MIS."""
    school, kind = _school(slug), imports.KINDS["pupils"]
    plan = kind.plan(school, _rows(kind.parse, file), not partial, None)
    for outcome in plan.of(pupils.LEFT):
        click.echo(f"left: {outcome.upn} {outcome.name}")
    _finish(plan, kind, school, file, dry_run, full=not partial)


@click.command("import-staff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option(
    "--as",
    "admin_email",
    required=True,
    metavar="EMAIL",
    help="The email of the school's administrator who gives these roles. The import acts with "
    "their authority, under the same rules as the users page: nobody gives themselves a role, "
    "and a row asking for a role they could not give there is an error. The audit log names them.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@with_appcontext
def import_staff_command(file: Path, slug: str, admin_email: str, dry_run: bool) -> None:
    """Import a school's staff (name, email, role) from a CSV file, as one of its
    administrators (--as). New accounts have no password until they set one with
    "Forgotten your password?"."""
    school, kind = _school(slug), imports.KINDS["staff"]
    admin = _administrator(admin_email, school)
    _finish(kind.plan(school, _rows(kind.parse, file), False, admin), kind, school, file, dry_run, by=admin)


def _administrator(email: str, school: School) -> User:
    """The account an import acts as. The operator at the server has no second factor to
    give, but holds the server itself: their shell stands in for it, so the account has
    the rights it has when signed in with two-factor, and no more."""
    admin = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if admin is None or not admin.active:
        raise click.BadParameter(f"no active account with the email {email!r}", param_hint="--as")
    admin.session_row = UserSession(user_id=admin.id, two_factor_at=now_utc())
    if school.id not in mis_policy.pupil_import_school_ids(admin):
        raise click.BadParameter(f"{admin.email} is not an administrator of {school.name}", param_hint="--as")
    return admin


def _school(slug: str) -> School:
    school = db.session.scalar(select(School).where(School.slug == slug))
    if school is None:
        raise click.BadParameter(f"no school with slug {slug!r}", param_hint="--school")
    return school


def _rows(parse, file: Path):
    try:
        return parse(file.read_bytes())
    except FileProblem as problem:
        raise click.ClickException(f"{file.name}: {problem}") from None


def _finish(
    plan, kind: imports.ImportKind, school: School, file: Path, dry_run: bool, by: User | None = None, **detail
) -> None:
    for outcome in plan.of(pupils.ERROR):
        click.echo(f"line {outcome.line}: {outcome.detail}", err=True)
    counts = plan.counts()
    if dry_run:
        click.echo(f"Dry run, nothing written: {pupils.summary(counts)}")
        return
    kind.apply(plan, by)
    imports.record(school, counts, file.name, by, action=kind.action, command=True, **detail)
    db.session.commit()
    click.echo(f"Imported into {school.name}: {pupils.summary(counts)}")


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Copy the SQLite database to DEST while the app runs (a consistent snapshot)."""
    try:
        size = backup.backup(db.engine.url, dest)
    except backup.BackupProblem as problem:
        raise click.ClickException(str(problem)) from None
    audit.record(audit.BACKED_UP, to=str(dest), size=size)
    db.session.commit()
    click.echo(f"Backed up to {dest} ({size:,} bytes).")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Replace the SQLite database with the backup SRC. Stop the app first."""
    db.session.remove()
    try:
        backup.restore(db.engine.url, src, force=force)
    except backup.BackupProblem as problem:
        raise click.ClickException(str(problem)) from None
    db.engine.dispose()
    # The restored log's chain goes on from where the backup left it, saying so.
    audit.record(audit.RESTORED, source=str(src))
    db.session.commit()
    click.echo(f"Restored from {src}.")
