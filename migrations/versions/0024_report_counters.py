"""report counters: the reports' counts kept as entries are written

Revision ID: 0024_report_counters
Revises: 0023_submission_keys
Create Date: 2026-12-06 01:00:00

One row per school, UK calendar month, category and status, holding how many
entries it covers; the app moves them in the same transaction as each write
(cpoms/reports/counters.py). Filled here from the entries already kept, in one
INSERT ... SELECT, so a school upgrading keeps its figures. The month is worked
out as the reports worked it out until now (frozen here: no application code).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_report_counters"
down_revision = "0023_submission_keys"
branch_labels = None
depends_on = None

# The UK month of entries.created_at (stored as UTC). SQLite has no time zones: only
# the last hour of a UTC month can fall in the next UK month, and only while British
# Summer Time is on (the ends of March to September).
UK_MONTH = {
    "postgresql": "to_char(timezone('Europe/London', timezone('UTC', e.created_at)), 'YYYY-MM')",
    "sqlite": (
        "strftime('%Y-%m', e.created_at, CASE WHEN CAST(strftime('%m', e.created_at) AS INTEGER)"
        " BETWEEN 3 AND 9 THEN '+1 hour' ELSE '+0 hours' END)"
    ),
}


def upgrade():
    op.create_table(
        "report_counts",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_report_counts_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_report_counts_school_id_schools")),
        sa.PrimaryKeyConstraint("school_id", "month", "category_id", "status", name=op.f("pk_report_counts")),
    )
    month = UK_MONTH[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO report_counts (school_id, month, category_id, status, entries)"  # nosec B608: frozen SQL
        f" SELECT e.school_id, {month}, e.category_id, s.status, COUNT(*)"
        " FROM entries e JOIN entry_states s ON s.entry_id = e.id"
        f" GROUP BY e.school_id, {month}, e.category_id, s.status"
    )


def downgrade():
    op.drop_table("report_counts")
