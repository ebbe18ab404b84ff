"""Attachment files on disk: outside static/, under random names, written and synced
before the database row is committed, removed again if that commit never happens."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_WRITTEN = "attachment_files_written"
_SPENT = "attachment_files_spent"


class Damaged(Exception):
    """The stored file is missing or no longer matches its recorded SHA-256."""


def directory(staged: bool = False) -> Path:
    path = Path(current_app.config["ATTACHMENT_DIR"])
    if staged:  # files of a log form shown again, not yet saved (staging.py)
        path = path / "staged"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write(session: Session, data: bytes, staged: bool = False) -> str:
    """Store `data` under a new random name; return the name. The file is on disk (synced)
    before this returns, and is removed if the session rolls back instead of committing."""
    name = secrets.token_hex(20)
    path = directory(staged) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            session.info.setdefault(_WRITTEN, []).append(path)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        path.unlink(missing_ok=True)
        raise
    return name


def read_verified(stored_name: str, sha256: str, staged: bool = False) -> bytes:
    """The file's bytes, if they are still exactly what was uploaded."""
    if len(stored_name) != 40 or not all(c in "0123456789abcdef" for c in stored_name):
        raise Damaged("its stored name is not one this app gives")
    try:
        data = (directory(staged) / stored_name).read_bytes()
    except FileNotFoundError as exc:
        raise Damaged("the file is missing from the server") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Damaged("the file on the server no longer matches the checksum recorded when it was uploaded")
    return data


def remove_after_commit(stored_name: str, staged: bool = False) -> None:
    """A staged file, copied into an entry: gone once that entry is committed."""
    from ..extensions import db

    db.session.info.setdefault(_SPENT, []).append(directory(staged) / stored_name)


@sa_event.listens_for(Session, "after_commit")
def _keep(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_SPENT, []):
        path.unlink(missing_ok=True)


@sa_event.listens_for(Session, "after_soft_rollback")
def _remove_unreferenced(session: Session, previous_transaction) -> None:
    # The rows naming these files were never committed: nothing may point at them.
    session.info.pop(_SPENT, None)
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)
