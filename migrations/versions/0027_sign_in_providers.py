"""sign in with a trust's identity provider: its providers, its password setting, each account's link

Revision ID: 0027_sign_in_providers
Revises: 0026_key_information
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_sign_in_providers"
down_revision = "0026_key_information"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("restriction", sa.String(length=254), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("mfa_claim", sa.String(length=64), nullable=False),
        sa.Column("mfa_value", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_sign_in_providers_trust_id_trusts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_providers")),
        sa.UniqueConstraint("slug", name=op.f("uq_sign_in_providers_slug")),
    )
    op.create_index(op.f("ix_sign_in_providers_trust_id"), "sign_in_providers", ["trust_id"], unique=False)
    op.create_table(
        "sign_in_settings",
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("password_sign_in", sa.Boolean(), nullable=False),
        sa.Column("break_glass_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["break_glass_user_id"], ["users.id"], name=op.f("fk_sign_in_settings_break_glass_user_id_users")
        ),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_sign_in_settings_trust_id_trusts")),
        sa.PrimaryKeyConstraint("trust_id", name=op.f("pk_sign_in_settings")),
    )
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_in_links_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_sign_in_links_provider")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_sign_in_links_user_id")),
    )
    op.create_index(op.f("ix_sign_in_links_user_id"), "sign_in_links", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_sign_in_links_user_id"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
    op.drop_table("sign_in_settings")
    op.drop_index(op.f("ix_sign_in_providers_trust_id"), table_name="sign_in_providers")
    op.drop_table("sign_in_providers")
