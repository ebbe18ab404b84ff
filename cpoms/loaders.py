"""Load a record for the current user or answer 404: a record they may not see
looks exactly like one that does not exist. Refusals of a child's record are audited."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from . import audit, policy
from .extensions import db
from .models import Entry, Pupil


def _get_or_404(model, record_id: int, allowed, options=(), denied: dict | None = None):
    record = db.session.get(model, record_id, options=options)
    if record is None or not allowed(current_user, record):
        if denied is not None:
            audit.record(audit.DENIED, **denied)
        abort(404)
    return record


def entry_or_404(entry_id: int, options=()) -> Entry:
    return _get_or_404(Entry, entry_id, policy.can_view_entry, options,
                       denied={"entry_id": entry_id, "what": "entry"})


def chronology_pupil_or_404(pupil_id: int) -> Pupil:
    return _get_or_404(Pupil, pupil_id, policy.can_view_chronology,
                       denied={"pupil_id": pupil_id, "what": "chronology"})


def viewers_pupil_or_404(pupil_id: int) -> Pupil:
    return _get_or_404(Pupil, pupil_id, policy.can_see_record_viewers,
                       denied={"pupil_id": pupil_id, "what": "record viewers"})


def loggable_pupil_or_404(pupil_id: int) -> Pupil:
    return _get_or_404(Pupil, pupil_id, policy.can_log_for_pupil)


def require(allowed: bool) -> None:
    """For pages that are not a record (the log form, the review queue): 403."""
    if not allowed:
        abort(403)


def schools_or_403(school_ids: frozenset[int]) -> frozenset[int]:
    """For pages over whole schools (search, reports, reviews): none of them, 403."""
    require(bool(school_ids))
    return school_ids


def require_on(entry: Entry, allowed: bool, what: str) -> None:
    """A write on a record the user may read but not change: 403, audited."""
    if not allowed:
        audit.record(audit.DENIED, entry=entry, what=what)
        abort(403)


# --- monitoring (issue 4, item 10) ---------------------------------------------------

def monitoring_pupil_or_404(pupil_id: int) -> Pupil:
    return _get_or_404(Pupil, pupil_id, policy.can_manage_monitoring,
                       denied={"pupil_id": pupil_id, "what": "monitoring"})

# --- child-protection file transfers (cpoms/transfers/) ---
def transfer_or_404(transfer_id: int):
    from sqlalchemy.orm import selectinload

    from .models import Transfer

    return _get_or_404(Transfer, transfer_id, policy.can_view_transfer, options=[selectinload(Transfer.events)],
                       denied={"what": "transfer", "transfer": transfer_id})


def date_of_birth_pupil_or_404(pupil_id: int) -> Pupil:
    """A pupil whose changed date of birth a DSL may accept (mis/deletion_routes.py)."""
    return _get_or_404(Pupil, pupil_id, policy.sees_date_of_birth_change,
                       denied={"pupil_id": pupil_id, "what": "accept_date_of_birth"})
