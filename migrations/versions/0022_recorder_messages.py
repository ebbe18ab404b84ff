"""the safeguarding team's messages to the person who logged an entry (append-only)

Revision ID: 0022_recorder_messages
Revises: 0021_alert_base_url
Create Date: 2026-12-05 22:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_recorder_messages"
down_revision = "0021_alert_base_url"
branch_labels = None
depends_on = None

# As cpoms/append_only.py wrote them for this table at this revision (retention-aware:
# UPDATE and TRUNCATE refused, DELETE only for an entry the confirming deletion granted).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER recorder_messages_no_update BEFORE UPDATE ON recorder_messages BEGIN SELECT "
        "RAISE(ABORT, 'recorder_messages is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER recorder_messages_no_delete BEFORE DELETE ON recorder_messages WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT "
        "RAISE(ABORT, 'recorder_messages is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        """CREATE OR REPLACE FUNCTION recorder_messages_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
""",
        "CREATE TRIGGER recorder_messages_append_only BEFORE UPDATE ON recorder_messages FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER recorder_messages_no_truncate BEFORE TRUNCATE ON recorder_messages FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER recorder_messages_no_delete BEFORE DELETE ON recorder_messages FOR EACH ROW "
        "EXECUTE FUNCTION recorder_messages_delete_if_granted()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS recorder_messages_no_update",
        "DROP TRIGGER IF EXISTS recorder_messages_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS recorder_messages_no_delete ON recorder_messages",
        "DROP TRIGGER IF EXISTS recorder_messages_append_only ON recorder_messages",
        "DROP TRIGGER IF EXISTS recorder_messages_no_truncate ON recorder_messages",
        "DROP FUNCTION IF EXISTS recorder_messages_delete_if_granted()",
    ),
}


def upgrade():
    op.create_table(
        "recorder_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_recorder_messages_author_id_users")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_recorder_messages_entry_id_entries")),
        sa.ForeignKeyConstraint(["recipient_id"], ["users.id"], name=op.f("fk_recorder_messages_recipient_id_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_recorder_messages_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorder_messages")),
    )
    op.create_index(op.f("ix_recorder_messages_entry_id"), "recorder_messages", ["entry_id"], unique=False)
    op.create_index("ix_recorder_messages_recipient", "recorder_messages", ["recipient_id", "entry_id"], unique=False)
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_recorder_messages_recipient", table_name="recorder_messages")
    op.drop_index(op.f("ix_recorder_messages_entry_id"), table_name="recorder_messages")
    op.drop_table("recorder_messages")
