"""Full-text search of narratives and follow-ups, kept by the database itself.

SQLite: an FTS5 table filled by triggers as entries and follow-ups are
inserted (they are never updated, so inserts are all it has to follow).
PostgreSQL: GIN indexes over to_tsvector() of the same text, queried directly.
Created by db.create_all() from the statements below, and by the migrations
(0003, 0020) from their own frozen copies: a change here needs a migration too
(tests/test_migrations.py compares the two). These objects are not models:
Alembic's autogenerate is told to leave anything named search_* alone (see
`is_search_object`)."""

from __future__ import annotations

import re

from sqlalchemy import MetaData, Select, bindparam, event, func, literal_column, select, text, union

from ..models import Entry, FollowUp

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
            f"CREATE INDEX IF NOT EXISTS search_entries ON entries USING gin (to_tsvector('english', {PG_ENTRY_TEXT}))",
            f"CREATE INDEX IF NOT EXISTS search_follow_ups ON follow_ups "
            f"USING gin (to_tsvector('english', {PG_FOLLOW_UP_TEXT}))",
        ]
    return [
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
        "body, entry_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS search_index_entries AFTER INSERT ON entries BEGIN "
        f"INSERT INTO search_index (body, entry_id) VALUES ({_new(ENTRY_TEXT)}, NEW.id); END",  # nosec B608
        "CREATE TRIGGER IF NOT EXISTS search_index_follow_ups AFTER INSERT ON follow_ups BEGIN "
        f"INSERT INTO search_index (body, entry_id) VALUES ({_new(FOLLOW_UP_TEXT)}, NEW.entry_id); END",  # nosec B608
    ]


def fill_statements(dialect: str) -> list[str]:
    """Index what a database already holds (an upgrade)."""
    if dialect == "postgresql":
        return []
    return [
        f"INSERT INTO search_index (body, entry_id) SELECT {ENTRY_TEXT}, id FROM entries",  # nosec B608
        f"INSERT INTO search_index (body, entry_id) SELECT {FOLLOW_UP_TEXT}, entry_id FROM follow_ups",  # nosec B608
    ]


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["DROP INDEX IF EXISTS search_entries", "DROP INDEX IF EXISTS search_follow_ups"]
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


def terms(query: str) -> list[str]:
    """The words of what was typed: letters and digits only, so nothing typed is
    ever read as search syntax (or SQL)."""
    return re.findall(r"\w+", query.lower())[:MAX_TERMS]


def postgresql_matches(words: list[str], school_ids, since=None) -> Select:
    """Ids of entries of these schools (logged since then, when given) whose
    narrative, or one of whose follow-ups, has every word (as a word or the
    start of one)."""
    # The configuration is written out, not bound, so the planner sees the
    # indexed expression exactly and uses the GIN index.
    english = literal_column("'english'")
    query = func.to_tsquery(english, " & ".join(f"{w}:*" for w in words))
    scope = [Entry.school_id.in_(school_ids)]
    if since is not None:
        scope.append(Entry.created_at >= since)
    return union(
        select(Entry.id).where(*scope, func.to_tsvector(english, literal_column(PG_ENTRY_TEXT)).op("@@")(query)),
        select(FollowUp.entry_id)
        .join(Entry, Entry.id == FollowUp.entry_id)
        .where(*scope, func.to_tsvector(english, literal_column(PG_FOLLOW_UP_TEXT)).op("@@")(query)),
    )


# Newest index row first, stopping at `limit` distinct entries: see search.queries.
SQLITE_NEWEST_MATCHES = text(
    "SELECT DISTINCT search_index.entry_id FROM search_index JOIN entries ON entries.id = search_index.entry_id "
    "WHERE search_index MATCH :match AND entries.school_id IN :schools "
    "ORDER BY search_index.rowid DESC LIMIT :limit"
).bindparams(bindparam("schools", expanding=True))


def fts_match(words: list[str]) -> str:
    """An FTS5 query: every word, each as a word or the start of one."""
    return " ".join(f'"{w}"*' for w in words)


install(Entry.metadata)
