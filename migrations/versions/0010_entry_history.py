"""entry history: later categories, amendments and linked entries; entries and
follow-ups become append-only in the database itself

Revision ID: 0010_entry_history
Revises: 0009_school_data
Create Date: 2026-11-28 15:55:46
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0010_entry_history"
down_revision = "0009_school_data"
branch_labels = None
depends_on = None

# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not.
# Append-only from here: entries, follow_ups, entry_categories, amendments, entry_links
# (entry_states stays writable).
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER follow_ups_no_update BEFORE UPDATE ON follow_ups BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER entry_categories_no_update BEFORE UPDATE ON entry_categories BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_categories_no_delete BEFORE DELETE ON entry_categories BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER entry_links_no_update BEFORE UPDATE ON entry_links BEGIN SELECT RAISE(ABORT, "
        "'entry_links is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_links_no_delete BEFORE DELETE ON entry_links BEGIN SELECT RAISE(ABORT, "
        "'entry_links is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER follow_ups_append_only BEFORE UPDATE OR DELETE ON follow_ups FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER follow_ups_no_truncate BEFORE TRUNCATE ON follow_ups FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_categories_append_only BEFORE UPDATE OR DELETE ON entry_categories FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_categories_no_truncate BEFORE TRUNCATE ON entry_categories FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER amendments_append_only BEFORE UPDATE OR DELETE ON amendments FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER amendments_no_truncate BEFORE TRUNCATE ON amendments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_links_append_only BEFORE UPDATE OR DELETE ON entry_links FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_links_no_truncate BEFORE TRUNCATE ON entry_links FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS entries_no_update",
        "DROP TRIGGER IF EXISTS entries_no_delete",
        "DROP TRIGGER IF EXISTS follow_ups_no_update",
        "DROP TRIGGER IF EXISTS follow_ups_no_delete",
        "DROP TRIGGER IF EXISTS entry_categories_no_update",
        "DROP TRIGGER IF EXISTS entry_categories_no_delete",
        "DROP TRIGGER IF EXISTS amendments_no_update",
        "DROP TRIGGER IF EXISTS amendments_no_delete",
        "DROP TRIGGER IF EXISTS entry_links_no_update",
        "DROP TRIGGER IF EXISTS entry_links_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS entries_append_only ON entries",
        "DROP TRIGGER IF EXISTS entries_no_truncate ON entries",
        "DROP TRIGGER IF EXISTS follow_ups_append_only ON follow_ups",
        "DROP TRIGGER IF EXISTS follow_ups_no_truncate ON follow_ups",
        "DROP TRIGGER IF EXISTS entry_categories_append_only ON entry_categories",
        "DROP TRIGGER IF EXISTS entry_categories_no_truncate ON entry_categories",
        "DROP TRIGGER IF EXISTS amendments_append_only ON amendments",
        "DROP TRIGGER IF EXISTS amendments_no_truncate ON amendments",
        "DROP TRIGGER IF EXISTS entry_links_append_only ON entry_links",
        "DROP TRIGGER IF EXISTS entry_links_no_truncate ON entry_links",
    ),
}


def upgrade():
    op.create_table(
        "entry_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_entry_categories_added_by_id_users")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_entry_categories_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_entry_categories_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_categories")),
        sa.UniqueConstraint("entry_id", "category_id", name=op.f("uq_entry_categories_entry_id")),
    )
    with op.batch_alter_table("entry_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_categories_category_id"), ["category_id"], unique=False)

    op.create_table(
        "entry_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("other_entry_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("entry_id < other_entry_id", name=op.f("ck_entry_links_lower_id_first")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_entry_links_entry_id_entries")),
        sa.ForeignKeyConstraint(["linked_by_id"], ["users.id"], name=op.f("fk_entry_links_linked_by_id_users")),
        sa.ForeignKeyConstraint(["other_entry_id"], ["entries.id"], name=op.f("fk_entry_links_other_entry_id_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_links")),
        sa.UniqueConstraint("entry_id", "other_entry_id", name=op.f("uq_entry_links_entry_id")),
    )
    with op.batch_alter_table("entry_links", schema=None) as batch_op:
        batch_op.create_index("ix_entry_links_other", ["other_entry_id"], unique=False)

    op.create_table(
        "amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_amendments_author_id_users")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_amendments_entry_id_entries")),
        sa.ForeignKeyConstraint(
            ["follow_up_id"], ["follow_ups.id"], name=op.f("fk_amendments_follow_up_id_follow_ups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
    )
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.create_index("ix_amendments_entry", ["entry_id", "created_at"], unique=False)

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_category_id_categories"), "categories", ["category_id"], ["id"]
        )

    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alerts_category_id_categories"), type_="foreignkey")
        batch_op.drop_column("category_id")

    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_index("ix_amendments_entry")

    op.drop_table("amendments")
    with op.batch_alter_table("entry_links", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_links_other")

    op.drop_table("entry_links")
    with op.batch_alter_table("entry_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_categories_category_id"))

    op.drop_table("entry_categories")
