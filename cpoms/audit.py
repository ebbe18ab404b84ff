"""The audit log: who viewed, created or was refused which record, and when.

Rows are only ever added. They join the request's transaction, so a view that
fails leaves no trace of a write that did not happen.
"""
from __future__ import annotations

import json

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent

VIEW_ENTRY = "view_entry"
VIEW_CHRONOLOGY = "view_chronology"
VIEW_QUEUE = "view_review_queue"
CREATE_ENTRY = "create_entry"
ADD_FOLLOW_UP = "add_follow_up"
DENIED = "denied"
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"


def record(action: str, *, entry=None, pupil=None, entry_id=None, pupil_id=None,
           school_id=None, user=None, **detail) -> AuditEvent:
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        entry_id=entry.id if entry is not None else entry_id,
        pupil_id=pupil.id if pupil is not None else pupil_id,
        school_id=school_id
        or (entry.school_id if entry is not None else None)
        or (pupil.school_id if pupil is not None else None),
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
    )
    if has_request_context():
        event.ip = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:300]
    db.session.add(event)
    return event


# --- sign-in and sessions (sign-in security) ----------------------------------
# (nosec B105: bandit reads *PASSWORD* names as passwords; these are action names.)
SIGN_IN_LOCKED = "sign_in_locked"
TWO_FACTOR_PASSED = "two_factor_passed"
TWO_FACTOR_FAILED = "two_factor_failed"
TWO_FACTOR_ENROLLED = "two_factor_enrolled"
TWO_FACTOR_TURNED_OFF = "two_factor_turned_off"
RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
SESSION_TIMED_OUT = "session_timed_out"
PASSWORD_CHANGED = "password_changed"  # nosec B105
PASSWORD_RESET_REQUESTED = "password_reset_requested"  # nosec B105
PASSWORD_RESET_MAIL_FAILED = "password_reset_mail_failed"  # nosec B105
PASSWORD_RESET_DONE = "password_reset_done"  # nosec B105
ADMIN_FORCED_PASSWORD_RESET = "admin_forced_password_reset"  # nosec B105
ADMIN_RESET_TWO_FACTOR = "admin_reset_two_factor"
ADMIN_UNLOCKED_ACCOUNT = "admin_unlocked_account"
