"""Tables whose rows the database itself refuses to change or delete once written.

The application never updates these rows; the triggers make that a property of
the database, so a stray script, a console session or a bug cannot rewrite the
record either. `db.create_all()` creates the triggers from this module; each migration
carries its own copy of the statements it ran, so a change here reaches an existing
database only through a new migration with the new statements (tests/test_migrations.py
fails until the migrated triggers match these).
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
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


# Every table given triggers by the models, by name: the retention test checks it against RETENTION_GRANTED.
PROTECTED: set[str] = set()


def protect(table: Table) -> None:
    """Create the triggers whenever metadata.create_all() creates the table."""
    PROTECTED.add(table.name)

    @event.listens_for(table, "after_create")
    def _create_triggers(target, connection, **kw):
        for statement in trigger_statements(target.name, connection.dialect.name):
            connection.execute(text(statement))


# --- deletion after the retention review (cpoms/mis/deletion.py) ---------------------------
# The one sanctioned deletion. A table listed here still refuses every UPDATE and TRUNCATE,
# and a DELETE unless the row's entry is named in retention_deletion_grants, or (for the
# pupil-level tables) its pupil in retention_deletion_pupil_grants. Grants are written and
# removed inside the confirming transaction, so no other transaction ever sees one (an
# uncommitted row on PostgreSQL; SQLite has one writer at a time): outside that code path
# the table is as append-only as before. Every protected table that holds rows about an
# entry or a pupil is listed (tests/test_retention_deletion.py checks), with the grant its
# row needs. A table protected later: add it here and protect it with
# protect_allowing_retention(); its migration swaps the triggers as 0017 does.


def _entry_granted(*entry_ids: str) -> str:
    # Built from the constant expressions below, never from input (nosec: bandit's string-built SQL).
    return (
        "EXISTS (SELECT 1 FROM retention_deletion_grants g "  # nosec B608
        f"WHERE g.entry_id IN ({', '.join(entry_ids)}))"
    )


def _pupil_granted(pupil_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = {pupil_id})"  # nosec B608


def _adult_concern_granted(concern_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM adult_concern_deletion_grants g WHERE g.concern_id = {concern_id})"  # nosec B608


_TASK_ENTRY = "(SELECT t.entry_id FROM tasks t WHERE t.id = OLD.task_id)"
_TRANSFER_PUPIL = "(SELECT t.pupil_id FROM transfers t WHERE t.id = OLD.transfer_id)"
_EXCLUSION_PUPIL = "(SELECT x.pupil_id FROM record_exclusions x WHERE x.id = OLD.exclusion_id)"

RETENTION_GRANTED = {
    "entries": _entry_granted("OLD.id"),
    "follow_ups": _entry_granted("OLD.entry_id"),
    "amendments": _entry_granted("OLD.entry_id"),
    "entry_categories": _entry_granted("OLD.entry_id"),
    # A link goes with either of its entries; the entry at the other end stays.
    "entry_links": _entry_granted("OLD.entry_id", "OLD.other_entry_id"),
    "entry_shares": _entry_granted("OLD.entry_id"),
    "key_events": _entry_granted("(SELECT f.entry_id FROM follow_ups f WHERE f.id = OLD.follow_up_id)"),
    "tasks": _entry_granted("OLD.entry_id"),
    "task_completions": _entry_granted(_TASK_ENTRY),
    "task_reminders": _entry_granted(_TASK_ENTRY),
    "attachments": _entry_granted("OLD.entry_id"),
    # Deleted just before the attachment row that names it (cpoms/mis/deletion.py).
    "attachment_blobs": _entry_granted("(SELECT a.entry_id FROM attachments a WHERE a.stored_name = OLD.stored_name)"),
    "recorder_messages": _entry_granted("OLD.entry_id"),
    "body_map_marks": _entry_granted("OLD.entry_id"),
    "monitoring_events": _pupil_granted("OLD.pupil_id"),
    "transfer_events": _pupil_granted(_TRANSFER_PUPIL),
    "transfer_reminders": _pupil_granted(_TRANSFER_PUPIL),
    "subject_access_exports": _pupil_granted("OLD.pupil_id"),
    # A child's link to a concern about an adult (cpoms/adults/): the concern itself stays,
    # unless it is the concern that goes (below).
    "adult_concern_pupils": f"({_pupil_granted('OLD.pupil_id')} OR {_adult_concern_granted('OLD.concern_id')})",
    # Key information and police notifications (cpoms/keyinfo/): the pupil's own rows.
    "key_statuses": _pupil_granted("OLD.pupil_id"),
    "key_status_ends": _pupil_granted("OLD.pupil_id"),
    "mis_pupil_facts": _pupil_granted("OLD.pupil_id"),
    "police_notifications": _pupil_granted("OLD.pupil_id"),
    "police_check_ins": _pupil_granted("OLD.pupil_id"),
    "police_check_in_reminders": _pupil_granted("OLD.pupil_id"),
    # A child-protection file received from outside the trust (cpoms/packs/).
    "received_packs": _pupil_granted("OLD.pupil_id"),
    "received_records": _pupil_granted("OLD.pupil_id"),
    # Who was kept from the pupil's record (cpoms/exclusions/): goes with the record it guarded.
    "record_exclusions": _pupil_granted("OLD.pupil_id"),
    "record_exclusion_ends": _pupil_granted(_EXCLUSION_PUPIL),
}

# Tables whose rows go by a deletion of their own, never with a pupil's records: concerns
# about adults after their own retention review (cpoms/adults/deletion.py), granted in
# adult_concern_deletion_grants exactly as a pupil's rows are in the tables above.
OWN_DELETION_GRANTED = {
    "adult_concerns": _adult_concern_granted("OLD.id"),
    "adult_follow_ups": _adult_concern_granted("OLD.concern_id"),
}


def _granted(table: str) -> str:
    return RETENTION_GRANTED.get(table) or OWN_DELETION_GRANTED[table]


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
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            *drop_trigger_statements(table, dialect),
            f"DROP FUNCTION IF EXISTS {table}_delete_if_granted()",
        ]
    return drop_trigger_statements(table, dialect)


def protect_allowing_retention(table: Table) -> None:
    """protect(), except for deletion after the retention review (above)."""
    PROTECTED.add(table.name)

    @event.listens_for(table, "after_create")
    def _create_triggers(target, connection, **kw):
        for statement in retention_trigger_statements(target.name, connection.dialect.name):
            connection.execute(text(statement))
