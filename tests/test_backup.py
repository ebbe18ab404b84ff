"""flask backup and restore: a consistent copy of a database that is being written
to, and a restore that loses nothing of it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select, text

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.mis import backup

from conftest import POSTGRES_URL

# The copies themselves are SQLite's online backup: on PostgreSQL (pg_dump) only the refusal is tested.
sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="backup and restore are for SQLite (pg_dump on PostgreSQL)")


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def database_path(app):
    with app.app_context():
        return backup.database_file(db.engine.url)


class Writer(threading.Thread):
    """Another process's worth of writes: one row per transaction, about a thousand a second."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stop, self.committed = path, threading.Event(), 0

    def run(self):
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("CREATE TABLE IF NOT EXISTS load (n INTEGER PRIMARY KEY, payload TEXT)")
        connection.commit()
        while not self.stop.is_set():
            connection.execute("INSERT INTO load (payload) VALUES (?)", ("x" * 200,))
            connection.commit()
            self.committed += 1
            # SQLite's write lock has no queue: a writer that never pauses would starve the
            # backup command's own audit row. A busy school pauses; a tight loop does not.
            time.sleep(0.0005)
        connection.close()


def load_rows(path) -> list[int]:
    connection = sqlite3.connect(path)
    try:
        return [n for (n,) in connection.execute("SELECT n FROM load ORDER BY n")]
    finally:
        connection.close()


@sqlite_only
def test_backup_under_writes_then_restore_loses_nothing(app, world, make_entry, tmp_path):
    make_entry()
    path = database_path(app)
    writer = Writer(path)
    writer.start()
    while writer.committed < 3000:
        time.sleep(0.01)
    before = writer.committed
    started = time.perf_counter()
    result = run(app, "backup", str(tmp_path / "copy.sqlite3"))
    took = time.perf_counter() - started
    assert result.exit_code == 0, (result.output, result.exception)
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == audit.BACKED_UP)) == 1
    during = writer.committed
    writer.stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    print(
        f"\nbackup of {(tmp_path / 'copy.sqlite3').stat().st_size:,} bytes under writes: {took:.3f} s, "
        f"{during - before} rows committed by the writer meanwhile"
    )
    copied = load_rows(tmp_path / "copy.sqlite3")
    # One moment of the database: every row committed before the backup, no gap, nothing half-written.
    assert len(copied) >= before and copied == list(range(1, len(copied) + 1))
    with sqlite3.connect(tmp_path / "copy.sqlite3") as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    refused = run(app, "restore", str(tmp_path / "copy.sqlite3"))
    assert refused.exit_code == 1 and "already holds data: add --force" in refused.output
    restored = run(app, "restore", str(tmp_path / "copy.sqlite3"), "--force")
    assert restored.exit_code == 0, restored.output
    assert load_rows(path) == copied
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM entries")) == 1
        # The restored log goes on from the backup's chain and says it was restored.
        last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert last.action == audit.RESTORED and "copy.sqlite3" in last.detail
        assert audit.verify_chain().intact


@sqlite_only
def test_restore_into_an_empty_database_needs_no_force(app, world, tmp_path):
    assert run(app, "backup", str(tmp_path / "copy.sqlite3")).exit_code == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    path = database_path(app)
    path.unlink()
    result = run(app, "restore", str(tmp_path / "copy.sqlite3"))
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM pupils")) == 4


@sqlite_only
def test_backup_never_overwrites_and_restore_checks_its_source(app, world, tmp_path):
    existing = tmp_path / "there.sqlite3"
    existing.write_bytes(b"keep me")
    refused = run(app, "backup", str(existing))
    assert refused.exit_code == 1 and "already exists" in refused.output
    assert existing.read_bytes() == b"keep me"
    not_db = run(app, "restore", str(existing), "--force")
    assert not_db.exit_code == 1 and "is not a SQLite database" in not_db.output
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    wrong = run(app, "restore", str(other), "--force")
    assert wrong.exit_code == 1 and "not a backup of the concern log" in wrong.output


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", "not SQLite: use pg_dump and pg_restore"),
        ("sqlite://", "in memory"),
    ],
)
def test_refuses_other_databases_clearly(url, message, tmp_path):
    from sqlalchemy.engine import make_url

    with pytest.raises(backup.BackupProblem, match=message):
        backup.backup(make_url(url), tmp_path / "b.sqlite3")
    with pytest.raises(backup.BackupProblem, match=message):
        backup.restore(make_url(url), tmp_path / "b.sqlite3")


def test_the_commands_say_what_to_use_on_the_apps_own_database(app, tmp_path):
    """On PostgreSQL: a clear refusal naming pg_dump; on SQLite: a backup."""
    result = run(app, "backup", str(tmp_path / "copy.sqlite3"))
    if POSTGRES_URL:
        assert result.exit_code == 1 and "use pg_dump and pg_restore" in result.output
    else:
        assert result.exit_code == 0 and (tmp_path / "copy.sqlite3").exists()


# --- attachments: their bytes are rows of the database, so every backup holds them ---------


def attached(app, world, make_entry) -> tuple[int, bytes]:
    from sample_files import png
    from helpers import stored

    content = png(colour=(10, 200, 30))
    return stored(app, world, make_entry, content=content).id, content


def downloaded(app, world, attachment_id: int) -> bytes:
    from conftest import Auth

    with app.test_client() as client:
        Auth(app, client).as_(world["dsl"])
        response = client.get(f"/attachments/{attachment_id}")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_data()


def verified_count(app) -> str:
    result = run(app, "verify-attachments")
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@sqlite_only
def test_a_backup_holds_the_attachments_and_a_restore_brings_them_back(app, world, make_entry, tmp_path):
    attachment_id, content = attached(app, world, make_entry)
    assert run(app, "backup", str(tmp_path / "copy.sqlite3")).exit_code == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database_path(app).unlink()  # the server's disk lost: only the backup is left
    shutil.rmtree(app.config["ATTACHMENT_DIR"], ignore_errors=True)
    assert run(app, "restore", str(tmp_path / "copy.sqlite3")).exit_code == 0
    assert verified_count(app) == "1 attachments checked, 0 damaged, 0 unreferenced files."
    assert downloaded(app, world, attachment_id) == content


PG_DUMP, PG_RESTORE = shutil.which("pg_dump"), shutil.which("pg_restore")


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")
@pytest.mark.skipif(not (PG_DUMP and PG_RESTORE), reason="pg_dump and pg_restore are not installed (postgresql-client)")
def test_pg_dump_and_pg_restore_carry_the_attachments(app, world, make_entry, tmp_path):
    """docs/operations.md's commands, as written there."""
    attachment_id, content = attached(app, world, make_entry)
    libpq_url = POSTGRES_URL.replace("+psycopg", "")
    dump = tmp_path / "cpoms.dump"
    subprocess.run([PG_DUMP, "--format=custom", f"--file={dump}", libpq_url], check=True, timeout=120)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        db.drop_all()  # the database lost, and the server's disk with it
        db.engine.dispose()
    shutil.rmtree(app.config["ATTACHMENT_DIR"], ignore_errors=True)
    subprocess.run(
        [PG_RESTORE, "--clean", "--if-exists", "--no-owner", f"--dbname={libpq_url}", str(dump)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert verified_count(app) == "1 attachments checked, 0 damaged, 0 unreferenced files."
    assert downloaded(app, world, attachment_id) == content
