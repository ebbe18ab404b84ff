"""hardening: two-factor set-up keys per session; password reset mail through the outbox

Revision ID: 0019_hardening
Revises: 0018_grants_and_deletion
Create Date: 2026-12-05 21:40:00

A two-factor set-up key is now the session's that was shown it (user_sessions
.totp_setup_secret) until it is confirmed. Keys written to users.totp_secret by
the old set-up page and never confirmed are cleared: whoever saw one first could
have noted it. Reset emails are outbox rows (alerts.password_reset_id, no school),
their link rebuilt from password_reset_tokens.mail_key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_hardening"
down_revision = "0018_grants_and_deletion"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_setup_secret", sa.String(length=64), nullable=True))

    op.execute("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE totp_enrolled_at IS NULL")

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_key", sa.String(length=64), nullable=True))

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_reset_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_password_reset_id_password_reset_tokens"),
            "password_reset_tokens",
            ["password_reset_id"],
            ["id"],
        )
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM alerts WHERE password_reset_id IS NOT NULL")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_alerts_password_reset_id_password_reset_tokens"), type_="foreignkey")
        batch_op.drop_column("password_reset_id")

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_column("mail_key")

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("totp_setup_secret")
