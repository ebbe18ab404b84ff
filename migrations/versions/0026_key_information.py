"""key information on pupils (statuses as dated periods, the trust's flags, the MIS's facts) and police notifications (Operation Encompass) with their check-ins (append-only)

Revision ID: 0026_key_information
Revises: 0025_concerns_about_adults
Create Date: 2026-12-06 03:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_key_information"
down_revision = "0025_concerns_about_adults"
branch_labels = None
depends_on = None

# As cpoms/append_only.py wrote them for these tables at this revision: every row refuses
# UPDATE, DELETE and TRUNCATE; a pupil's rows go only with the pupil's records, after the
# retention review (retention_deletion_pupil_grants). The trust's flag names stay.
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER key_flags_no_update BEFORE UPDATE ON key_flags BEGIN SELECT RAISE(ABORT, 'key_flags is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_flags_no_delete BEFORE DELETE ON key_flags BEGIN SELECT RAISE(ABORT, 'key_flags is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER key_statuses_no_update BEFORE UPDATE ON key_statuses BEGIN SELECT RAISE(ABORT, 'key_statuses is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_statuses_no_delete BEFORE DELETE ON key_statuses WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'key_statuses is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER key_status_ends_no_update BEFORE UPDATE ON key_status_ends BEGIN SELECT RAISE(ABORT, 'key_status_ends is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER key_status_ends_no_delete BEFORE DELETE ON key_status_ends WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'key_status_ends is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER mis_pupil_facts_no_update BEFORE UPDATE ON mis_pupil_facts BEGIN SELECT RAISE(ABORT, 'mis_pupil_facts is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER mis_pupil_facts_no_delete BEFORE DELETE ON mis_pupil_facts WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'mis_pupil_facts is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER police_notifications_no_update BEFORE UPDATE ON police_notifications BEGIN SELECT RAISE(ABORT, 'police_notifications is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER police_notifications_no_delete BEFORE DELETE ON police_notifications WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'police_notifications is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER police_check_ins_no_update BEFORE UPDATE ON police_check_ins BEGIN SELECT RAISE(ABORT, 'police_check_ins is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER police_check_ins_no_delete BEFORE DELETE ON police_check_ins WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'police_check_ins is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER police_check_in_reminders_no_update BEFORE UPDATE ON police_check_in_reminders BEGIN SELECT RAISE(ABORT, 'police_check_in_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER police_check_in_reminders_no_delete BEFORE DELETE ON police_check_in_reminders WHEN NOT EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT RAISE(ABORT, 'police_check_in_reminders is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "\nCREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';\nEND $$\n",
        "CREATE TRIGGER key_flags_append_only BEFORE UPDATE OR DELETE ON key_flags FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_flags_no_truncate BEFORE TRUNCATE ON key_flags FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE OR REPLACE FUNCTION key_statuses_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER key_statuses_append_only BEFORE UPDATE ON key_statuses FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_statuses_no_truncate BEFORE TRUNCATE ON key_statuses FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_statuses_no_delete BEFORE DELETE ON key_statuses FOR EACH ROW EXECUTE FUNCTION key_statuses_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION key_status_ends_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER key_status_ends_append_only BEFORE UPDATE ON key_status_ends FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_status_ends_no_truncate BEFORE TRUNCATE ON key_status_ends FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER key_status_ends_no_delete BEFORE DELETE ON key_status_ends FOR EACH ROW EXECUTE FUNCTION key_status_ends_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION mis_pupil_facts_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER mis_pupil_facts_append_only BEFORE UPDATE ON mis_pupil_facts FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER mis_pupil_facts_no_truncate BEFORE TRUNCATE ON mis_pupil_facts FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER mis_pupil_facts_no_delete BEFORE DELETE ON mis_pupil_facts FOR EACH ROW EXECUTE FUNCTION mis_pupil_facts_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION police_notifications_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER police_notifications_append_only BEFORE UPDATE ON police_notifications FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_notifications_no_truncate BEFORE TRUNCATE ON police_notifications FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_notifications_no_delete BEFORE DELETE ON police_notifications FOR EACH ROW EXECUTE FUNCTION police_notifications_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION police_check_ins_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER police_check_ins_append_only BEFORE UPDATE ON police_check_ins FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_check_ins_no_truncate BEFORE TRUNCATE ON police_check_ins FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_check_ins_no_delete BEFORE DELETE ON police_check_ins FOR EACH ROW EXECUTE FUNCTION police_check_ins_delete_if_granted()",
        "CREATE OR REPLACE FUNCTION police_check_in_reminders_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN\n        RETURN OLD;\n    END IF;\n    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';\nEND $$",
        "CREATE TRIGGER police_check_in_reminders_append_only BEFORE UPDATE ON police_check_in_reminders FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_check_in_reminders_no_truncate BEFORE TRUNCATE ON police_check_in_reminders FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER police_check_in_reminders_no_delete BEFORE DELETE ON police_check_in_reminders FOR EACH ROW EXECUTE FUNCTION police_check_in_reminders_delete_if_granted()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS police_check_in_reminders_no_update",
        "DROP TRIGGER IF EXISTS police_check_in_reminders_no_delete",
        "DROP TRIGGER IF EXISTS police_check_ins_no_update",
        "DROP TRIGGER IF EXISTS police_check_ins_no_delete",
        "DROP TRIGGER IF EXISTS police_notifications_no_update",
        "DROP TRIGGER IF EXISTS police_notifications_no_delete",
        "DROP TRIGGER IF EXISTS mis_pupil_facts_no_update",
        "DROP TRIGGER IF EXISTS mis_pupil_facts_no_delete",
        "DROP TRIGGER IF EXISTS key_status_ends_no_update",
        "DROP TRIGGER IF EXISTS key_status_ends_no_delete",
        "DROP TRIGGER IF EXISTS key_statuses_no_update",
        "DROP TRIGGER IF EXISTS key_statuses_no_delete",
        "DROP TRIGGER IF EXISTS key_flags_no_update",
        "DROP TRIGGER IF EXISTS key_flags_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS police_check_in_reminders_no_delete ON police_check_in_reminders",
        "DROP TRIGGER IF EXISTS police_check_in_reminders_append_only ON police_check_in_reminders",
        "DROP TRIGGER IF EXISTS police_check_in_reminders_no_truncate ON police_check_in_reminders",
        "DROP FUNCTION IF EXISTS police_check_in_reminders_delete_if_granted()",
        "DROP TRIGGER IF EXISTS police_check_ins_no_delete ON police_check_ins",
        "DROP TRIGGER IF EXISTS police_check_ins_append_only ON police_check_ins",
        "DROP TRIGGER IF EXISTS police_check_ins_no_truncate ON police_check_ins",
        "DROP FUNCTION IF EXISTS police_check_ins_delete_if_granted()",
        "DROP TRIGGER IF EXISTS police_notifications_no_delete ON police_notifications",
        "DROP TRIGGER IF EXISTS police_notifications_append_only ON police_notifications",
        "DROP TRIGGER IF EXISTS police_notifications_no_truncate ON police_notifications",
        "DROP FUNCTION IF EXISTS police_notifications_delete_if_granted()",
        "DROP TRIGGER IF EXISTS mis_pupil_facts_no_delete ON mis_pupil_facts",
        "DROP TRIGGER IF EXISTS mis_pupil_facts_append_only ON mis_pupil_facts",
        "DROP TRIGGER IF EXISTS mis_pupil_facts_no_truncate ON mis_pupil_facts",
        "DROP FUNCTION IF EXISTS mis_pupil_facts_delete_if_granted()",
        "DROP TRIGGER IF EXISTS key_status_ends_no_delete ON key_status_ends",
        "DROP TRIGGER IF EXISTS key_status_ends_append_only ON key_status_ends",
        "DROP TRIGGER IF EXISTS key_status_ends_no_truncate ON key_status_ends",
        "DROP FUNCTION IF EXISTS key_status_ends_delete_if_granted()",
        "DROP TRIGGER IF EXISTS key_statuses_no_delete ON key_statuses",
        "DROP TRIGGER IF EXISTS key_statuses_append_only ON key_statuses",
        "DROP TRIGGER IF EXISTS key_statuses_no_truncate ON key_statuses",
        "DROP FUNCTION IF EXISTS key_statuses_delete_if_granted()",
        "DROP TRIGGER IF EXISTS key_flags_append_only ON key_flags",
        "DROP TRIGGER IF EXISTS key_flags_no_truncate ON key_flags",
    ),
}


def _who(table: str, column: str):
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def _pupil(table: str):
    return sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f(f"fk_{table}_pupil_id_pupils"))


def upgrade():
    op.create_table(
        "key_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_key_flags_trust_id_trusts")),
        _who("key_flags", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_flags")),
    )
    op.create_index("ix_key_flags_trust", "key_flags", ["trust_id", "name"], unique=False)
    op.create_table(
        "key_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("category_of_abuse", sa.String(length=16), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["flag_id"], ["key_flags.id"], name=op.f("fk_key_statuses_flag_id_key_flags")),
        _pupil("key_statuses"),
        _who("key_statuses", "recorded_by_id"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_key_statuses_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_statuses")),
    )
    op.create_index("ix_key_statuses_pupil", "key_statuses", ["pupil_id", "id"], unique=False)
    op.create_index("ix_key_statuses_school", "key_statuses", ["school_id"], unique=False)
    op.create_table(
        "key_status_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _pupil("key_status_ends"),
        _who("key_status_ends", "recorded_by_id"),
        sa.ForeignKeyConstraint(
            ["status_id"], ["key_statuses.id"], name=op.f("fk_key_status_ends_status_id_key_statuses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_status_ends")),
        sa.UniqueConstraint("status_id", name=op.f("uq_key_status_ends_status_id")),
    )
    op.create_index(op.f("ix_key_status_ends_pupil_id"), "key_status_ends", ["pupil_id"], unique=False)
    op.create_table(
        "mis_pupil_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("looked_after", sa.Boolean(), nullable=True),
        sa.Column("sen_status", sa.String(length=20), nullable=True),
        sa.Column("eal", sa.Boolean(), nullable=True),
        sa.Column("free_school_meals", sa.Boolean(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        _pupil("mis_pupil_facts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mis_pupil_facts")),
    )
    op.create_index("ix_mis_pupil_facts_pupil", "mis_pupil_facts", ["pupil_id", "id"], unique=False)
    op.create_table(
        "police_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("incident_at", sa.DateTime(), nullable=False),
        sa.Column("child_present", sa.Boolean(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("force_reference", sa.String(length=100), nullable=False),
        sa.Column("shared", sa.Text(), nullable=False),
        sa.Column("key_adult_id", sa.Integer(), nullable=False),
        sa.Column("check_in_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _who("police_notifications", "key_adult_id"),
        _pupil("police_notifications"),
        _who("police_notifications", "recorded_by_id"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_police_notifications_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_notifications")),
    )
    op.create_index(
        "ix_police_notifications_key_adult", "police_notifications", ["key_adult_id", "check_in_on"], unique=False
    )
    op.create_index("ix_police_notifications_pupil", "police_notifications", ["pupil_id", "incident_at"], unique=False)
    op.create_index(
        "ix_police_notifications_school", "police_notifications", ["school_id", "recorded_at"], unique=False
    )
    op.create_table(
        "police_check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        _who("police_check_ins", "done_by_id"),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["police_notifications.id"],
            name=op.f("fk_police_check_ins_notification_id_police_notifications"),
        ),
        _pupil("police_check_ins"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_check_ins")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_police_check_ins_notification_id")),
    )
    op.create_index(op.f("ix_police_check_ins_pupil_id"), "police_check_ins", ["pupil_id"], unique=False)
    op.create_table(
        "police_check_in_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_police_check_in_reminders_alert_id_alerts")),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["police_notifications.id"],
            name=op.f("fk_police_check_in_reminders_notification_id_police_notifications"),
        ),
        _pupil("police_check_in_reminders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_check_in_reminders")),
    )
    op.create_index(
        op.f("ix_police_check_in_reminders_alert_id"), "police_check_in_reminders", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_police_check_in_reminders_once", "police_check_in_reminders", ["notification_id", "sent_on"], unique=True
    )
    op.create_index(
        op.f("ix_police_check_in_reminders_pupil_id"), "police_check_in_reminders", ["pupil_id"], unique=False
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    for table in (
        "police_check_in_reminders",
        "police_check_ins",
        "police_notifications",
        "mis_pupil_facts",
        "key_status_ends",
        "key_statuses",
        "key_flags",
    ):
        op.drop_table(table)
