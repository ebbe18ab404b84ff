"""Full-text search of narratives and follow-ups, kept by the database itself.

Both databases keep one index row per document (an entry's narrative, or one
follow-up), filled by triggers as entries and follow-ups are inserted (they are
never updated, so inserts are all it has to follow), in the order they were
written: the newest matches come first by reading the index backwards.
SQLite: an FTS5 table. PostgreSQL: a table of tsvectors with the entry's school;
a common word is found among the school's newest rows, anything rarer through a
GIN index over (school, words). Created by db.create_all() from the
statements below, and by the migrations (0003, 0020, 0026) from their own frozen
copies: a change here needs a migration too
(tests/test_migrations.py compares the two). These objects are not models:
Alembic's autogenerate is told to leave anything named search_* alone (see
`is_search_object`)."""

from __future__ import annotations

import re

from sqlalchemy import MetaData, bindparam, event, text

from ..models import Entry

ENTRY_TEXT = "narrative || ' ' || coalesce(child_words, '')"
FOLLOW_UP_TEXT = "coalesce(text, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(agency_name, '')"


def _pg(expression: str) -> str:
    """PostgreSQL's parser reads <...> as markup and drops what is inside it (a
    narrative quoting "<Mum hit me>" would be unsearchable): angle brackets are
    plain spaces to the index."""
    return f"translate({expression}, '<>', '  ')"


PG_ENTRY_TEXT, PG_FOLLOW_UP_TEXT = _pg(ENTRY_TEXT), _pg(FOLLOW_UP_TEXT)
MAX_TERMS = 8


# The statements below are built from the constant expressions above, never from
# input (hence the nosec marks for bandit's string-built-SQL check).
def create_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "CREATE TABLE IF NOT EXISTS search_index (id bigserial PRIMARY KEY, "
            "entry_id integer NOT NULL REFERENCES entries (id) ON DELETE CASCADE, "
            "school_id integer NOT NULL, document tsvector NOT NULL)",
            # btree_gin (a trusted extension shipped with PostgreSQL) lets one GIN index
            # hold the school and the words, so a school's matches come out of the index
            # without reading the other schools' rows.
            "CREATE EXTENSION IF NOT EXISTS btree_gin",
            "CREATE INDEX IF NOT EXISTS search_index_document ON search_index USING gin (school_id, document)",
            "CREATE INDEX IF NOT EXISTS search_index_school ON search_index (school_id, id)",
            "CREATE INDEX IF NOT EXISTS search_index_entry ON search_index (entry_id)",
            "CREATE OR REPLACE FUNCTION search_index_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # nosec B608
            "INSERT INTO search_index (entry_id, school_id, document) "
            f"VALUES (NEW.id, NEW.school_id, to_tsvector('english', {_new(PG_ENTRY_TEXT)})); "
            "RETURN NULL; END $$",
            "CREATE OR REPLACE FUNCTION search_index_follow_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # nosec B608
            "INSERT INTO search_index (entry_id, school_id, document) "
            f"SELECT NEW.entry_id, school_id, to_tsvector('english', {_new(PG_FOLLOW_UP_TEXT)}) "
            "FROM entries WHERE id = NEW.entry_id; RETURN NULL; END $$",
            "CREATE OR REPLACE TRIGGER search_index_entries AFTER INSERT ON entries "
            "FOR EACH ROW EXECUTE FUNCTION search_index_entry()",
            "CREATE OR REPLACE TRIGGER search_index_follow_ups AFTER INSERT ON follow_ups "
            "FOR EACH ROW EXECUTE FUNCTION search_index_follow_up()",
        ]
    return [
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
        "body, entry_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS search_index_entries AFTER INSERT ON entries BEGIN "
        f"INSERT INTO search_index (body, entry_id) VALUES ({_new(ENTRY_TEXT)}, NEW.id); END",  # nosec B608
        "CREATE TRIGGER IF NOT EXISTS search_index_follow_ups AFTER INSERT ON follow_ups BEGIN "
        f"INSERT INTO search_index (body, entry_id) VALUES ({_new(FOLLOW_UP_TEXT)}, NEW.entry_id); END",  # nosec B608
    ]


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS search_index_entries ON entries",
            "DROP TRIGGER IF EXISTS search_index_follow_ups ON follow_ups",
            "DROP FUNCTION IF EXISTS search_index_entry()",
            "DROP FUNCTION IF EXISTS search_index_follow_up()",
            "DROP TABLE IF EXISTS search_index",
        ]
    return [
        "DROP TRIGGER IF EXISTS search_index_entries",
        "DROP TRIGGER IF EXISTS search_index_follow_ups",
        "DROP TABLE IF EXISTS search_index",
    ]


def _new(expression: str) -> str:
    """The same expression over the trigger's NEW row."""
    return re.sub(r"\b(narrative|child_words|text|reason|agency_name)\b", r"NEW.\1", expression)


def is_search_object(name: str | None) -> bool:
    return bool(name) and name.startswith("search_")


def install(metadata: MetaData) -> None:
    @event.listens_for(metadata, "after_create")
    def _create(target, connection, **kw):
        for statement in create_statements(connection.dialect.name):
            connection.execute(text(statement))

    # PostgreSQL's index refers to the entries, which cannot go while it stands.
    @event.listens_for(metadata, "before_drop")
    def _drop(target, connection, **kw):
        for statement in drop_statements(connection.dialect.name):
            connection.execute(text(statement))


def terms(query: str) -> list[str]:
    """The words of what was typed: letters and digits only, so nothing typed is
    ever read as search syntax (or SQL)."""
    return re.findall(r"\w+", query.lower())[:MAX_TERMS]


# Newest index row first, stopping at `limit` distinct entries: see search.queries.
SQLITE_NEWEST_MATCHES = text(
    "SELECT DISTINCT search_index.entry_id FROM search_index JOIN entries ON entries.id = search_index.entry_id "
    "WHERE search_index MATCH :match AND entries.school_id IN :schools "
    "ORDER BY search_index.rowid DESC LIMIT :limit"
).bindparams(bindparam("schools", expanding=True))

# PostgreSQL has no DISTINCT ordered by another column, and its planner, asked for the
# newest matches, walks the rows backwards even for a word that is in none of them. So
# two steps, each giving entries by their newest matching row: the school's newest
# WINDOW rows (a common word is there, at a fixed cost), then, only when those hold too
# few, every match through the GIN index (a rarer word has few). The configuration is
# written out, not bound, so the planner sees the indexed expression.
WINDOW = 2000
_NEWEST_ENTRIES = "SELECT entry_id FROM matches GROUP BY entry_id ORDER BY max(id) DESC LIMIT :limit"
POSTGRESQL_RECENT_MATCHES = text(
    "WITH matches AS MATERIALIZED (SELECT entry_id, id FROM (SELECT entry_id, id, document FROM search_index "  # nosec B608
    "WHERE school_id IN :schools ORDER BY id DESC LIMIT :window) AS newest "
    "WHERE document @@ to_tsquery('english', :match)) " + _NEWEST_ENTRIES
).bindparams(bindparam("schools", expanding=True))
POSTGRESQL_ALL_MATCHES = text(
    "WITH matches AS MATERIALIZED (SELECT entry_id, id FROM search_index "  # nosec B608
    "WHERE school_id IN :schools AND document @@ to_tsquery('english', :match)) " + _NEWEST_ENTRIES
).bindparams(bindparam("schools", expanding=True))


def tsquery(words: list[str]) -> str:
    """A to_tsquery() query: every word, each as a word or the start of one."""
    return " & ".join(f"{w}:*" for w in words)


def fts_match(words: list[str]) -> str:
    """An FTS5 query: every word, each as a word or the start of one."""
    return " ".join(f'"{w}"*' for w in words)


install(Entry.metadata)
