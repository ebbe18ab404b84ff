"""recording guidance: versions of each school's or trust's guidance page

Revision ID: 0004_guidance
Revises: 0003_search
Create Date: 2026-11-29 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_guidance"
down_revision = "0003_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "guidance_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("trust_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("(school_id IS NULL) <> (trust_id IS NULL)", name=op.f("ck_guidance_versions_one_owner")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_guidance_versions_created_by_id_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_guidance_versions_school_id_schools")),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_guidance_versions_trust_id_trusts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_versions")),
    )
    with op.batch_alter_table("guidance_versions", schema=None) as batch_op:
        batch_op.create_index("ix_guidance_versions_school", ["school_id", "created_at"], unique=False)
        batch_op.create_index("ix_guidance_versions_trust", ["trust_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("guidance_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_guidance_versions_trust")
        batch_op.drop_index("ix_guidance_versions_school")
    op.drop_table("guidance_versions")
