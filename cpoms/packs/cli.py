"""flask verify-pack FILE, flask rotate-signing-key --trust NAME."""

from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Trust
from ..timefmt import uk_datetime
from . import fileformat, receiving, signing


@click.command("verify-pack")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def verify_pack_command(path: str) -> None:
    """Check a child-protection file pack: who signed it, when, with which key, and that no byte changed."""
    try:
        with open(path, "rb") as handle:
            body = handle.read(receiving.limits().max_bytes + 1)
    except OSError as exc:
        raise click.ClickException(f"Cannot read {path}: {exc.strerror}") from exc
    try:
        opened = fileformat.open_pack(body, receiving.limits())
    except fileformat.Refused as refused:
        click.echo(f"NOT VERIFIED: {refused}", err=True)
        raise SystemExit(1) from refused
    header = opened.header
    signer = header.get("signed_by") or {}
    try:
        signed_at = uk_datetime(datetime.fromisoformat(header.get("signed_at")).astimezone(timezone.utc))
    except (TypeError, ValueError):
        signed_at = f"(unreadable: {str(header.get('signed_at'))[:40]})"
    ours = signing.own_fingerprints()
    distrusted = receiving.distrusted(db.session.scalars(select(Trust.id)))
    click.echo(f"Pack:        {header.get('reference')} (format version {header.get('format_version')})")
    click.echo(f"Signed by:   {signer.get('school')} ({signer.get('trust')}), {signer.get('person')}")
    click.echo(f"Signed at:   {signed_at}")
    click.echo(f"Key:         {signing.spaced(opened.fingerprint)}")
    if opened.fingerprint in ours:
        click.echo("             a key of a trust on this installation")
    click.echo(f"Manifest:    SHA-256 {opened.manifest_sha256}")
    click.echo(f"Files:       {len(opened.files) - 2} listed in the manifest, every checksum matches")
    if opened.fingerprint in distrusted:
        click.echo("NOT TRUSTED: your trust has marked this key as not trusted.", err=True)
        raise SystemExit(2)
    click.echo("VERIFIED: the signature is good and no byte has changed since it was signed.")
    click.echo("Check the key fingerprint against the one the sending school publishes.")


@click.command("rotate-signing-key")
@click.option("--trust", "trust_name", required=True, help="The trust's name, as on the admin pages.")
@with_appcontext
def rotate_signing_key_command(trust_name: str) -> None:
    """Give a trust a new pack signing key; the old public key stays listed so old packs verify."""
    trust = db.session.scalar(select(Trust).where(Trust.name == trust_name))
    if trust is None:
        raise click.ClickException(f"No trust is called {trust_name!r}.")
    new, old = signing.rotate(trust.id)
    audit.record(audit.ROTATE_SIGNING_KEY, trust_id=trust.id, new_key=new, retired_key=old)
    db.session.commit()
    click.echo(f"New signing key for {trust.name}: {signing.spaced(new)}")
    if old:
        click.echo(f"Retired (still listed, old packs still verify): {signing.spaced(old)}")


def register(app) -> None:
    app.cli.add_command(verify_pack_command)
    app.cli.add_command(rotate_signing_key_command)
