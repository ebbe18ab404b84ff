"""retention deletion through every append-only table: pupil grants, retention-aware triggers

Revision ID: 0017_retention_triggers
Revises: 0016_administration
Create Date: 2026-11-28 17:20:00

0016 let the two-person deletion after the retention review through key_events only.
Every other append-only table that holds rows about an entry or a pupil gets the same
triggers (append_only.RETENTION_GRANTED): UPDATE and TRUNCATE refused as before, DELETE
only for a row whose entry (or pupil) the confirming transaction has granted.
"""
import sqlalchemy as sa
from alembic import op

from cpoms import append_only

revision = '0017_retention_triggers'
down_revision = '0016_administration'
branch_labels = None
depends_on = None

# key_events has had the retention-aware triggers since 0016.
TABLES = sorted(set(append_only.RETENTION_GRANTED) - {'key_events'})


def _swap_triggers(drop, create):
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in (*drop(table, dialect), *create(table, dialect)):
            op.execute(statement)


def upgrade():
    op.create_table('retention_deletion_pupil_grants',
    sa.Column('pupil_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('pupil_id', name=op.f('pk_retention_deletion_pupil_grants'))
    )
    _swap_triggers(append_only.drop_trigger_statements, append_only.retention_trigger_statements)


def downgrade():
    _swap_triggers(append_only.drop_retention_trigger_statements, append_only.trigger_statements)
    op.drop_table('retention_deletion_pupil_grants')
