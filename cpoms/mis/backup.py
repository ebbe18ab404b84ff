"""Backup and restore of the SQLite database with SQLite's online backup API: the
copy is one consistent moment even while the app writes. PostgreSQL has its own
tools (pg_dump, pg_restore: see the README), so these refuse it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL


class BackupProblem(Exception):
    pass


def database_file(url: URL) -> Path:
    if url.get_backend_name() != "sqlite":
        raise BackupProblem(
            f"The database is {url.get_backend_name()}, not SQLite: use pg_dump and "
            "pg_restore for PostgreSQL (see the README, 'Backup and restore')."
        )
    if not url.database or url.database == ":memory:":
        raise BackupProblem("The database is in memory: there is no file to back up or restore.")
    return Path(url.database)


def backup(url: URL, dest: Path) -> int:
    """Copy the database to dest (refusing to overwrite a file); returns its size."""
    source = database_file(url)
    if dest.exists():
        raise BackupProblem(f"{dest} already exists: choose a new file name.")
    if not source.exists():
        raise BackupProblem(f"There is no database at {source}.")
    partial = dest.with_name(dest.name + ".partial")
    _copy(source, partial)
    os.replace(partial, dest)  # a backup file is either whole or absent
    return dest.stat().st_size


def restore(url: URL, src: Path, force: bool = False) -> None:
    """Replace the database's content with the backup at src, after checking the backup."""
    target = database_file(url)
    _check_backup(src)
    if not force and _has_tables(target):
        raise BackupProblem(
            f"The database {target} already holds data: add --force to replace it "
            "(stop the app first, and back it up if in doubt)."
        )
    _copy(src, target)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            # One step (pages=-1) holds a read transaction for the whole copy: in WAL mode
            # writers carry on, and the copy is the database as at that moment.
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()


def _check_backup(src: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupProblem(f"{src} is not a SQLite database ({error}).") from None
    if verdict != "ok":
        raise BackupProblem(f"{src} is damaged: {verdict}")
    if not {"pupils", "entries", "audit_events"} <= tables:
        raise BackupProblem(f"{src} is a SQLite database but not a backup of the concern log.")


def _has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0
    finally:
        connection.close()
