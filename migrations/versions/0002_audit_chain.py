"""audit log: hash chain, chain head, append-only triggers

Revision ID: 0002_audit_chain
Revises: 0001
Create Date: 2026-11-28 14:00:00

Existing events are chained in the order they were written (by id), so a school
upgrading keeps its whole history, verified from here on.
"""

import hashlib
import json
from datetime import timezone
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

revision = "0002_audit_chain"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def digest(row, prev_hash: str) -> str:
    """The hash of one event: its content and the previous event's hash. Frozen as
    cpoms.audit.digest was at this revision (format 1, the leading 1): the events this
    revision chains keep the hashes it gave them whatever the app's code becomes."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
    content = [
        1,
        row.seq,
        at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        row.action,
        row.user_id,
        row.entry_id,
        row.pupil_id,
        row.school_id,
        row.ip,
        row.user_agent,
        row.detail,
        prev_hash,
    ]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, "
        "'audit_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, "
        "'audit_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    ),
}


def upgrade():
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    events = sa.table(
        "audit_events",
        sa.column("id"),
        sa.column("seq"),
        sa.column("prev_hash"),
        sa.column("hash"),
        sa.column("at", sa.DateTime()),
        sa.column("action"),
        sa.column("user_id"),
        sa.column("entry_id"),
        sa.column("pupil_id"),
        sa.column("school_id"),
        sa.column("ip"),
        sa.column("user_agent"),
        sa.column("detail"),
    )
    bind = op.get_bind()
    seq, prev = 0, GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        seq += 1
        chained = SimpleNamespace(**{**row._asdict(), "seq": seq})
        value = digest(chained, prev)
        bind.execute(events.update().where(events.c.id == row.id).values(seq=seq, prev_hash=prev, hash=value))
        prev = value
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": prev}])

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])

    for statement in TRIGGERS[bind.dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chain_head")
