"""Adding attachments: files first (synced to disk), then their rows, then the audit."""
from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..extensions import db
from ..models import Attachment, Entry, FollowUp, User
from . import storage
from .uploads import Upload


def attach(user: User, entry: Entry, uploads: list[Upload], follow_up: FollowUp | None = None) -> list[Attachment]:
    if not uploads:
        return []
    rows = [
        Attachment(entry_id=entry.id, follow_up_id=follow_up.id if follow_up else None, uploaded_by=user,
                   filename=u.filename, content_type=u.kind.content_type, size=u.size, sha256=u.sha256,
                   stored_name=storage.write(db.session, u.data))
        for u in uploads
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        audit.record(audit.ADD_ATTACHMENT, entry=entry, user=user, attachment=row.id,
                     follow_up=row.follow_up_id, sha256=row.sha256, size=row.size, type=row.content_type)
    if "attachments" in entry.__dict__:  # a page rendered from this entry shows them at once
        set_committed_value(entry, "attachments", [*entry.attachments, *rows])
    return rows
