"""Tables whose rows the database itself refuses to change or delete once written.

The application never updates these rows; the triggers make that a property of
the database, so a stray script, a console session or a bug cannot rewrite the
record either. The migrations create the same triggers as `db.create_all()`.
"""
from __future__ import annotations

from sqlalchemy import Table, event, text

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""


def trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only, rows cannot be changed'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only, rows cannot be deleted'); END",
    ]


def drop_trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


def protect(table: Table) -> None:
    """Create the triggers whenever metadata.create_all() creates the table."""

    @event.listens_for(table, "after_create")
    def _create_triggers(target, connection, **kw):
        for statement in trigger_statements(target.name, connection.dialect.name):
            connection.execute(text(statement))


# --- deletion after the retention review (cpoms/mis/deletion.py) ---------------------------
# The one sanctioned deletion. A protected table still refuses every UPDATE, and a DELETE
# unless the row's entry is named in retention_deletion_grants. Grants are written and
# removed inside the confirming transaction, so no other transaction ever sees one (an
# uncommitted row on PostgreSQL; SQLite has one writer at a time): outside that code path
# the table is as append-only as before. The expression gives the entry a row belongs to.
# Hook for tables protected later (entries, follow_ups, amendments...): add the table
# here, and create its triggers with retention_trigger_statements() instead of
# trigger_statements().
RETENTION_GRANTED = {
    "entries": "OLD.id",
    "entry_pupils": "OLD.entry_id",
    "follow_ups": "OLD.entry_id",
    "amendments": "OLD.entry_id",
    "key_events": "(SELECT f.entry_id FROM follow_ups f WHERE f.id = OLD.follow_up_id)",
}


def _granted(table: str) -> str:
    # Built from the constant expressions above, never from input (nosec: bandit's string-built SQL).
    return f"EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id = {RETENTION_GRANTED[table]})"  # nosec B608


def retention_trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {table}_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {_granted(table)} THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
            # The usual triggers, the row one narrowed to UPDATE.
            *(s.replace("BEFORE UPDATE OR DELETE", "BEFORE UPDATE") for s in trigger_statements(table, dialect)),
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_delete_if_granted()",
        ]
    no_update, no_delete = trigger_statements(table, dialect)
    return [no_update, no_delete.replace(" BEGIN ", f" WHEN NOT {_granted(table)} BEGIN ", 1)]


def drop_retention_trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
                *drop_trigger_statements(table, dialect),
                f"DROP FUNCTION IF EXISTS {table}_delete_if_granted()"]
    return drop_trigger_statements(table, dialect)


def protect_allowing_retention(table: Table) -> None:
    """protect(), except for deletion after the retention review (above)."""

    @event.listens_for(table, "after_create")
    def _create_triggers(target, connection, **kw):
        for statement in retention_trigger_statements(target.name, connection.dialect.name):
            connection.execute(text(statement))
