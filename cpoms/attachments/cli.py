"""flask verify-attachments: every stored file still matches its SHA-256, and no file
is on disk without a row (a server killed between writing a file and committing)."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from . import storage
from .models import Attachment

# A file younger than this may belong to a request still running: never called unreferenced.
SETTLE_SECONDS = 3600


def register(app: Flask) -> None:
    app.cli.add_command(verify_attachments_command)


@click.command("verify-attachments")
@click.option("--remove-unreferenced", is_flag=True, help="Delete files on disk that no attachment names.")
@with_appcontext
def verify_attachments_command(remove_unreferenced: bool) -> None:
    """Check every attachment's file against its recorded SHA-256; list files nothing refers to."""
    damaged, known = [], set()
    rows = db.session.execute(
        select(Attachment.id, Attachment.entry_id, Attachment.stored_name, Attachment.sha256)
        .order_by(Attachment.id)
        .execution_options(yield_per=1000)
    )
    for attachment_id, entry_id, stored_name, sha256 in rows:
        known.add(stored_name)
        try:
            storage.read_verified(stored_name, sha256)
        except storage.Damaged as problem:
            damaged.append(f"attachment {attachment_id} (entry {entry_id}): {problem}")
    settled = time.time() - SETTLE_SECONDS
    unreferenced = sorted(
        p for p in storage.directory().iterdir() if p.is_file() and p.name not in known and p.stat().st_mtime < settled
    )
    for path in unreferenced:
        if remove_unreferenced:
            path.unlink(missing_ok=True)
        click.echo(f"{'Removed' if remove_unreferenced else 'Unreferenced'} file: {path.name}")
    for line in damaged:
        click.echo(f"DAMAGED {line}", err=True)
    click.echo(f"{len(known)} attachments checked, {len(damaged)} damaged, {len(unreferenced)} unreferenced files.")
    if damaged:
        raise SystemExit(1)
