"""the app's current search indexes and key_events delete trigger, wherever a database's
earlier migrations made older ones

Revision ID: 0020_frozen_sql_catch_up
Revises: 0019_hardening
Create Date: 2026-12-05 22:40:00

The migrations before this one imported the app's code and ran whatever it wrote on the
day a school upgraded, so two databases at one revision could hold different SQL. Each
now carries the SQL it ran when it was released; two of them ran SQL the app has
changed since, brought up to date here (on every database: one that already has the
newer SQL gets it again):

- PostgreSQL's search indexes (0003): the search matches to_tsvector() of the text with
  angle brackets read as spaces (words quoted in <...> are found); an index over the
  untranslated text is never used, so every search read every entry and follow-up.
  Building the new indexes takes a while on a large database, and writes to entries and
  follow-ups wait meanwhile.
- key_events' delete trigger (0016): a row's entry granted by "g.entry_id IN (...)" like
  every other table's since 0017, instead of "g.entry_id = ..." (the same rows).
"""

from alembic import op

revision = "0020_frozen_sql_catch_up"
down_revision = "0019_hardening"
branch_labels = None
depends_on = None

# As cpoms/search/index.py and cpoms/append_only.py write them at this revision; the
# downgrade puts back what 0003 and 0016 made.
UPGRADE = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS key_events_no_delete",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN ((SELECT f.entry_id FROM follow_ups f WHERE f.id "
        "= OLD.follow_up_id))) BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP INDEX IF EXISTS search_entries",
        "CREATE INDEX search_entries ON entries USING gin (to_tsvector('english', translate(narrative || "
        "' ' || coalesce(child_words, ''), '<>', '  ')))",
        "DROP INDEX IF EXISTS search_follow_ups",
        "CREATE INDEX search_follow_ups ON follow_ups USING gin (to_tsvector('english', "
        "translate(coalesce(text, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(agency_name, ''), "
        "'<>', '  ')))",
        """CREATE OR REPLACE FUNCTION key_events_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT f.entry_id FROM follow_ups f WHERE f.id = OLD.follow_up_id))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
    ),
}

DOWNGRADE = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS key_events_no_delete",
        "CREATE TRIGGER key_events_no_delete BEFORE DELETE ON key_events WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id = (SELECT f.entry_id FROM follow_ups f WHERE f.id = "
        "OLD.follow_up_id)) BEGIN SELECT RAISE(ABORT, "
        "'key_events is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP INDEX IF EXISTS search_entries",
        "CREATE INDEX search_entries ON entries USING gin (to_tsvector('english', narrative || ' ' || "
        "coalesce(child_words, '')))",
        "DROP INDEX IF EXISTS search_follow_ups",
        "CREATE INDEX search_follow_ups ON follow_ups USING gin (to_tsvector('english', coalesce(text, "
        "'') || ' ' || coalesce(reason, '') || ' ' || coalesce(agency_name, '')))",
        """CREATE OR REPLACE FUNCTION key_events_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id = (SELECT f.entry_id FROM follow_ups f WHERE f.id = OLD.follow_up_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
    ),
}


def upgrade():
    for statement in UPGRADE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DOWNGRADE[op.get_bind().dialect.name]:
        op.execute(statement)
