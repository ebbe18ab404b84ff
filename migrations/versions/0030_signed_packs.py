"""signed child-protection file packs: files received from outside the trust, their records,
the keys a trust does not trust (append-only), and the receipt email's link to its pack

Revision ID: 0030_signed_packs
Revises: 0029_record_exclusions
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_signed_packs"
# Rechained at merge onto whatever is then the latest revision.
down_revision = "0029_record_exclusions"
branch_labels = None
depends_on = None

# As cpoms/append_only.py wrote them for these tables at this revision: every UPDATE, DELETE
# and TRUNCATE refused; received files and their records go only with their pupil's records,
# after the retention review (retention_deletion_pupil_grants).
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER received_packs_no_update BEFORE UPDATE ON received_packs BEGIN SELECT RAISE(ABORT, 'received_packs is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER received_packs_no_delete BEFORE DELETE ON received_packs WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'received_packs is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER received_records_no_update BEFORE UPDATE ON received_records BEGIN SELECT RAISE(ABORT, 'received_records is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER received_records_no_delete BEFORE DELETE ON received_records WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'received_records is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER key_distrust_events_no_update BEFORE UPDATE ON key_distrust_events BEGIN SELECT RAISE(ABORT, 'key_distrust_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_distrust_events_no_delete BEFORE DELETE ON key_distrust_events BEGIN SELECT RAISE(ABORT, 'key_distrust_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION received_packs_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER received_packs_append_only BEFORE UPDATE ON received_packs FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER received_packs_no_truncate BEFORE TRUNCATE ON received_packs FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER received_packs_no_delete BEFORE DELETE ON received_packs FOR EACH ROW EXECUTE FUNCTION received_packs_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION received_records_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER received_records_append_only BEFORE UPDATE ON received_records FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER received_records_no_truncate BEFORE TRUNCATE ON received_records FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER received_records_no_delete BEFORE DELETE ON received_records FOR EACH ROW EXECUTE FUNCTION received_records_delete_if_granted()",
        "CREATE TRIGGER key_distrust_events_append_only BEFORE UPDATE OR DELETE ON key_distrust_events FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_distrust_events_no_truncate BEFORE TRUNCATE ON key_distrust_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS received_packs_no_update",
        "DROP TRIGGER IF EXISTS received_packs_no_delete",
        "DROP TRIGGER IF EXISTS received_records_no_update",
        "DROP TRIGGER IF EXISTS received_records_no_delete",
        "DROP TRIGGER IF EXISTS key_distrust_events_no_update",
        "DROP TRIGGER IF EXISTS key_distrust_events_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS received_packs_no_delete ON received_packs",
        "DROP TRIGGER IF EXISTS received_packs_append_only ON received_packs",
        "DROP TRIGGER IF EXISTS received_packs_no_truncate ON received_packs",
        "DROP FUNCTION IF EXISTS received_packs_delete_if_granted()",
        "DROP TRIGGER IF EXISTS received_records_no_delete ON received_records",
        "DROP TRIGGER IF EXISTS received_records_append_only ON received_records",
        "DROP TRIGGER IF EXISTS received_records_no_truncate ON received_records",
        "DROP FUNCTION IF EXISTS received_records_delete_if_granted()",
        "DROP TRIGGER IF EXISTS key_distrust_events_append_only ON key_distrust_events",
        "DROP TRIGGER IF EXISTS key_distrust_events_no_truncate ON key_distrust_events",
    ),
}


def upgrade():
    op.create_table(
        "received_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("sender_school", sa.String(length=200), nullable=False),
        sa.Column("sender_trust", sa.String(length=200), nullable=False),
        sa.Column("sender_person", sa.String(length=200), nullable=False),
        sa.Column("receipt_email", sa.String(length=254), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("pack_sha256", sa.String(length=64), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_received_packs_imported_by_id_users")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_received_packs_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_received_packs_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_packs")),
    )
    op.create_index("ix_received_packs_pupil", "received_packs", ["pupil_id", "imported_at"], unique=False)
    op.create_table(
        "received_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_pack_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("entry_ref", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_received_records_pupil_id_pupils")),
        sa.ForeignKeyConstraint(
            ["received_pack_id"],
            ["received_packs.id"],
            name=op.f("fk_received_records_received_pack_id_received_packs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_records")),
    )
    op.create_index("ix_received_records_pack", "received_records", ["received_pack_id", "position"], unique=False)
    op.create_index(op.f("ix_received_records_pupil_id"), "received_records", ["pupil_id"], unique=False)
    op.create_table(
        "key_distrust_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("distrusted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_key_distrust_events_by_id_users")),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_key_distrust_events_trust_id_trusts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_distrust_events")),
    )
    op.create_index("ix_key_distrust_trust", "key_distrust_events", ["trust_id", "fingerprint", "id"], unique=False)
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("received_pack_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_alerts_received_pack_id_received_packs"), "received_packs", ["received_pack_id"], ["id"]
        )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("fk_alerts_received_pack_id_received_packs"), type_="foreignkey")
        batch.drop_column("received_pack_id")
    op.drop_index("ix_key_distrust_trust", table_name="key_distrust_events")
    op.drop_table("key_distrust_events")
    op.drop_index(op.f("ix_received_records_pupil_id"), table_name="received_records")
    op.drop_index("ix_received_records_pack", table_name="received_records")
    op.drop_table("received_records")
    op.drop_index("ix_received_packs_pupil", table_name="received_packs")
    op.drop_table("received_packs")
