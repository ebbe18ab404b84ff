"""concerns about adults: the person's dates for retention, and deletion after review by two case managers

Revision ID: 0031_adult_concern_retention
Revises: 0030_signed_packs
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_adult_concern_retention"
down_revision = "0030_signed_packs"
branch_labels = None
depends_on = None

# As cpoms/append_only.py writes them at this revision: a concern, its follow-ups and its
# children's links refuse every UPDATE and TRUNCATE, and a DELETE unless the concern is named
# in adult_concern_deletion_grants (a child's link also with the child's records).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER adult_concerns_no_update BEFORE UPDATE ON adult_concerns BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concerns_no_delete BEFORE DELETE ON adult_concerns WHEN NOT EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.id) BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_follow_ups_no_update BEFORE UPDATE ON adult_follow_ups BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_follow_ups_no_delete BEFORE DELETE ON adult_follow_ups WHEN NOT EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.concern_id) BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_concern_pupils_no_update BEFORE UPDATE ON adult_concern_pupils BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concern_pupils_no_delete BEFORE DELETE ON adult_concern_pupils WHEN NOT (EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) OR EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.concern_id)) BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION adult_concerns_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER adult_concerns_append_only BEFORE UPDATE ON adult_concerns FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concerns_no_truncate BEFORE TRUNCATE ON adult_concerns FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concerns_no_delete BEFORE DELETE ON adult_concerns FOR EACH ROW EXECUTE FUNCTION adult_concerns_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION adult_follow_ups_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.concern_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER adult_follow_ups_append_only BEFORE UPDATE ON adult_follow_ups FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_no_truncate BEFORE TRUNCATE ON adult_follow_ups FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_no_delete BEFORE DELETE ON adult_follow_ups FOR EACH ROW EXECUTE FUNCTION adult_follow_ups_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION adult_concern_pupils_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF (EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) OR EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = OLD.concern_id)) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER adult_concern_pupils_append_only BEFORE UPDATE ON adult_concern_pupils FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concern_pupils_no_truncate BEFORE TRUNCATE ON adult_concern_pupils FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concern_pupils_no_delete BEFORE DELETE ON adult_concern_pupils FOR EACH ROW EXECUTE FUNCTION adult_concern_pupils_delete_if_granted()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS adult_concerns_no_update",
        "DROP TRIGGER IF EXISTS adult_concerns_no_delete",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_update",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_delete",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_update",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS adult_concerns_no_delete ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_concerns_append_only ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_concerns_no_truncate ON adult_concerns",
        "DROP FUNCTION IF EXISTS adult_concerns_delete_if_granted()",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_delete ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_follow_ups_append_only ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_truncate ON adult_follow_ups",
        "DROP FUNCTION IF EXISTS adult_follow_ups_delete_if_granted()",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_append_only ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_truncate ON adult_concern_pupils",
        "DROP FUNCTION IF EXISTS adult_concern_pupils_delete_if_granted()",
    ),
}

# 0025's, for the downgrade.
OLD_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER adult_concerns_no_update BEFORE UPDATE ON adult_concerns BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concerns_no_delete BEFORE DELETE ON adult_concerns BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_follow_ups_no_update BEFORE UPDATE ON adult_follow_ups BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_follow_ups_no_delete BEFORE DELETE ON adult_follow_ups BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_concern_pupils_no_update BEFORE UPDATE ON adult_concern_pupils BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concern_pupils_no_delete BEFORE DELETE ON adult_concern_pupils WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER adult_concerns_append_only BEFORE UPDATE OR DELETE ON adult_concerns FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concerns_no_truncate BEFORE TRUNCATE ON adult_concerns FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_append_only BEFORE UPDATE OR DELETE ON adult_follow_ups FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_no_truncate BEFORE TRUNCATE ON adult_follow_ups FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE OR REPLACE FUNCTION adult_concern_pupils_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER adult_concern_pupils_append_only BEFORE UPDATE ON adult_concern_pupils FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concern_pupils_no_truncate BEFORE TRUNCATE ON adult_concern_pupils FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concern_pupils_no_delete BEFORE DELETE ON adult_concern_pupils FOR EACH ROW EXECUTE FUNCTION adult_concern_pupils_delete_if_granted()",
    ),
}

OLD_DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS adult_concerns_no_update",
        "DROP TRIGGER IF EXISTS adult_concerns_no_delete",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_update",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_delete",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_update",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS adult_concerns_append_only ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_concerns_no_truncate ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_follow_ups_append_only ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_truncate ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_append_only ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_truncate ON adult_concern_pupils",
        "DROP FUNCTION IF EXISTS adult_concern_pupils_delete_if_granted()",
    ),
}


def upgrade():
    dialect = op.get_bind().dialect.name
    for column in ("born_on", "retires_on", "left_on"):
        op.add_column("adult_follow_ups", sa.Column(column, sa.Date(), nullable=True))
    op.create_table(
        "adult_concern_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_adult_concern_deletions_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_adult_concern_deletions_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_adult_concern_deletions_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_concern_deletions")),
    )
    op.create_index(
        op.f("ix_adult_concern_deletions_concern_id"), "adult_concern_deletions", ["concern_id"], unique=False
    )
    op.create_index(
        op.f("ix_adult_concern_deletions_school_id"), "adult_concern_deletions", ["school_id"], unique=False
    )
    op.create_table(
        "adult_concern_deletion_grants",
        sa.Column("concern_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("concern_id", name=op.f("pk_adult_concern_deletion_grants")),
    )
    for statement in (*OLD_DROP_TRIGGERS[dialect], *TRIGGERS[dialect]):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP_TRIGGERS[dialect]:
        op.execute(statement)
    op.drop_table("adult_concern_deletion_grants")
    op.drop_index(op.f("ix_adult_concern_deletions_school_id"), table_name="adult_concern_deletions")
    op.drop_index(op.f("ix_adult_concern_deletions_concern_id"), table_name="adult_concern_deletions")
    op.drop_table("adult_concern_deletions")
    for column in ("left_on", "retires_on", "born_on"):
        op.drop_column("adult_follow_ups", column)
    for statement in OLD_TRIGGERS[dialect]:
        op.execute(statement)
