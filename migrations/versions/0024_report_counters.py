"""report counters: the reports' counts kept as entries are written

Revision ID: 0024_report_counters
Revises: 0023_submission_keys
Create Date: 2026-12-06 01:00:00

report_counts: one row per school, UK calendar month, category and status, holding
how many entries it covers. report_waits: one row per school, UK month and category,
holding the waits to first review and to first action of its entries (seconds as
text, comma after each), which the medians need. The app moves both in the same
transaction as each write (cpoms/reports/counters.py). Filled here from the entries
already kept, one INSERT ... SELECT each, so a school upgrading keeps its figures.
Months and waits are worked out as the reports worked them out until now (frozen
here: no application code).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_report_counters"
down_revision = "0023_submission_keys"
branch_labels = None
depends_on = None

# The UK month of entries.created_at (stored as UTC). SQLite has no time zones: only
# the last hour of a UTC month can fall in the next UK month, and only while British
# Summer Time is on (the ends of March to September). Whole seconds: SQLite would round
# 23:59:59.9996 up into the next month.
UK_MONTH = {
    "postgresql": "to_char(timezone('Europe/London', timezone('UTC', e.created_at)), 'YYYY-MM')",
    "sqlite": (
        "strftime('%Y-%m', substr(e.created_at, 1, 19), CASE WHEN CAST(strftime('%m', substr(e.created_at, 1, 19))"
        " AS INTEGER) BETWEEN 3 AND 9 THEN '+1 hour' ELSE '+0 hours' END)"
    ),
}
# Each wait in seconds, as text that reads back as the same float, a comma after it; a
# missing one stays NULL, which the aggregate leaves out (SQLite's printf would write 0.0).
WAITS = {
    "postgresql": "coalesce(string_agg(CAST(CAST(extract(epoch FROM s.{end} - e.created_at) AS FLOAT) AS VARCHAR)"
    " || ',', ''), '')",
    "sqlite": "coalesce(group_concat(CASE WHEN s.{end} IS NOT NULL THEN"
    " printf('%!.17g,', (julianday(s.{end}) - julianday(e.created_at)) * 86400.0) END, ''), '')",
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
    op.create_table(
        "report_waits",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("review", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_report_waits_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_report_waits_school_id_schools")),
        sa.PrimaryKeyConstraint("school_id", "month", "category_id", name=op.f("pk_report_waits")),
    )
    dialect = op.get_bind().dialect.name
    month, waits = UK_MONTH[dialect], WAITS[dialect]
    op.execute(
        "INSERT INTO report_counts (school_id, month, category_id, status, entries)"  # nosec B608: frozen SQL
        f" SELECT e.school_id, {month}, e.category_id, s.status, COUNT(*)"
        " FROM entries e JOIN entry_states s ON s.entry_id = e.id"
        f" GROUP BY e.school_id, {month}, e.category_id, s.status"
    )
    op.execute(
        "INSERT INTO report_waits (school_id, month, category_id, review, action)"  # nosec B608: frozen SQL
        f" SELECT e.school_id, {month}, e.category_id, {waits.format(end='reviewed_at')},"
        f" {waits.format(end='first_action_at')}"
        " FROM entries e JOIN entry_states s ON s.entry_id = e.id"
        " WHERE s.reviewed_at IS NOT NULL OR s.first_action_at IS NOT NULL"
        f" GROUP BY e.school_id, {month}, e.category_id"
    )


def downgrade():
    op.drop_table("report_waits")
    op.drop_table("report_counts")
