"""alert base url: the address the app was reached at when an email was queued

Revision ID: 0021_alert_base_url
Revises: 0020_frozen_sql_catch_up
Create Date: 2026-12-05 22:10:00

With APP_BASE_URL unset, an email's links use the address of the signed-in
request that queued it; the worker that sends it has no request of its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_alert_base_url"
down_revision = "0020_frozen_sql_catch_up"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_url", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("base_url")
