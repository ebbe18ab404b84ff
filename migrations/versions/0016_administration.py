"""administration: category names over time, staff uploads, deletion after the retention review

Revision ID: 0016_administration
Revises: 0015_attachments_body_map
Create Date: 2026-11-28 16:10:00

UPNs: pupils.upn has been unique across the whole database since 0001 (uq_pupils_upn),
which is stricter than unique within a trust, so there are no duplicates to resolve
and no new constraint to add.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_administration"
down_revision = "0015_attachments_body_map"
branch_labels = None
depends_on = None

# key_events keeps refusing UPDATE (and TRUNCATE), and DELETE except for a confirmed retention
# deletion: the statements this revision runs, frozen as cpoms/append_only.py wrote them when
# it was released (a row's entry granted by "g.entry_id = ..."; 0020 brings the later
# "g.entry_id IN (...)" form to key_events too). That module may change, what this revision
# does may not.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

UPGRADE_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS key_events_no_update",
        "DROP TRIGGER IF EXISTS key_events_no_delete",
        "CREATE TRIGGER key_events_no_update BEFORE UPDATE ON key_events BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id = (SELECT f.entry_id FROM follow_ups f WHERE f.id = "
        "OLD.follow_up_id)) BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS key_events_append_only ON key_events",
        "DROP TRIGGER IF EXISTS key_events_no_truncate ON key_events",
        """CREATE OR REPLACE FUNCTION key_events_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id = (SELECT f.entry_id FROM follow_ups f WHERE f.id = OLD.follow_up_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER key_events_append_only BEFORE UPDATE ON key_events FOR EACH ROW EXECUTE FUNCTION "
        "refuse_change()",
        "CREATE TRIGGER key_events_no_truncate BEFORE TRUNCATE ON key_events FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events FOR EACH ROW EXECUTE FUNCTION "
        "key_events_delete_if_granted()",
    ),
}

DOWNGRADE_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS key_events_no_update",
        "DROP TRIGGER IF EXISTS key_events_no_delete",
        "CREATE TRIGGER key_events_no_update BEFORE UPDATE ON key_events BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS key_events_no_delete ON key_events",
        "DROP TRIGGER IF EXISTS key_events_append_only ON key_events",
        "DROP TRIGGER IF EXISTS key_events_no_truncate ON key_events",
        "DROP FUNCTION IF EXISTS key_events_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER key_events_append_only BEFORE UPDATE OR DELETE ON key_events FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER key_events_no_truncate BEFORE TRUNCATE ON key_events FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
    ),
}


def upgrade():
    with op.batch_alter_table("pupil_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="pupils", nullable=False))

    op.create_table(
        "category_renames",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("old_name", sa.String(length=80), nullable=False),
        sa.Column("new_name", sa.String(length=80), nullable=False),
        sa.Column("renamed_at", sa.DateTime(), nullable=False),
        sa.Column("renamed_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_category_renames_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["renamed_by_id"], ["users.id"], name=op.f("fk_category_renames_renamed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_renames")),
    )
    op.create_index("ix_category_renames_category", "category_renames", ["category_id", "renamed_at"], unique=False)

    op.create_table(
        "retention_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_retention_deletions_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_retention_deletions_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_retention_deletions_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_deletions")),
    )
    op.create_index(op.f("ix_retention_deletions_pupil_id"), "retention_deletions", ["pupil_id"], unique=False)
    op.create_index(op.f("ix_retention_deletions_school_id"), "retention_deletions", ["school_id"], unique=False)

    op.create_table(
        "retention_deletion_grants",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_retention_deletion_grants")),
    )

    for statement in UPGRADE_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DOWNGRADE_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("retention_deletion_grants")
    op.drop_index(op.f("ix_retention_deletions_school_id"), table_name="retention_deletions")
    op.drop_index(op.f("ix_retention_deletions_pupil_id"), table_name="retention_deletions")
    op.drop_table("retention_deletions")
    op.drop_index("ix_category_renames_category", table_name="category_renames")
    op.drop_table("category_renames")
    with op.batch_alter_table("pupil_imports", schema=None) as batch_op:
        batch_op.drop_column("kind")
