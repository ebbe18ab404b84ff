"""tasks, information sharing and the monitoring list (issue 4, items 5, 6 and 10)

Revision ID: 0012_tasks_monitoring
Revises: 0011_pupil_roles_sharing
Create Date: 2026-11-28 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_tasks_monitoring"
down_revision = "0011_pupil_roles_sharing"
branch_labels = None
depends_on = None

SHARING_COLUMNS = (
    ("shared_with", sa.String(length=200)),
    ("shared_what", sa.Text()),
    ("share_purpose", sa.Text()),
    ("share_basis", sa.Text()),
    ("consent_sought", sa.Boolean()),
    ("consent_note", sa.Text()),
)

# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not.
# Append-only from here: tasks, task_completions, task_reminders, monitoring_events.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER tasks_no_update BEFORE UPDATE ON tasks BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER tasks_no_delete BEFORE DELETE ON tasks BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER task_completions_no_update BEFORE UPDATE ON task_completions BEGIN SELECT "
        "RAISE(ABORT, 'task_completions is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_completions_no_delete BEFORE DELETE ON task_completions BEGIN SELECT "
        "RAISE(ABORT, 'task_completions is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER task_reminders_no_update BEFORE UPDATE ON task_reminders BEGIN SELECT "
        "RAISE(ABORT, 'task_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_reminders_no_delete BEFORE DELETE ON task_reminders BEGIN SELECT "
        "RAISE(ABORT, 'task_reminders is append-only, rows cannot be deleted'); END",
        "CREATE TRIGGER monitoring_events_no_update BEFORE UPDATE ON monitoring_events BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER monitoring_events_no_delete BEFORE DELETE ON monitoring_events BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        REFUSE_CHANGE,
        "CREATE TRIGGER tasks_append_only BEFORE UPDATE OR DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION "
        "refuse_change()",
        "CREATE TRIGGER tasks_no_truncate BEFORE TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_completions_append_only BEFORE UPDATE OR DELETE ON task_completions FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_completions_no_truncate BEFORE TRUNCATE ON task_completions FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_reminders_append_only BEFORE UPDATE OR DELETE ON task_reminders FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_reminders_no_truncate BEFORE TRUNCATE ON task_reminders FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        REFUSE_CHANGE,
        "CREATE TRIGGER monitoring_events_append_only BEFORE UPDATE OR DELETE ON monitoring_events FOR "
        "EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER monitoring_events_no_truncate BEFORE TRUNCATE ON monitoring_events FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
    ),
}

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS tasks_no_update",
        "DROP TRIGGER IF EXISTS tasks_no_delete",
        "DROP TRIGGER IF EXISTS task_completions_no_update",
        "DROP TRIGGER IF EXISTS task_completions_no_delete",
        "DROP TRIGGER IF EXISTS task_reminders_no_update",
        "DROP TRIGGER IF EXISTS task_reminders_no_delete",
        "DROP TRIGGER IF EXISTS monitoring_events_no_update",
        "DROP TRIGGER IF EXISTS monitoring_events_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS tasks_append_only ON tasks",
        "DROP TRIGGER IF EXISTS tasks_no_truncate ON tasks",
        "DROP TRIGGER IF EXISTS task_completions_append_only ON task_completions",
        "DROP TRIGGER IF EXISTS task_completions_no_truncate ON task_completions",
        "DROP TRIGGER IF EXISTS task_reminders_append_only ON task_reminders",
        "DROP TRIGGER IF EXISTS task_reminders_no_truncate ON task_reminders",
        "DROP TRIGGER IF EXISTS monitoring_events_append_only ON monitoring_events",
        "DROP TRIGGER IF EXISTS monitoring_events_no_truncate ON monitoring_events",
    ),
}


def upgrade():
    for name, type_ in SHARING_COLUMNS:
        op.add_column("follow_ups", sa.Column(name, type_, nullable=True))
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"]),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_ups.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("follow_up_id"),
    )
    op.create_index("ix_tasks_entry_id", "tasks", ["entry_id"])
    op.create_index("ix_tasks_school_due", "tasks", ["school_id", "due_on"])
    op.create_index("ix_tasks_assignee_due", "tasks", ["assignee_id", "due_on"])
    op.create_table(
        "task_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("completed_by_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["completed_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_table(
        "task_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "sent_on"),
    )
    op.create_index("ix_task_reminders_alert_id", "task_reminders", ["alert_id"])
    op.create_table(
        "monitoring_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitoring_events_pupil", "monitoring_events", ["pupil_id", "id"])
    op.create_table(
        "monitoring_states",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("pupil_id"),
    )
    op.create_index("ix_monitoring_states_school", "monitoring_states", ["school_id", "active", "review_on"])
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_monitoring_states_school", table_name="monitoring_states")
    op.drop_table("monitoring_states")
    op.drop_index("ix_monitoring_events_pupil", table_name="monitoring_events")
    op.drop_table("monitoring_events")
    op.drop_index("ix_task_reminders_alert_id", table_name="task_reminders")
    op.drop_table("task_reminders")
    op.drop_table("task_completions")
    op.drop_index("ix_tasks_assignee_due", table_name="tasks")
    op.drop_index("ix_tasks_school_due", table_name="tasks")
    op.drop_index("ix_tasks_entry_id", table_name="tasks")
    op.drop_table("tasks")
    with op.batch_alter_table("follow_ups") as batch:
        for name, _ in reversed(SHARING_COLUMNS):
            batch.drop_column(name)
