"""submission keys: a form that creates a record is saved once per submission

Revision ID: 0023_submission_keys
Revises: 0022_recorder_messages
Create Date: 2026-12-05 22:20:00

Each form that creates a record carries a one-time key; the request that saves
the record inserts the key in the same transaction. The unique constraint lets
one of several identical submissions (a double tap, Back and Save, a retried
POST) commit; the others are answered with the record already saved.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_submission_keys"
down_revision = "0022_recorder_messages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_submission_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_submission_keys_key")),
    )
    op.create_index(op.f("ix_submission_keys_user_id"), "submission_keys", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_submission_keys_user_id"), table_name="submission_keys")
    op.drop_table("submission_keys")
