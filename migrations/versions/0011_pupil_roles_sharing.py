"""pupils' roles on entries; staff alerted when an entry is logged (append-only)

Revision ID: 0011_pupil_roles_sharing
Revises: 0010_entry_history
Create Date: 2026-11-28 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_pupil_roles_sharing"
down_revision = "0010_entry_history"
branch_labels = None
depends_on = None

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
        "CREATE TRIGGER entry_shares_no_update BEFORE UPDATE ON entry_shares BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_shares_no_delete BEFORE DELETE ON entry_shares BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_shares_append_only BEFORE UPDATE OR DELETE ON entry_shares FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_shares_no_truncate BEFORE TRUNCATE ON entry_shares FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS entry_shares_no_update",
        "DROP TRIGGER IF EXISTS entry_shares_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS entry_shares_append_only ON entry_shares",
        "DROP TRIGGER IF EXISTS entry_shares_no_truncate ON entry_shares",
    ),
}


def upgrade():
    # Every pupil of an entry logged before roles existed was its subject.
    with op.batch_alter_table("entry_pupils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=32), server_default="subject", nullable=False))

    op.create_table(
        "entry_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_entry_shares_alert_id_alerts")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_entry_shares_entry_id_entries")),
        sa.ForeignKeyConstraint(["shared_by_id"], ["users.id"], name=op.f("fk_entry_shares_shared_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_entry_shares_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_shares")),
        sa.UniqueConstraint("entry_id", "user_id", name=op.f("uq_entry_shares_entry_id")),
    )
    with op.batch_alter_table("entry_shares", schema=None) as batch_op:
        batch_op.create_index("ix_entry_shares_user", ["user_id", "entry_id"], unique=False)
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("entry_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_shares_user")
    op.drop_table("entry_shares")
    with op.batch_alter_table("entry_pupils", schema=None) as batch_op:
        batch_op.drop_column("role")
