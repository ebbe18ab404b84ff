"""Attachment bytes in the database, under random names: written in the transaction
that saves the rows naming them, so a file exists exactly when its attachment does,
on every app server, and in every backup. Checked against their SHA-256 on every read."""

from __future__ import annotations

import secrets
from datetime import datetime
from hashlib import sha256 as _sha256

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..extensions import db
from .models import AttachmentBlob, StagedFile


class Damaged(Exception):
    """The stored file is missing or no longer matches its recorded SHA-256."""


def _table(staged: bool):
    return StagedFile if staged else AttachmentBlob


def write(session: Session, data: bytes, staged: bool = False) -> str:
    """Store `data` under a new random name in the session's transaction; return the name."""
    [name] = write_all(session, [data], staged)
    return name


def write_all(session: Session, files: list[bytes], staged: bool = False) -> list[str]:
    """Store each file under a new random name, all in one INSERT; return the names in order."""
    names = [secrets.token_hex(20) for _ in files]
    if files:
        session.execute(insert(_table(staged)), [{"stored_name": n, "data": d} for n, d in zip(names, files)])
    return names


def well_named(stored_name: str) -> bool:
    return len(stored_name) == 40 and all(c in "0123456789abcdef" for c in stored_name)


def verified(data: bytes | None, sha256: str) -> bytes:
    if data is None:
        raise Damaged("the file is missing from the server")
    if _sha256(data).hexdigest() != sha256:
        raise Damaged("the file on the server no longer matches the checksum recorded when it was uploaded")
    return data


def read_verified(stored_name: str, sha256: str, staged: bool = False) -> bytes:
    """The file's bytes, if they are still exactly what was uploaded."""
    if not well_named(stored_name):
        raise Damaged("its stored name is not one this app gives")
    table = _table(staged)
    return verified(db.session.scalar(select(table.data).where(table.stored_name == stored_name)), sha256)


def discard_staged(stored_name: str) -> None:
    """A staged file, copied into an entry: gone with the same commit (or kept if it rolls back)."""
    db.session.execute(delete(StagedFile).where(StagedFile.stored_name == stored_name))


def discard_staged_before(cutoff: datetime) -> None:
    db.session.execute(delete(StagedFile).where(StagedFile.staged_at < cutoff))


def delete_for_retention(stored_names: list[str]) -> None:
    """The files of entries deleted after the retention review, in that transaction
    (the database allows it only while the entries' grants exist: append_only.py)."""
    for start in range(0, len(stored_names), 500):
        db.session.execute(
            delete(AttachmentBlob).where(AttachmentBlob.stored_name.in_(stored_names[start : start + 500]))
        )
