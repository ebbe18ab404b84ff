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

from cpoms import append_only

revision = '0016_administration'
down_revision = '0015_attachments_body_map'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pupil_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='pupils', nullable=False))

    op.create_table('category_renames',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('old_name', sa.String(length=80), nullable=False),
    sa.Column('new_name', sa.String(length=80), nullable=False),
    sa.Column('renamed_at', sa.DateTime(), nullable=False),
    sa.Column('renamed_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_renames_category_id_categories')),
    sa.ForeignKeyConstraint(['renamed_by_id'], ['users.id'], name=op.f('fk_category_renames_renamed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_renames'))
    )
    op.create_index('ix_category_renames_category', 'category_renames', ['category_id', 'renamed_at'], unique=False)

    op.create_table('retention_deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_retention_deletions_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_retention_deletions_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_retention_deletions_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_deletions'))
    )
    op.create_index(op.f('ix_retention_deletions_pupil_id'), 'retention_deletions', ['pupil_id'], unique=False)
    op.create_index(op.f('ix_retention_deletions_school_id'), 'retention_deletions', ['school_id'], unique=False)

    op.create_table('retention_deletion_grants',
    sa.Column('entry_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_retention_deletion_grants'))
    )

    # key_events keeps refusing UPDATE, and DELETE except for a confirmed retention deletion.
    dialect = op.get_bind().dialect.name
    for statement in append_only.drop_trigger_statements('key_events', dialect):
        op.execute(statement)
    for statement in append_only.retention_trigger_statements('key_events', dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in append_only.drop_retention_trigger_statements('key_events', dialect):
        op.execute(statement)
    for statement in append_only.trigger_statements('key_events', dialect):
        op.execute(statement)
    op.drop_table('retention_deletion_grants')
    op.drop_index(op.f('ix_retention_deletions_school_id'), table_name='retention_deletions')
    op.drop_index(op.f('ix_retention_deletions_pupil_id'), table_name='retention_deletions')
    op.drop_table('retention_deletions')
    op.drop_index('ix_category_renames_category', table_name='category_renames')
    op.drop_table('category_renames')
    with op.batch_alter_table('pupil_imports', schema=None) as batch_op:
        batch_op.drop_column('kind')
