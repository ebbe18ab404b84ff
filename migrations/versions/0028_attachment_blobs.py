"""attachment files in the database (every app server reads them; backups hold them): moved from the attachment folder, checksums verified

Revision ID: 0028_attachment_blobs
Revises: 0027_sign_in_providers
Create Date: 2026-12-06 03:30:00
"""

import hashlib
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0028_attachment_blobs"
down_revision = "0027_sign_in_providers"
branch_labels = None
depends_on = None

# Set to 1 to upgrade although some attachments' files are already missing or changed on disk
# (each is listed; downloading one says it is damaged, exactly as before the upgrade).
ALLOW_DAMAGED = "CPOMS_UPGRADE_WITH_DAMAGED_ATTACHMENTS"

# As cpoms/append_only.py wrote them at this revision: a file's bytes are never changed, and
# deleted only with its entry after the retention review (retention_deletion_grants).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER attachment_blobs_no_update BEFORE UPDATE ON attachment_blobs BEGIN SELECT RAISE(ABORT, 'attachment_blobs is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER attachment_blobs_no_delete BEFORE DELETE ON attachment_blobs WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT a.entry_id FROM attachments a WHERE a.stored_name = OLD.stored_name))) BEGIN SELECT RAISE(ABORT, 'attachment_blobs is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION attachment_blobs_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT a.entry_id FROM attachments a WHERE a.stored_name = OLD.stored_name))) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER attachment_blobs_append_only BEFORE UPDATE ON attachment_blobs FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER attachment_blobs_no_truncate BEFORE TRUNCATE ON attachment_blobs FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER attachment_blobs_no_delete BEFORE DELETE ON attachment_blobs FOR EACH ROW EXECUTE FUNCTION attachment_blobs_delete_if_granted()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS attachment_blobs_no_update",
        "DROP TRIGGER IF EXISTS attachment_blobs_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS attachment_blobs_no_delete ON attachment_blobs",
        "DROP TRIGGER IF EXISTS attachment_blobs_append_only ON attachment_blobs",
        "DROP TRIGGER IF EXISTS attachment_blobs_no_truncate ON attachment_blobs",
        "DROP FUNCTION IF EXISTS attachment_blobs_delete_if_granted()",
    ),
}

ATTACHMENTS = sa.table(
    "attachments",
    sa.column("id", sa.Integer),
    sa.column("entry_id", sa.Integer),
    sa.column("stored_name", sa.String),
    sa.column("sha256", sa.String),
)
BLOBS = sa.table("attachment_blobs", sa.column("stored_name", sa.String), sa.column("data", sa.LargeBinary))


def _folder() -> Path | None:
    """The folder the app kept its files in: its ATTACHMENT_DIR (flask db upgrade runs
    inside the app), else the environment's, else the default under the instance folder."""
    try:
        from flask import current_app

        configured = current_app.config.get("ATTACHMENT_DIR")
    except (ImportError, RuntimeError):  # alembic run on its own, outside the app
        configured = None
    if configured:
        return Path(configured)
    if os.environ.get("ATTACHMENT_DIR"):
        return Path(os.environ["ATTACHMENT_DIR"])
    instance = os.environ.get("CPOMS_INSTANCE_DIR") or Path(__file__).resolve().parents[2] / "instance"
    return Path(instance) / "attachments"


def _read(folder: Path, stored_name: str, sha256: str) -> tuple[bytes | None, str | None]:
    """The file's bytes and None, or None and what is wrong with it."""
    if len(stored_name) != 40 or not all(c in "0123456789abcdef" for c in stored_name):
        return None, "its stored name is not one the app gives"
    try:
        data = (folder / stored_name).read_bytes()
    except FileNotFoundError:
        return None, f"{folder / stored_name} is missing"
    if hashlib.sha256(data).hexdigest() != sha256:
        return None, f"{folder / stored_name} no longer matches its recorded SHA-256"
    return data, None


def upgrade():
    bind = op.get_bind()
    folder = _folder()
    rows = bind.execute(
        sa.select(ATTACHMENTS.c.id, ATTACHMENTS.c.entry_id, ATTACHMENTS.c.stored_name, ATTACHMENTS.c.sha256).order_by(
            ATTACHMENTS.c.id
        )
    ).all()
    # Every file checked before anything changes: a damaged one stops the upgrade with the schema as it was.
    damaged = []
    for attachment_id, entry_id, stored_name, sha256 in rows:
        data, problem = _read(folder, stored_name, sha256)
        if problem:
            damaged.append(f"attachment {attachment_id} (entry {entry_id}): {problem}")
    if damaged and os.environ.get(ALLOW_DAMAGED) != "1":
        raise RuntimeError(
            f"{len(damaged)} of {len(rows)} attachment files cannot be moved into the database:\n  "
            + "\n  ".join(damaged[:50])
            + f"\nRestore them from a backup of {folder} (or set ATTACHMENT_DIR to where they are) and upgrade "
            f"again. To upgrade anyway, leaving these marked damaged, set {ALLOW_DAMAGED}=1."
        )
    op.create_table(
        "attachment_blobs",
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stored_name", name=op.f("pk_attachment_blobs")),
    )
    op.create_table(
        "staged_files",
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("staged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("stored_name", name=op.f("pk_staged_files")),
    )
    op.create_index(op.f("ix_staged_files_staged_at"), "staged_files", ["staged_at"], unique=False)
    # One file in memory at a time, read and checked again as it goes in.
    for _, _, stored_name, sha256 in rows:
        data, problem = _read(folder, stored_name, sha256)
        if data is not None:
            bind.execute(sa.insert(BLOBS).values(stored_name=stored_name, data=data))
    for statement in TRIGGERS[bind.dialect.name]:
        op.execute(statement)
    # The files stay where they were: removed by hand once a backup of the upgraded database
    # is taken (docs/operations.md). Files of log forms shown again (staged/) are not moved:
    # the person is asked to choose the file again.


def downgrade():
    bind = op.get_bind()
    folder = _folder()
    # Back to files, each written whole (a temporary name, synced, then renamed) before the table goes.
    for stored_name, data in bind.execute(sa.select(BLOBS.c.stored_name, BLOBS.c.data)):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / stored_name
        if target.exists() and target.read_bytes() == data:
            continue
        partial = folder / f".{stored_name}.partial"
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    for statement in DROP_TRIGGERS[bind.dialect.name]:
        op.execute(statement)
    op.drop_index(op.f("ix_staged_files_staged_at"), table_name="staged_files")
    op.drop_table("staged_files")
    op.drop_table("attachment_blobs")
