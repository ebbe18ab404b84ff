"""attachments on entries and follow-ups; body-map marks (both append-only)

Revision ID: 0015_attachments_body_map
Revises: 0014_transfers
Create Date: 2026-11-28 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_attachments_body_map"
down_revision = "0014_transfers"
branch_labels = None
depends_on = None

# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not.
# Append-only from here: attachments, body_map_marks.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER body_map_marks_no_update BEFORE UPDATE ON body_map_marks BEGIN SELECT "
        "RAISE(ABORT, 'body_map_marks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER body_map_marks_no_delete BEFORE DELETE ON body_map_marks BEGIN SELECT "
        "RAISE(ABORT, 'body_map_marks is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER body_map_marks_append_only BEFORE UPDATE OR DELETE ON body_map_marks FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER body_map_marks_no_truncate BEFORE TRUNCATE ON body_map_marks FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS attachments_no_update",
        "DROP TRIGGER IF EXISTS attachments_no_delete",
        "DROP TRIGGER IF EXISTS body_map_marks_no_update",
        "DROP TRIGGER IF EXISTS body_map_marks_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS attachments_append_only ON attachments",
        "DROP TRIGGER IF EXISTS attachments_no_truncate ON attachments",
        "DROP TRIGGER IF EXISTS body_map_marks_append_only ON body_map_marks",
        "DROP TRIGGER IF EXISTS body_map_marks_no_truncate ON body_map_marks",
    ),
}


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("filename", sa.String(length=150), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_attachments_entry_id_entries")),
        sa.ForeignKeyConstraint(
            ["follow_up_id"], ["follow_ups.id"], name=op.f("fk_attachments_follow_up_id_follow_ups")
        ),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_attachments_stored_name")),
    )
    op.create_index("ix_attachments_entry", "attachments", ["entry_id", "id"], unique=False)
    op.create_table(
        "body_map_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=8), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_body_map_marks_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_map_marks")),
        sa.UniqueConstraint("entry_id", "number", name=op.f("uq_body_map_marks_entry_id")),
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("body_map_marks")
    op.drop_index("ix_attachments_entry", table_name="attachments")
    op.drop_table("attachments")
