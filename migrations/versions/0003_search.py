"""full-text search of narratives and follow-ups

Revision ID: 0003_search
Revises: 0002_audit_chain
Create Date: 2026-11-28 14:00:00

SQLite: an FTS5 table kept by insert triggers, filled with what is already
there. PostgreSQL: GIN indexes over to_tsvector() of the same text.
"""

from alembic import op

revision = "0003_search"
down_revision = "0002_audit_chain"
branch_labels = None
depends_on = None

# The statements this revision runs, frozen as cpoms/search/index.py wrote them when it was
# released (SQLite: create, then index what is already there): that module may change, what
# this revision does may not. 0020 re-creates the PostgreSQL indexes over the text the search
# has read since (angle brackets as spaces).
SEARCH_INDEX = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(body, entry_id UNINDEXED, tokenize = "
        "'porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS search_index_entries AFTER INSERT ON entries BEGIN INSERT INTO "
        "search_index (body, entry_id) VALUES (NEW.narrative || ' ' || coalesce(NEW.child_words, ''), "
        "NEW.id); END",
        "CREATE TRIGGER IF NOT EXISTS search_index_follow_ups AFTER INSERT ON follow_ups BEGIN INSERT "
        "INTO search_index (body, entry_id) VALUES (coalesce(NEW.text, '') || ' ' || coalesce(NEW.reason, "
        "'') || ' ' || coalesce(NEW.agency_name, ''), NEW.entry_id); END",
        "INSERT INTO search_index (body, entry_id) SELECT narrative || ' ' || coalesce(child_words, ''), "
        "id FROM entries",
        "INSERT INTO search_index (body, entry_id) SELECT coalesce(text, '') || ' ' || coalesce(reason, "
        "'') || ' ' || coalesce(agency_name, ''), entry_id FROM follow_ups",
    ),
    "postgresql": (
        "CREATE INDEX IF NOT EXISTS search_entries ON entries USING gin (to_tsvector('english', narrative "
        "|| ' ' || coalesce(child_words, '')))",
        "CREATE INDEX IF NOT EXISTS search_follow_ups ON follow_ups USING gin (to_tsvector('english', "
        "coalesce(text, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(agency_name, '')))",
    ),
}

DROP_SEARCH_INDEX = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS search_index_entries",
        "DROP TRIGGER IF EXISTS search_index_follow_ups",
        "DROP TABLE IF EXISTS search_index",
    ),
    "postgresql": (
        "DROP INDEX IF EXISTS search_entries",
        "DROP INDEX IF EXISTS search_follow_ups",
    ),
}


def upgrade():
    for statement in SEARCH_INDEX[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_SEARCH_INDEX[op.get_bind().dialect.name]:
        op.execute(statement)
