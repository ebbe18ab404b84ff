"""entry_states.alerts_team: the review queue is ordered and paged from entry_states alone

Revision ID: 0033_queue_alerts_flag
Revises: 0032_search_documents
Create Date: 2026-12-06 06:30:00

The queue leads with the waiting entries in a category that alerts the safeguarding team.
To know which those were it joined every open entry of the school to `entries` (and to
entry_categories) before sorting, on a 1M-entry trust 2,000 rows for a page of 25. The
state now carries the answer, kept by the app as entries are logged, given categories,
and categories change, and one index holds every column the queue's order reads, so the
page's entries are the only ones read.

The backfill sets true what the definition (cpoms/entries/models.py alerts_team, frozen
below) says is true; every other row keeps the column's default, false. On PostgreSQL the
new column with a constant default costs no rewrite, and only the alerting rows (about one
in seven in a generated trust) are written.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_queue_alerts_flag"
down_revision = "0032_search_documents"
branch_labels = None
depends_on = None

# cpoms/entries/models.py alerts_team at this revision, over entry_states.entry_id.
BACKFILL = (
    "UPDATE entry_states SET alerts_team = true WHERE "
    "EXISTS (SELECT 1 FROM entries JOIN categories ON categories.id = entries.category_id "
    "WHERE entries.id = entry_states.entry_id AND categories.alerts_safeguarding_team) "
    "OR EXISTS (SELECT 1 FROM entry_categories JOIN categories ON categories.id = entry_categories.category_id "
    "WHERE entry_categories.entry_id = entry_states.entry_id AND categories.alerts_safeguarding_team)"
)
QUEUE_INDEX = ("school_id", "status", "reviewed_at", "alerts_team", "entry_id")


def upgrade():
    # Plain ADD COLUMN: a batch copy of entry_states would trip the foreign keys (SQLite).
    op.add_column("entry_states", sa.Column("alerts_team", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(BACKFILL)
    op.create_index("ix_entry_states_school_queue", "entry_states", list(QUEUE_INDEX))
    # The new index leads with the same columns: the old one would only cost writes.
    op.drop_index("ix_entry_states_school_status", table_name="entry_states")


def downgrade():
    op.create_index("ix_entry_states_school_status", "entry_states", ["school_id", "status", "entry_id"])
    op.drop_index("ix_entry_states_school_queue", table_name="entry_states")
    op.drop_column("entry_states", "alerts_team")
