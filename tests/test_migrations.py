"""The Alembic migrations build exactly the schema the models describe.

`flask db upgrade` on an empty database (no create_all) must give the tables,
columns, types, nullability, indexes, unique constraints and foreign keys of
cpoms.models, or a deployment made with migrations would differ from the one the
tests run against. On SQLite by default; on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from pprint import pformat

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from conftest import drop_everything
from cpoms.extensions import db
from cpoms.search.index import drop_statements as search_drop_statements, is_search_object


VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def cpoms_imports(source: str) -> list[str]:
    """Each import of the application (cpoms) in a module's source, wherever it is."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "cpoms"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cpoms":
            found.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).split(".")[0] == "cpoms"
        ):
            found.append(f"{ast.unparse(node.func)}({node.args[0].value!r})")  # importlib.import_module()
    return found


def test_cpoms_imports_finds_each_way_in():
    assert cpoms_imports(
        "from cpoms import append_only\nimport cpoms.audit\n"
        "def f():\n    from cpoms.search import index\n"
        "    importlib.import_module('cpoms.models')\n"
    ) == ["cpoms", "cpoms.audit", "cpoms.search", "importlib.import_module('cpoms.models')"]
    assert cpoms_imports("import sqlalchemy as sa\nfrom alembic import op\nimport cpomsx\n") == []


def test_no_migration_imports_application_code():
    """A migration runs what its file says, whatever the app's code later becomes: the SQL
    it ran (triggers, search index, the audit digest) is frozen into it."""
    files = sorted(VERSIONS.glob("*.py"))
    assert len(files) >= 18
    imports = {path.name: cpoms_imports(path.read_text()) for path in files}
    assert {name: found for name, found in imports.items() if found} == {}


def test_each_migrations_header_names_its_parent():
    """The docstring's Revision ID and Revises lines are what Alembic runs."""
    for path in sorted(VERSIONS.glob("*.py")):
        module = ast.parse(path.read_text())
        values = {
            target.id: node.value.value
            for node in module.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision")
        }
        header = dict(
            line.split(":", 1)
            for line in ast.get_docstring(module).splitlines()
            if line.startswith(("Revision ID:", "Revises:"))
        )
        assert header["Revision ID"].strip() == values["revision"], path.name
        assert header["Revises"].strip() == (values["down_revision"] or ""), path.name


def schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
        )
        return compare_metadata(context, db.metadata)


def include_name(name, type_, parent_names) -> bool:
    return not is_search_object(name)


def table_names() -> set[str]:
    """The tables of the models (the full-text search index is not a model)."""
    return {name for name in inspect(db.engine).get_table_names() if not is_search_object(name)}


def test_upgrade_builds_the_models_schema(empty_app):
    with empty_app.app_context():
        assert table_names() == set()
        flask_migrate.upgrade()
        assert table_names() == set(db.metadata.tables) | {"alembic_version"}
        diff = schema_differences()
        assert diff == [], "migrations and models differ:\n" + pformat(diff)
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() is not None


def test_downgrade_to_base_and_up_again(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert table_names() <= {"alembic_version"}
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() is None
        flask_migrate.upgrade()
        diff = schema_differences()
        assert diff == [], "migrations and models differ after down and up:\n" + pformat(diff)


def test_migrated_database_takes_the_apps_writes(empty_app):
    """A smoke test of the migrated schema: the demo data loads into it."""
    from cpoms.demo import ensure_categories

    with empty_app.app_context():
        flask_migrate.upgrade()
        categories = ensure_categories()
        db.session.commit()
        assert len(categories) == 7


def test_env_py_raises_no_deprecation_warning(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()


def test_upgrade_chains_the_audit_events_a_school_already_has(empty_app):
    """A school upgrading from the first release keeps its audit history, chained."""
    from cpoms import audit

    with empty_app.app_context():
        flask_migrate.upgrade(revision="0001")
        with db.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_events (at, action, ip, detail) "
                        f"VALUES ('2026-09-0{n + 1} 08:30:00.123456', 'sign_in', '10.0.0.{n}', NULL)"
                    )
                )
        flask_migrate.upgrade()
        check = audit.verify_chain()
        assert check.intact, check.problem
        assert check.events == 3
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE audit_events SET ip = '1.2.3.4'"))


def test_upgrade_keeps_a_schools_entries_follow_ups_and_alerts(empty_app):
    """A school on the first release upgrades with its records intact, and the
    copies of each entry's school the queues use are filled in."""
    from cpoms.models import Alert, Entry, EntryState, FollowUp

    rows = [
        "INSERT INTO trusts (id, name) VALUES (1, 'T')",
        "INSERT INTO schools (id, trust_id, slug, name) VALUES (1, 1, 'a', 'A'), (2, 1, 'b', 'B')",
        "INSERT INTO users (id, email, name, password_hash, active, created_at) "
        "VALUES (1, 'dsl@a.example.org', 'D', 'x', true, '2026-01-05 09:00:00')",
        'INSERT INTO categories (id, name, description, alerts_safeguarding_team, active, "order") '
        "VALUES (1, 'Safeguarding', '', true, true, 0)",
        "INSERT INTO role_assignments (id, user_id, role, school_id) VALUES (1, 1, 'dsl', 1)",
        "INSERT INTO pupils (id, school_id, upn, first_name, last_name, date_of_birth, year_group, "
        "class_name, active) VALUES (1, 1, 'A123456789012', 'P', 'Q', '2019-03-01', 2, '2A', true), "
        "(2, 2, 'B123456789012', 'R', 'S', '2019-04-01', 2, '2B', true)",
    ]
    for n, school in ((1, 1), (2, 2), (3, 1)):
        rows += [
            "INSERT INTO entries (id, school_id, category_id, recorded_by_id, source, occurred_at, created_at, "
            f"narrative, told_dsl_in_person) VALUES ({n}, {school}, 1, 1, 'other', '2026-02-0{n} 10:00:00', "
            f"'2026-02-0{n} 10:05:00', 'Narrative {n}', false)",
            f"INSERT INTO entry_pupils (id, entry_id, pupil_id) VALUES ({n}, {n}, {school})",
            "INSERT INTO entry_states (entry_id, status, reviewed_at, updated_at) "
            f"VALUES ({n}, 'open', NULL, '2026-02-0{n} 10:05:00')",
            "INSERT INTO follow_ups (id, entry_id, author_id, kind, occurred_at, created_at, text) "
            f"VALUES ({n}, {n}, 1, 'action', '2026-02-0{n} 11:00:00', '2026-02-0{n} 11:00:00', 'Did {n}')",
            "INSERT INTO alerts (id, entry_id, recipient_id, email, reason, status, attempts, created_at, "
            f"next_attempt_at) VALUES ({n}, {n}, 1, 'dsl@a.example.org', 'safeguarding_team', "
            f"'{'sent' if n < 3 else 'failed'}', 1, '2026-02-0{n} 10:05:00', '2026-02-0{n} 10:05:00')",
        ]
    with empty_app.app_context():
        flask_migrate.upgrade(revision="0001")
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        flask_migrate.upgrade()
        assert schema_differences() == []
        entries = db.session.scalars(select(Entry).order_by(Entry.id)).all()
        assert [(e.id, e.school_id, e.narrative) for e in entries] == [
            (1, 1, "Narrative 1"),
            (2, 2, "Narrative 2"),
            (3, 1, "Narrative 3"),
        ]
        assert [
            (s.entry_id, s.school_id) for s in db.session.scalars(select(EntryState).order_by(EntryState.entry_id))
        ] == [(1, 1), (2, 2), (3, 1)]
        assert [f.text for f in db.session.scalars(select(FollowUp).order_by(FollowUp.id))] == [
            "Did 1",
            "Did 2",
            "Did 3",
        ]
        assert [(a.entry_id, a.school_id, a.status) for a in db.session.scalars(select(Alert).order_by(Alert.id))] == [
            (1, 1, "sent"),
            (2, 2, "sent"),
            (3, 1, "failed"),
        ]
        from cpoms import alerts

        assert alerts.undelivered_count([1]) == 1 and alerts.undelivered_count([2]) == 0
        # Roles held before who gave them was recorded count as given long ago, by nobody; the
        # Safeguarding category is the one that always alerts.
        from cpoms.models import Category, RoleAssignment

        [held] = db.session.scalars(select(RoleAssignment))
        assert (held.granted_at.year, held.granted_by_id) == (2000, None)
        assert db.session.get(Category, 1).always_alerts


def triggers() -> dict[str, str]:
    """Every trigger (and, on PostgreSQL, trigger function) by name, with its definition."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(
                text(
                    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                    "UNION ALL SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
                )
            )
        return {name: " ".join(sql.split()) for name, sql in rows if not is_search_object(name)}


def test_migrations_give_the_triggers_create_all_gives(empty_app):
    """The append-only triggers (and the retention deletion's way through them) are the
    same whether the database was migrated or built from the models."""
    with empty_app.app_context():
        flask_migrate.upgrade()
        migrated = triggers()
        drop_everything()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:  # drop_all leaves the functions behind
                for name in migrated:
                    conn.execute(text(f"DROP FUNCTION IF EXISTS {name}() CASCADE"))
        db.create_all()
        assert triggers() == migrated
        assert (
            "transfer_events_no_delete" in migrated and "audit_events_no_truncate" in migrated
            if db.engine.dialect.name == "postgresql"
            else "audit_events_no_delete" in migrated
        )


def search_objects() -> dict[str, str]:
    """The full-text search objects (FTS5 table and its triggers; PostgreSQL's table, its
    columns, indexes, triggers and functions) by name, with their definitions."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE name LIKE 'search%'"))
        else:
            rows = conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'search%' "
                    "UNION ALL SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname LIKE 'search%' "
                    "UNION ALL SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE proname LIKE 'search%' "
                    "UNION ALL SELECT table_name, string_agg(column_name || ' ' || data_type || ' ' || is_nullable, "
                    "', ' ORDER BY ordinal_position) FROM information_schema.columns "
                    "WHERE table_name LIKE 'search%' GROUP BY table_name"
                )
            )
        return {name: " ".join((sql or "").split()) for name, sql in rows if is_search_object(name)}


def test_migrations_give_the_search_index_create_all_gives(empty_app):
    """The search reads the index through the expression create_all() indexes (on PostgreSQL
    the query must match the indexed expression, or it scans every entry)."""
    with empty_app.app_context():
        flask_migrate.upgrade()
        migrated = search_objects()
        drop_everything()
        with db.engine.begin() as conn:  # not models: drop_all leaves them behind
            for statement in search_drop_statements(db.engine.dialect.name):
                conn.execute(text(statement))
        assert search_objects() == {}
        db.create_all()
        assert search_objects() == migrated
        assert {"search_index", "search_index_entries", "search_index_follow_ups"} <= set(migrated)


def test_upgrade_fills_the_report_counts_and_waits_from_the_entries_a_school_has(empty_app):
    """0024: a school upgrading sees the figures it saw before, counted from its entries
    in the migration, by UK month (an entry at 23:30 UTC on 31 March counts in April)."""
    from cpoms.reports import counters

    rows = [
        "INSERT INTO trusts (id, name) VALUES (1, 'T')",
        "INSERT INTO schools (id, trust_id, slug, name) VALUES (1, 1, 'a', 'A'), (2, 1, 'b', 'B')",
        "INSERT INTO users (id, email, name, password_hash, active, created_at) "
        "VALUES (1, 'dsl@a.example.org', 'D', 'x', true, '2026-01-05 09:00:00')",
        'INSERT INTO categories (id, name, description, alerts_safeguarding_team, active, "order") '
        "VALUES (1, 'Safeguarding', '', true, true, 0), (2, 'Behaviour', '', false, true, 1)",
    ]
    # id, school, category, logged (UTC), status, reviewed, first action
    entries = [
        (1, 1, 1, "2025-03-31 23:30:00.000000", "open", "2025-04-01 01:30:00.250000", None),
        (2, 1, 1, "2025-04-02 10:00:00.000000", "closed", "2025-04-02 12:00:00.000000", "2025-04-03 10:00:00.000000"),
        (3, 1, 2, "2025-04-02 11:00:00.000000", "open", None, None),
        (4, 2, 1, "2025-10-31 23:30:00.000000", "open", None, "2025-11-01 00:00:00.000000"),
    ]
    for n, school, category, logged, status, reviewed, acted in entries:
        rows += [
            "INSERT INTO entries (id, school_id, category_id, recorded_by_id, source, occurred_at, created_at, "
            f"narrative, told_dsl_in_person) VALUES ({n}, {school}, {category}, 1, 'other', '{logged}', "
            f"'{logged}', 'Narrative {n}', false)",
            "INSERT INTO entry_states (entry_id, school_id, status, reviewed_at, first_action_at, updated_at) "
            f"VALUES ({n}, {school}, '{status}', {repr(reviewed) if reviewed else 'NULL'}, "
            f"{repr(acted) if acted else 'NULL'}, '{logged}')",
        ]
    with empty_app.app_context():
        flask_migrate.upgrade(revision="0023_submission_keys")
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        flask_migrate.upgrade()
        assert counters.stored() == {
            counters.Key(1, "2025-04", 1, "open"): 1,
            counters.Key(1, "2025-04", 1, "closed"): 1,
            counters.Key(1, "2025-04", 2, "open"): 1,
            counters.Key(2, "2025-10", 1, "open"): 1,
        }
        # Seconds as the reports always worked them out (SQLite's julianday is a float of days).
        assert counters.stored_waits() == {
            counters.Group(1, "2025-04", 1): ([pytest.approx(7200.0), pytest.approx(7200.25)], [pytest.approx(86400)]),
            counters.Group(2, "2025-10", 1): ([], [pytest.approx(1800.0)]),
        }
        assert counters.differences() == {}


def _a_school_with_attachments(empty_app, folder: Path, files: dict[str, bytes]) -> None:
    """At 0025: one entry with these files attached, kept in `folder` as the app kept them."""
    rows = [
        "INSERT INTO trusts (id, name) VALUES (1, 'T')",
        "INSERT INTO schools (id, trust_id, slug, name) VALUES (1, 1, 'a', 'A')",
        "INSERT INTO users (id, email, name, password_hash, active, created_at) "
        "VALUES (1, 'dsl@a.example.org', 'D', 'x', true, '2026-01-05 09:00:00')",
        'INSERT INTO categories (id, name, description, alerts_safeguarding_team, active, "order") '
        "VALUES (1, 'Safeguarding', '', true, true, 0)",
        "INSERT INTO entries (id, school_id, category_id, recorded_by_id, source, occurred_at, created_at, "
        "narrative, told_dsl_in_person) VALUES (1, 1, 1, 1, 'other', '2026-02-01 10:00:00', "
        "'2026-02-01 10:05:00', 'Narrative', false)",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for n, (name, data) in enumerate(files.items(), start=1):
        (folder / name).write_bytes(data)
        rows.append(
            "INSERT INTO attachments (id, entry_id, uploaded_by_id, uploaded_at, filename, content_type, size, "
            f"sha256, stored_name) VALUES ({n}, 1, 1, '2026-02-01 10:05:00', 'f{n}.pdf', 'application/pdf', "
            f"{len(data)}, '{hashlib.sha256(data).hexdigest()}', '{name}')"
        )
    empty_app.config["ATTACHMENT_DIR"] = str(folder)
    with empty_app.app_context():
        flask_migrate.upgrade(revision="0025_concerns_about_adults")
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))


def test_upgrade_moves_the_attachment_files_into_the_database(empty_app, tmp_path):
    """0028: every file on disk, checked against its SHA-256, becomes its row's bytes; a
    download after the upgrade sends exactly what was uploaded. The files stay on disk."""
    from cpoms.attachments import storage
    from cpoms.attachments.models import Attachment

    files = {"a" * 40: b"%PDF-1.4 first", "b" * 40: b"%PDF-1.4 second" * 1000}
    folder = tmp_path / "attachments"
    _a_school_with_attachments(empty_app, folder, files)
    with empty_app.app_context():
        flask_migrate.upgrade()
        assert schema_differences() == []
        moved = {
            a.stored_name: storage.read_verified(a.stored_name, a.sha256)
            for a in db.session.scalars(select(Attachment))
        }
        assert moved == files
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    with empty_app.app_context():  # and back: the files are where the old release looks for them
        for path in folder.iterdir():
            path.unlink()
        flask_migrate.downgrade(revision="0025_concerns_about_adults")
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == files


def test_upgrade_stops_before_changing_anything_when_a_file_is_missing_or_changed(empty_app, tmp_path, monkeypatch):
    files = {"a" * 40: b"%PDF-1.4 first", "b" * 40: b"%PDF-1.4 second"}
    folder = tmp_path / "attachments"
    _a_school_with_attachments(empty_app, folder, files)
    (folder / ("b" * 40)).write_bytes(b"%PDF-1.4 changed")
    with empty_app.app_context():
        with pytest.raises(SystemExit) as stopped:  # flask db upgrade exits, having logged why
            flask_migrate.upgrade()
        why = str(stopped.value.__context__)
        assert "1 of 2 attachment files cannot be moved" in why and "attachment 2 (entry 1)" in why
        assert "attachment_blobs" not in table_names()
    monkeypatch.setenv("CPOMS_UPGRADE_WITH_DAMAGED_ATTACHMENTS", "1")  # the school chose to go on
    with empty_app.app_context():
        flask_migrate.upgrade()
        from cpoms.attachments.models import AttachmentBlob

        assert list(db.session.scalars(select(AttachmentBlob.stored_name))) == ["a" * 40]
