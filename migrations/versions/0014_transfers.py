"""transfers: child-protection file transfers, their events and reminders; subject-access exports

Revision ID: 0014_transfers
Revises: 0012_tasks_monitoring
Create Date: 2026-11-28 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_transfers"
down_revision = "0012_tasks_monitoring"
branch_labels = None
depends_on = None

# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not.
# Append-only from here: transfer_events, transfer_reminders, subject_access_exports.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER transfer_events_no_update BEFORE UPDATE ON transfer_events BEGIN SELECT "
        "RAISE(ABORT, 'transfer_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_events_no_delete BEFORE DELETE ON transfer_events BEGIN SELECT "
        "RAISE(ABORT, 'transfer_events is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER transfer_reminders_no_update BEFORE UPDATE ON transfer_reminders BEGIN SELECT "
        "RAISE(ABORT, 'transfer_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_reminders_no_delete BEFORE DELETE ON transfer_reminders BEGIN SELECT "
        "RAISE(ABORT, 'transfer_reminders is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER subject_access_exports_no_update BEFORE UPDATE ON subject_access_exports BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER subject_access_exports_no_delete BEFORE DELETE ON subject_access_exports BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_events_append_only BEFORE UPDATE OR DELETE ON transfer_events FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_events_no_truncate BEFORE TRUNCATE ON transfer_events FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_reminders_append_only BEFORE UPDATE OR DELETE ON transfer_reminders FOR "
        "EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_reminders_no_truncate BEFORE TRUNCATE ON transfer_reminders FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER subject_access_exports_append_only BEFORE UPDATE OR DELETE ON "
        "subject_access_exports FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER subject_access_exports_no_truncate BEFORE TRUNCATE ON subject_access_exports FOR "
        "EACH STATEMENT EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS transfer_events_no_update",
        "DROP TRIGGER IF EXISTS transfer_events_no_delete",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_update",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_delete",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_update",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS transfer_events_append_only ON transfer_events",
        "DROP TRIGGER IF EXISTS transfer_events_no_truncate ON transfer_events",
        "DROP TRIGGER IF EXISTS transfer_reminders_append_only ON transfer_reminders",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_truncate ON transfer_reminders",
        "DROP TRIGGER IF EXISTS subject_access_exports_append_only ON subject_access_exports",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_truncate ON subject_access_exports",
    ),
}


def upgrade():
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("from_school_id", sa.Integer(), nullable=False),
        sa.Column("to_school_id", sa.Integer(), nullable=True),
        sa.Column("destination_name", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_transfers_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["from_school_id"], ["schools.id"], name=op.f("fk_transfers_from_school_id_schools")),
        sa.ForeignKeyConstraint(["to_school_id"], ["schools.id"], name=op.f("fk_transfers_to_school_id_schools")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"], name=op.f("fk_transfers_started_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index("ix_transfers_from_status", ["from_school_id", "status"], unique=False)
        batch_op.create_index("ix_transfers_to_status", ["to_school_id", "status"], unique=False)
    op.create_table(
        "transfer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_transfer_events_transfer_id_transfers")
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_transfer_events_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_events")),
    )
    with op.batch_alter_table("transfer_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_events_transfer_id"), ["transfer_id"], unique=False)
    op.create_table(
        "transfer_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_transfer_reminders_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_reminders")),
        sa.UniqueConstraint("transfer_id", "on_date", name=op.f("uq_transfer_reminders_transfer_id")),
    )
    op.create_table(
        "subject_access_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("produced_by_id", sa.Integer(), nullable=False),
        sa.Column("produced_at", sa.DateTime(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("follow_ups", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_subject_access_exports_pupil_id_pupils")),
        sa.ForeignKeyConstraint(
            ["produced_by_id"], ["users.id"], name=op.f("fk_subject_access_exports_produced_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_exports")),
    )
    with op.batch_alter_table("subject_access_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subject_access_exports_pupil_id"), ["pupil_id"], unique=False)
    # An alert may now be about a transfer rather than an entry.
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("entry_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("transfer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_alerts_transfer_id_transfers"), "transfers", ["transfer_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_alerts_transfer_id"), ["transfer_id"], unique=False)
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_transfer_id"))
        batch_op.drop_constraint(batch_op.f("fk_alerts_transfer_id_transfers"), type_="foreignkey")
        batch_op.drop_column("transfer_id")
        batch_op.alter_column("entry_id", existing_type=sa.Integer(), nullable=False)
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("subject_access_exports")
    op.drop_table("transfer_reminders")
    op.drop_table("transfer_events")
    op.drop_table("transfers")
