"""school data from the MIS: leavers, gender and family on pupils; parsed imports awaiting confirmation

Revision ID: 0009_school_data
Revises: 0008_chronology
Create Date: 2026-11-28 14:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_school_data"
down_revision = "0008_chronology"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pupil_imports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_pupil_imports_school_id_schools")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_pupil_imports_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_imports")),
    )
    with op.batch_alter_table("pupil_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_imports_uploaded_by_id"), ["uploaded_by_id"], unique=False)

    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("family_id", sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f("ix_pupils_family_id"), ["family_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupils_family_id"))
        batch_op.drop_column("family_id")
        batch_op.drop_column("gender")
        batch_op.drop_column("left_on")

    with op.batch_alter_table("pupil_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_imports_uploaded_by_id"))

    op.drop_table("pupil_imports")
