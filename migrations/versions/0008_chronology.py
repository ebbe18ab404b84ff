"""chronology: follow-ups marked as key events

Revision ID: 0008_chronology
Revises: 0007_report_index
Create Date: 2026-11-28 14:40:00
"""
import sqlalchemy as sa
from alembic import op

from cpoms import append_only

revision = '0008_chronology'
down_revision = '0007_report_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'key_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follow_up_id', sa.Integer(), nullable=False),
        sa.Column('marked_by_id', sa.Integer(), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id']),
        sa.ForeignKeyConstraint(['marked_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('follow_up_id'),
    )
    for statement in append_only.trigger_statements('key_events', op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in append_only.drop_trigger_statements('key_events', op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('key_events')
