"""audit log: hash chain, chain head, append-only triggers

Revision ID: 0002_audit_chain
Revises: 0001
Create Date: 2026-11-28 14:00:00

Existing events are chained in the order they were written (by id), so a school
upgrading keeps its whole history, verified from here on.
"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

from cpoms import append_only
from cpoms.audit import digest

revision = '0002_audit_chain'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade():
    head = op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    events = sa.table(
        'audit_events', sa.column('id'), sa.column('seq'), sa.column('prev_hash'), sa.column('hash'),
        sa.column('at', sa.DateTime()), sa.column('action'), sa.column('user_id'), sa.column('entry_id'),
        sa.column('pupil_id'), sa.column('school_id'), sa.column('ip'), sa.column('user_agent'),
        sa.column('detail'),
    )
    bind = op.get_bind()
    seq, prev = 0, GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        seq += 1
        chained = SimpleNamespace(**{**row._asdict(), 'seq': seq})
        value = digest(chained, prev)
        bind.execute(events.update().where(events.c.id == row.id).values(seq=seq, prev_hash=prev, hash=value))
        prev = value
    op.bulk_insert(head, [{'id': 1, 'seq': seq, 'hash': prev}])

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])

    for statement in append_only.trigger_statements('audit_events', bind.dialect.name):
        op.execute(statement)


def downgrade():
    for statement in append_only.drop_trigger_statements('audit_events', op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    op.drop_table('audit_chain_head')
