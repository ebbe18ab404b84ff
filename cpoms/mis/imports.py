"""Parsed uploads kept for their admin until confirmed: the preview's rows are the
ones applied, and the file is never sent twice."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, update

from .. import audit
from ..extensions import db
from ..models import School, User
from ..timefmt import now_utc
from . import pupils, staff
from .csvfile import Column
from .models import PupilImport

# An upload nobody confirmed is dropped after this long: it holds pupils' details.
KEEP_UNCONFIRMED = timedelta(days=1)


@dataclass(frozen=True)
class ImportKind:
    """What one kind of MIS file is read, previewed and applied with: the upload, preview
    and confirmation pages and the command line serve both kinds through this."""

    name: str
    parse: Callable
    plan: Callable  # (school, rows, full, by) -> Plan; by: the admin importing it
    apply: Callable  # (plan, by)
    action: str
    columns: tuple[Column, ...]


KINDS = {
    "pupils": ImportKind("pupils", pupils.parse, pupils.plan, pupils.apply, audit.PUPILS_IMPORTED, pupils.COLUMNS),
    "staff": ImportKind(
        "staff",
        staff.parse,
        lambda school, rows, full, by: staff.plan(school, rows, by),
        staff.apply,
        audit.STAFF_IMPORTED,
        staff.COLUMNS,
    ),
}


def store(user: User, school: School, filename: str, rows, full: bool, kind: str = "pupils") -> PupilImport:
    db.session.execute(
        delete(PupilImport).where(
            PupilImport.applied_at.is_(None), PupilImport.created_at < now_utc() - KEEP_UNCONFIRMED
        )
    )
    upload = PupilImport(
        id=secrets.token_urlsafe(24),
        school=school,
        uploaded_by_id=user.id,
        filename=filename[:255],
        full=full,
        rows=pupils.rows_to_json(rows),
        kind=kind,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def preview(upload: PupilImport, by: User) -> pupils.Plan:
    """As it would be applied now, by the admin who uploaded it (only they see it)."""
    return KINDS[upload.kind].plan(upload.school, pupils.rows_from_json(upload.rows), upload.full, by)


def confirm(upload: PupilImport, user: User) -> dict[str, int] | None:
    """Apply the upload as it stands now, once: None when it was applied already.

    The conditional UPDATE claims the upload before anything is applied. A second
    confirmation at the same moment waits on it (the row lock on PostgreSQL, the write
    lock on SQLite), then finds applied_at set and matches no row."""
    claimed = (
        db.session.execute(
            update(PupilImport)
            .where(PupilImport.id == upload.id, PupilImport.applied_at.is_(None))
            .values(applied_at=now_utc())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not claimed:
        db.session.refresh(upload)
        audit.record(audit.IMPORT_ALREADY_APPLIED, school_id=upload.school_id, user=user, file=upload.filename)
        return None
    db.session.refresh(upload)
    kind = KINDS[upload.kind]
    counts = kind.apply(preview(upload, user), user)
    upload.result = json.dumps(counts)
    detail = {"full": upload.full} if upload.kind == "pupils" else {}
    record(upload.school, counts, upload.filename, user, action=kind.action, **detail)
    return counts


def record(
    school: School,
    counts: dict[str, int],
    filename: str,
    user: User | None,
    action: str = audit.PUPILS_IMPORTED,
    **detail,
) -> None:
    audit.record(action, school_id=school.id, user=user, file=filename, **counts, **detail)
