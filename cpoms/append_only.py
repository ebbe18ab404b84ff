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
