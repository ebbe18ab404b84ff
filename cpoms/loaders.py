"""Load a record for the current user or answer 404: a record they may not see
looks exactly like one that does not exist. Refusals are audited."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from . import audit, policy
from .extensions import db
from .models import Entry, Pupil


def entry_or_404(entry_id: int, options=()) -> Entry:
    entry = db.session.get(Entry, entry_id, options=options)
    if entry is None or not policy.can_view_entry(current_user, entry):
        audit.record(audit.DENIED, entry_id=entry_id, what="entry")
        abort(404)
    return entry


def chronology_pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not policy.can_view_chronology(current_user, pupil):
        audit.record(audit.DENIED, pupil_id=pupil_id, what="chronology")
        abort(404)
    return pupil


def loggable_pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not policy.can_log_for_pupil(current_user, pupil):
        abort(404)
    return pupil


def require(allowed: bool) -> None:
    """For pages that are not a record (the log form, the review queue): 403."""
    if not allowed:
        abort(403)
