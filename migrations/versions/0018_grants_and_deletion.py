"""who gave a role and when; the date of birth retention is counted from; the Safeguarding category always alerts

Revision ID: 0018_grants_and_deletion
Revises: 0017_retention_triggers
Create Date: 2026-12-05 21:40:00

Roles held before this revision are recorded as given long ago by nobody: the
two-person deletion then accepts their holders as confirmers, as it did before.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_grants_and_deletion"
down_revision = "0017_retention_triggers"
branch_labels = None
depends_on = None

LONG_AGO = datetime(2000, 1, 1)
# The category the school's policy says always alerts the safeguarding team, as the
# first revision's seed and the demo name it.
SAFEGUARDING = "Safeguarding"


def upgrade():
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("granted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_role_assignments_granted_by_id_users"), "users", ["granted_by_id"], ["id"]
        )
    op.execute(
        sa.text("UPDATE role_assignments SET granted_at = :at").bindparams(
            sa.bindparam("at", LONG_AGO, type_=sa.DateTime())
        )
    )
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.alter_column("granted_at", existing_type=sa.DateTime(), nullable=False)

    # Plain ADD COLUMN: a batch copy of these tables would trip the foreign keys of
    # every table that points at them (SQLite).
    op.add_column("pupils", sa.Column("retention_date_of_birth", sa.Date(), nullable=True))
    op.add_column("pupils", sa.Column("retention_flagged_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column's foreign key only in the column itself.
        op.execute(
            "ALTER TABLE pupils ADD COLUMN retention_flagged_by_id INTEGER "
            "CONSTRAINT fk_pupils_retention_flagged_by_id_users REFERENCES users (id)"
        )
    else:
        op.add_column("pupils", sa.Column("retention_flagged_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_pupils_retention_flagged_by_id_users", "pupils", "users", ["retention_flagged_by_id"], ["id"]
        )
    op.add_column("categories", sa.Column("always_alerts", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        sa.text(
            "UPDATE categories SET always_alerts = :yes, alerts_safeguarding_team = :yes WHERE name = :name"
        ).bindparams(yes=True, name=SAFEGUARDING)
    )


def downgrade():
    op.drop_column("categories", "always_alerts")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_pupils_retention_flagged_by_id_users", "pupils", type_="foreignkey")
    for column in ("retention_flagged_by_id", "retention_flagged_at", "retention_date_of_birth"):
        op.drop_column("pupils", column)
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_role_assignments_granted_by_id_users"), type_="foreignkey")
        batch_op.drop_column("granted_by_id")
        batch_op.drop_column("granted_at")
