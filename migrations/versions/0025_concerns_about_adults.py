"""concerns about adults: their records, follow-ups, the pupils involved and who manages them (append-only)

Revision ID: 0025_concerns_about_adults
Revises: 0024_report_counters
Create Date: 2026-12-06 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_concerns_about_adults"
# To be rechained onto 0024_report_counters once that migration lands.
down_revision = "0024_report_counters"
branch_labels = None
depends_on = None

# As cpoms/append_only.py wrote them for these tables at this revision: the records refuse
# every UPDATE, DELETE and TRUNCATE; a child's link to a concern goes only with that child's
# records, after the retention review (retention_deletion_pupil_grants).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER adult_concerns_no_update BEFORE UPDATE ON adult_concerns BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concerns_no_delete BEFORE DELETE ON adult_concerns BEGIN SELECT RAISE(ABORT, 'adult_concerns is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_follow_ups_no_update BEFORE UPDATE ON adult_follow_ups BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_follow_ups_no_delete BEFORE DELETE ON adult_follow_ups BEGIN SELECT RAISE(ABORT, 'adult_follow_ups is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_case_manager_settings_no_update BEFORE UPDATE ON adult_case_manager_settings BEGIN SELECT RAISE(ABORT, 'adult_case_manager_settings is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_case_manager_settings_no_delete BEFORE DELETE ON adult_case_manager_settings BEGIN SELECT RAISE(ABORT, 'adult_case_manager_settings is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER adult_concern_pupils_no_update BEFORE UPDATE ON adult_concern_pupils BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER adult_concern_pupils_no_delete BEFORE DELETE ON adult_concern_pupils WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'adult_concern_pupils is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER adult_concerns_append_only BEFORE UPDATE OR DELETE ON adult_concerns FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_concerns_no_truncate BEFORE TRUNCATE ON adult_concerns FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_append_only BEFORE UPDATE OR DELETE ON adult_follow_ups FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_follow_ups_no_truncate BEFORE TRUNCATE ON adult_follow_ups FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_case_manager_settings_append_only BEFORE UPDATE OR DELETE ON adult_case_manager_settings FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER adult_case_manager_settings_no_truncate BEFORE TRUNCATE ON adult_case_manager_settings FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE OR REPLACE FUNCTION adult_concern_pupils_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
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
        "DROP TRIGGER IF EXISTS adult_case_manager_settings_no_update",
        "DROP TRIGGER IF EXISTS adult_case_manager_settings_no_delete",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_update",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS adult_concerns_append_only ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_concerns_no_truncate ON adult_concerns",
        "DROP TRIGGER IF EXISTS adult_follow_ups_append_only ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_follow_ups_no_truncate ON adult_follow_ups",
        "DROP TRIGGER IF EXISTS adult_case_manager_settings_append_only ON adult_case_manager_settings",
        "DROP TRIGGER IF EXISTS adult_case_manager_settings_no_truncate ON adult_case_manager_settings",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_delete ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_append_only ON adult_concern_pupils",
        "DROP TRIGGER IF EXISTS adult_concern_pupils_no_truncate ON adult_concern_pupils",
        "DROP FUNCTION IF EXISTS adult_concern_pupils_delete_if_granted()",
    ),
}


def upgrade():
    op.create_table(
        "adult_concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("subject_role", sa.String(length=200), nullable=True),
        sa.Column("about_headteacher", sa.Boolean(), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("what_was_said", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["raised_by_id"], ["users.id"], name=op.f("fk_adult_concerns_raised_by_id_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_adult_concerns_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_adult_concerns_subject_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_concerns")),
    )
    op.create_index(op.f("ix_adult_concerns_raised_by_id"), "adult_concerns", ["raised_by_id"], unique=False)
    op.create_index("ix_adult_concerns_school_raised", "adult_concerns", ["school_id", "raised_at"], unique=False)
    op.create_index("ix_adult_concerns_subject", "adult_concerns", ["school_id", "subject_user_id"], unique=False)
    op.create_table(
        "adult_concern_pupils",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["adult_concerns.id"], name=op.f("fk_adult_concern_pupils_concern_id_adult_concerns")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_adult_concern_pupils_pupil_id_pupils")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_concern_pupils")),
    )
    op.create_index(op.f("ix_adult_concern_pupils_concern_id"), "adult_concern_pupils", ["concern_id"], unique=False)
    op.create_index(op.f("ix_adult_concern_pupils_pupil_id"), "adult_concern_pupils", ["pupil_id"], unique=False)
    op.create_table(
        "adult_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("lado_on", sa.Date(), nullable=True),
        sa.Column("lado_name", sa.String(length=200), nullable=True),
        sa.Column("lado_reference", sa.String(length=100), nullable=True),
        sa.Column("suspension_considered", sa.Boolean(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_adult_follow_ups_author_id_users")),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["adult_concerns.id"], name=op.f("fk_adult_follow_ups_concern_id_adult_concerns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_follow_ups")),
    )
    op.create_index("ix_adult_follow_ups_concern", "adult_follow_ups", ["concern_id", "created_at"], unique=False)
    op.create_table(
        "adult_case_manager_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("dsl_allowed", sa.Boolean(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_adult_case_manager_settings_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_adult_case_manager_settings_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_case_manager_settings")),
    )
    op.create_index(
        "ix_adult_case_manager_settings_school", "adult_case_manager_settings", ["school_id", "id"], unique=False
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_adult_case_manager_settings_school", table_name="adult_case_manager_settings")
    op.drop_table("adult_case_manager_settings")
    op.drop_index("ix_adult_follow_ups_concern", table_name="adult_follow_ups")
    op.drop_table("adult_follow_ups")
    op.drop_index(op.f("ix_adult_concern_pupils_pupil_id"), table_name="adult_concern_pupils")
    op.drop_index(op.f("ix_adult_concern_pupils_concern_id"), table_name="adult_concern_pupils")
    op.drop_table("adult_concern_pupils")
    op.drop_index("ix_adult_concerns_subject", table_name="adult_concerns")
    op.drop_index("ix_adult_concerns_school_raised", table_name="adult_concerns")
    op.drop_index(op.f("ix_adult_concerns_raised_by_id"), table_name="adult_concerns")
    op.drop_table("adult_concerns")
