"""record exclusions: who the safeguarding team keeps from a pupil's record, and the ends of those exclusions (append-only)

Revision ID: 0029_record_exclusions
Revises: 0028_attachment_blobs
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_record_exclusions"
# To be rechained onto the latest revision at merge.
down_revision = "0028_attachment_blobs"
branch_labels = None
depends_on = None

# As cpoms/append_only.py wrote them for these tables at this revision: both refuse every
# UPDATE and TRUNCATE, and a DELETE except with the pupil's records after the retention
# review (retention_deletion_pupil_grants).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER record_exclusions_no_update BEFORE UPDATE ON record_exclusions BEGIN SELECT RAISE(ABORT, 'record_exclusions is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER record_exclusions_no_delete BEFORE DELETE ON record_exclusions WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'record_exclusions is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER record_exclusion_ends_no_update BEFORE UPDATE ON record_exclusion_ends BEGIN SELECT RAISE(ABORT, 'record_exclusion_ends is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER record_exclusion_ends_no_delete BEFORE DELETE ON record_exclusion_ends WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT x.pupil_id FROM record_exclusions x WHERE x.id = OLD.exclusion_id)) BEGIN SELECT RAISE(ABORT, 'record_exclusion_ends is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION record_exclusions_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER record_exclusions_append_only BEFORE UPDATE ON record_exclusions FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER record_exclusions_no_truncate BEFORE TRUNCATE ON record_exclusions FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER record_exclusions_no_delete BEFORE DELETE ON record_exclusions FOR EACH ROW EXECUTE FUNCTION record_exclusions_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION record_exclusion_ends_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT x.pupil_id FROM record_exclusions x WHERE x.id = OLD.exclusion_id)) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER record_exclusion_ends_append_only BEFORE UPDATE ON record_exclusion_ends FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER record_exclusion_ends_no_truncate BEFORE TRUNCATE ON record_exclusion_ends FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER record_exclusion_ends_no_delete BEFORE DELETE ON record_exclusion_ends FOR EACH ROW EXECUTE FUNCTION record_exclusion_ends_delete_if_granted()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS record_exclusions_no_update",
        "DROP TRIGGER IF EXISTS record_exclusions_no_delete",
        "DROP TRIGGER IF EXISTS record_exclusion_ends_no_update",
        "DROP TRIGGER IF EXISTS record_exclusion_ends_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS record_exclusions_no_delete ON record_exclusions",
        "DROP TRIGGER IF EXISTS record_exclusions_append_only ON record_exclusions",
        "DROP TRIGGER IF EXISTS record_exclusions_no_truncate ON record_exclusions",
        "DROP FUNCTION IF EXISTS record_exclusions_delete_if_granted()",
        "DROP TRIGGER IF EXISTS record_exclusion_ends_no_delete ON record_exclusion_ends",
        "DROP TRIGGER IF EXISTS record_exclusion_ends_append_only ON record_exclusion_ends",
        "DROP TRIGGER IF EXISTS record_exclusion_ends_no_truncate ON record_exclusion_ends",
        "DROP FUNCTION IF EXISTS record_exclusion_ends_delete_if_granted()",
    ),
}


def upgrade():
    op.create_table(
        "record_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_record_exclusions_by_id_users")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_record_exclusions_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_record_exclusions_school_id_schools")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_record_exclusions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_exclusions")),
    )
    op.create_index("ix_record_exclusions_pupil", "record_exclusions", ["pupil_id", "id"], unique=False)
    op.create_index("ix_record_exclusions_user_pupil", "record_exclusions", ["user_id", "pupil_id"], unique=False)
    op.create_table(
        "record_exclusion_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exclusion_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_record_exclusion_ends_by_id_users")),
        sa.ForeignKeyConstraint(
            ["exclusion_id"],
            ["record_exclusions.id"],
            name=op.f("fk_record_exclusion_ends_exclusion_id_record_exclusions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_exclusion_ends")),
        sa.UniqueConstraint("exclusion_id", name=op.f("uq_record_exclusion_ends_exclusion_id")),
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("record_exclusion_ends")
    op.drop_index("ix_record_exclusions_user_pupil", table_name="record_exclusions")
    op.drop_index("ix_record_exclusions_pupil", table_name="record_exclusions")
    op.drop_table("record_exclusions")
