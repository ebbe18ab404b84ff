"""PostgreSQL's search reads one index row per document, newest first (SQLite: unchanged)

Revision ID: 0032_search_documents
Revises: 0031_adult_concern_retention
Create Date: 2026-12-06 04:00:00

A search for a common word wants the newest twenty matches of one school. Over GIN
indexes on entries and follow-ups, PostgreSQL had to find every match and join each
follow-up to its entry to learn the school (250 ms on a 1M-entry trust); SQLite's FTS5
table is read newest row first and stops early. PostgreSQL now keeps the same kind of
index: a table of tsvectors with the entry's school, filled by triggers in the order
documents are written; a common word is found among a school's newest rows, a rarer one
through a GIN index over (school, words) (btree_gin: a trusted extension, which the
app's database user may create). Filling it reads every entry and follow-up once (about 2 minutes for 4M
documents on a 2-core machine); writes to entries and follow-ups wait meanwhile.
"""

from alembic import op

revision = "0032_search_documents"
down_revision = "0031_adult_concern_retention"
branch_labels = None
depends_on = None

ENTRY_TEXT = "translate({p}narrative || ' ' || coalesce({p}child_words, ''), '<>', '  ')"
FOLLOW_UP_TEXT = (
    "translate(coalesce({p}text, '') || ' ' || coalesce({p}reason, '') || ' ' || coalesce({p}agency_name, ''), "
    "'<>', '  ')"
)

# As cpoms/search/index.py writes them at this revision.
CREATE = (
    "CREATE TABLE IF NOT EXISTS search_index (id bigserial PRIMARY KEY, "
    "entry_id integer NOT NULL REFERENCES entries (id) ON DELETE CASCADE, "
    "school_id integer NOT NULL, document tsvector NOT NULL)",
    # What the database holds, in the order it was written (an entry before its follow-ups).
    "INSERT INTO search_index (entry_id, school_id, document) "
    "SELECT entry_id, school_id, document FROM ("
    f"SELECT id AS entry_id, school_id, to_tsvector('english', {ENTRY_TEXT.format(p='')}) AS document, "
    "created_at AS written_at, 0 AS kind, id AS row_id FROM entries "
    "UNION ALL "
    f"SELECT f.entry_id, e.school_id, to_tsvector('english', {FOLLOW_UP_TEXT.format(p='f.')}), "
    "f.created_at, 1, f.id FROM follow_ups f JOIN entries e ON e.id = f.entry_id"
    ") AS documents ORDER BY written_at, kind, row_id",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX IF NOT EXISTS search_index_document ON search_index USING gin (school_id, document)",
    "CREATE INDEX IF NOT EXISTS search_index_school ON search_index (school_id, id)",
    "CREATE INDEX IF NOT EXISTS search_index_entry ON search_index (entry_id)",
    "CREATE OR REPLACE FUNCTION search_index_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO search_index (entry_id, school_id, document) "
    f"VALUES (NEW.id, NEW.school_id, to_tsvector('english', {ENTRY_TEXT.format(p='NEW.')})); "
    "RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION search_index_follow_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO search_index (entry_id, school_id, document) "
    f"SELECT NEW.entry_id, school_id, to_tsvector('english', {FOLLOW_UP_TEXT.format(p='NEW.')}) "
    "FROM entries WHERE id = NEW.entry_id; RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER search_index_entries AFTER INSERT ON entries "
    "FOR EACH ROW EXECUTE FUNCTION search_index_entry()",
    "CREATE OR REPLACE TRIGGER search_index_follow_ups AFTER INSERT ON follow_ups "
    "FOR EACH ROW EXECUTE FUNCTION search_index_follow_up()",
    "ANALYZE search_index",
    "DROP INDEX IF EXISTS search_entries",
    "DROP INDEX IF EXISTS search_follow_ups",
)

# What 0020 made.
DROP = (
    "DROP TRIGGER IF EXISTS search_index_entries ON entries",
    "DROP TRIGGER IF EXISTS search_index_follow_ups ON follow_ups",
    "DROP FUNCTION IF EXISTS search_index_entry()",
    "DROP FUNCTION IF EXISTS search_index_follow_up()",
    "DROP TABLE IF EXISTS search_index",
    f"CREATE INDEX search_entries ON entries USING gin (to_tsvector('english', {ENTRY_TEXT.format(p='')}))",
    f"CREATE INDEX search_follow_ups ON follow_ups USING gin (to_tsvector('english', {FOLLOW_UP_TEXT.format(p='')}))",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in CREATE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP:
            op.execute(statement)
