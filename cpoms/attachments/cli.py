"""flask verify-attachments: every stored file still matches its SHA-256, and no file
is stored without an attachment naming it."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from . import storage
from .models import Attachment, AttachmentBlob


def register(app: Flask) -> None:
    app.cli.add_command(verify_attachments_command)


@click.command("verify-attachments")
@with_appcontext
def verify_attachments_command() -> None:
    """Check every attachment's file against its recorded SHA-256; list files nothing refers to."""
    damaged, checked = [], 0
    # The rows first (small), then each file's bytes alone: one file in memory at a time.
    rows = db.session.execute(
        select(Attachment.id, Attachment.entry_id, Attachment.stored_name, Attachment.sha256).order_by(Attachment.id)
    ).all()
    for attachment_id, entry_id, stored_name, sha256 in rows:
        checked += 1
        try:
            storage.read_verified(stored_name, sha256)
        except storage.Damaged as problem:
            damaged.append(f"attachment {attachment_id} (entry {entry_id}): {problem}")
    unreferenced = list(
        db.session.scalars(
            select(AttachmentBlob.stored_name)
            .where(AttachmentBlob.stored_name.not_in(select(Attachment.stored_name)))
            .order_by(AttachmentBlob.stored_name)
        )
    )
    for name in unreferenced:
        click.echo(f"Unreferenced file: {name}")
    for line in damaged:
        click.echo(f"DAMAGED {line}", err=True)
    click.echo(f"{checked} attachments checked, {len(damaged)} damaged, {len(unreferenced)} unreferenced files.")
    if damaged:
        raise SystemExit(1)
