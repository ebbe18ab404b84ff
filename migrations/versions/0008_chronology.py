"""chronology: follow-ups marked as key events

Revision ID: 0008_chronology
Revises: 0007_report_index
Create Date: 2026-11-28 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_chronology"
down_revision = "0007_report_index"
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
        "CREATE TRIGGER key_events_no_update BEFORE UPDATE ON key_events BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER key_events_append_only BEFORE UPDATE OR DELETE ON key_events FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER key_events_no_truncate BEFORE TRUNCATE ON key_events FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS key_events_no_update",
        "DROP TRIGGER IF EXISTS key_events_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS key_events_append_only ON key_events",
        "DROP TRIGGER IF EXISTS key_events_no_truncate ON key_events",
    ),
}


def upgrade():
    op.create_table(
        "key_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_ups.id"]),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("follow_up_id"),
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("key_events")
