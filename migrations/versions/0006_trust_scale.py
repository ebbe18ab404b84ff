"""trust scale: each entry's school copied onto entry_states and alerts, with per-school indexes

Revision ID: 0006_scale
Revises: 0005_sign_in
Create Date: 2026-11-28 15:00:00

The review queue, its "not yet reviewed" count and the "alerts not delivered"
count filter by school. With the school on entry_states and alerts themselves,
each is a range of one index instead of a join over every entry of the school.
Existing rows take the school of their entry.
"""

from alembic import op
import sqlalchemy as sa

revision = "0006_scale"
down_revision = "0005_sign_in"
branch_labels = None
depends_on = None

TABLES = {
    "entry_states": [
        ("ix_entry_states_school_status", ["school_id", "status", "entry_id"]),
        ("ix_entry_states_school_reviewed", ["school_id", "reviewed_at"]),
    ],
    "alerts": [("ix_alerts_school_status", ["school_id", "status"])],
}


def upgrade():
    for table, indexes in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET school_id = "  # nosec B608
            f"(SELECT entries.school_id FROM entries WHERE entries.id = {table}.entry_id)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_school_id_schools"), "schools", ["school_id"], ["id"])
            for name, columns in indexes:
                batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, indexes in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in indexes:
                batch_op.drop_index(name)
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_school_id_schools"), type_="foreignkey")
            batch_op.drop_column("school_id")
