"""Parsed uploads kept for their admin until confirmed: the preview's rows are the
ones applied, and the file is never sent twice."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta

from sqlalchemy import delete

from .. import audit
from ..extensions import db
from ..models import PupilImport, School, User
from ..timefmt import now_utc
from . import pupils

# An upload nobody confirmed is dropped after this long: it holds pupils' details.
KEEP_UNCONFIRMED = timedelta(days=1)


def store(user: User, school: School, filename: str, rows, full: bool) -> PupilImport:
    db.session.execute(delete(PupilImport).where(PupilImport.applied_at.is_(None),
                                                 PupilImport.created_at < now_utc() - KEEP_UNCONFIRMED))
    upload = PupilImport(id=secrets.token_urlsafe(24), school=school, uploaded_by_id=user.id,
                         filename=filename[:255], full=full, rows=pupils.rows_to_json(rows))
    db.session.add(upload)
    db.session.flush()
    return upload


def preview(upload: PupilImport) -> pupils.Plan:
    return pupils.plan(upload.school, pupils.rows_from_json(upload.rows), upload.full)


def confirm(upload: PupilImport, user: User | None) -> dict[str, int]:
    """Apply the upload as it stands now against the school's pupils, once."""
    counts = pupils.apply(preview(upload))
    upload.applied_at = now_utc()
    upload.result = json.dumps(counts)
    record(upload.school, counts, upload.filename, user, full=upload.full)
    return counts


def record(school: School, counts: dict[str, int], filename: str, user: User | None,
           action: str = audit.PUPILS_IMPORTED, **detail) -> None:
    audit.record(action, school_id=school.id, user=user, file=filename, **counts, **detail)
