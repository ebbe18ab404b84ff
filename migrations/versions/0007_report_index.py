"""reports: an index covering the scan of a period's entries

Revision ID: 0007_report_index
Revises: 0006_scale
Create Date: 2026-11-28 14:30:00

The reports count a year of a trust's entries by school, time and category;
with those three in one index the narratives are never read for it.
"""

from alembic import op

revision = "0007_report_index"
down_revision = "0006_scale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_report", ["school_id", "created_at", "category_id"], unique=False)


def downgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_report")
