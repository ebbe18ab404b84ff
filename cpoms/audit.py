"""The audit log: who viewed, created or was refused which record, and when.

Rows are only ever added, and each is chained to the one before by a SHA-256
hash, so that altering, removing or inserting a row afterwards is detectable
(`flask --app app verify-audit`).

record() does not write at once: events wait on the session until it commits,
and are chained and inserted in that commit. So a request that fails leaves no
trace of a write that did not happen, and the lock that orders the chain is
held only for the instant of the commit, not while a page renders.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import AUDIT_GENESIS, AuditChainHead, AuditEvent
from .timefmt import now_utc

VIEW_ENTRY = "view_entry"
VIEW_CHRONOLOGY = "view_chronology"
VIEW_QUEUE = "view_review_queue"
VIEW_VIEWERS = "view_record_viewers"
VIEW_AUDIT_LOG = "view_audit_log"
VIEW_REPORTS = "view_reports"
SEARCH = "search"
VIEW_OVERSIGHT = "view_oversight"
SAVE_GUIDANCE = "save_guidance"
EDIT_CATEGORY_DESCRIPTION = "edit_category_description"
EXPORT_REPORT = "export_report"
CREATE_ENTRY = "create_entry"
ADD_FOLLOW_UP = "add_follow_up"
DENIED = "denied"
RETRY_ALERTS = "retry_alerts"
MARK_KEY_EVENT = "mark_key_event"
EXPORT_CHRONOLOGY_PDF = "export_chronology_pdf"
EXPORT_CHRONOLOGY_CSV = "export_chronology_csv"
PUPILS_IMPORTED = "pupils_imported"
STAFF_IMPORTED = "staff_imported"
VIEW_RETENTION_REVIEW = "view_retention_review"
BACKED_UP = "backed_up"
RESTORED = "restored_from_backup"
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"

# Sign-in and sessions. (nosec B105: bandit reads *PASSWORD* names as passwords; these are action names.)
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

# Actions that show some of a pupil's record to someone: "who has viewed this pupil".
VIEWS_OF_A_RECORD = (VIEW_ENTRY, VIEW_CHRONOLOGY, EXPORT_CHRONOLOGY_PDF, EXPORT_CHRONOLOGY_CSV)

LABELS = {
    VIEW_ENTRY: "Viewed an entry",
    VIEW_CHRONOLOGY: "Viewed a chronology",
    VIEW_QUEUE: "Viewed the review queue",
    VIEW_VIEWERS: "Viewed who has seen a record",
    VIEW_AUDIT_LOG: "Viewed the audit log",
    VIEW_REPORTS: "Viewed reports",
    SEARCH: "Searched records",
    VIEW_OVERSIGHT: "Read the governors' review",
    SAVE_GUIDANCE: "Saved recording guidance",
    EDIT_CATEGORY_DESCRIPTION: "Changed a category's description",
    SIGN_IN_LOCKED: "Sign-in refused: account locked",
    TWO_FACTOR_PASSED: "Passed two-factor check",
    TWO_FACTOR_FAILED: "Failed two-factor check",
    TWO_FACTOR_ENROLLED: "Set up two-factor sign-in",
    TWO_FACTOR_TURNED_OFF: "Turned off two-factor sign-in",
    RECOVERY_CODES_REGENERATED: "Made new recovery codes",
    SESSION_TIMED_OUT: "Session timed out",
    PASSWORD_CHANGED: "Changed password",
    PASSWORD_RESET_REQUESTED: "Asked for a password reset",
    PASSWORD_RESET_MAIL_FAILED: "Password reset email failed",
    PASSWORD_RESET_DONE: "Reset password by email link",
    ADMIN_FORCED_PASSWORD_RESET: "Admin forced a password reset",
    ADMIN_RESET_TWO_FACTOR: "Admin reset two-factor sign-in",
    ADMIN_UNLOCKED_ACCOUNT: "Admin unlocked an account",
    EXPORT_REPORT: "Downloaded a report table",
    CREATE_ENTRY: "Logged an entry",
    ADD_FOLLOW_UP: "Added a follow-up",
    DENIED: "Refused access",
    RETRY_ALERTS: "Queued failed alerts again",
    MARK_KEY_EVENT: "Marked a follow-up as a key event",
    EXPORT_CHRONOLOGY_PDF: "Exported a chronology as PDF",
    EXPORT_CHRONOLOGY_CSV: "Exported a chronology as CSV",
    PUPILS_IMPORTED: "Imported pupils from the MIS",
    STAFF_IMPORTED: "Imported staff from the MIS",
    VIEW_RETENTION_REVIEW: "Viewed the retention review",
    BACKED_UP: "Backed up the database",
    RESTORED: "Restored the database from a backup",
    SIGN_IN: "Signed in",
    SIGN_IN_FAILED: "Failed sign-in",
    SIGN_OUT: "Signed out",
}

_PENDING = "audit_pending"


def record(action: str, *, entry=None, pupil=None, entry_id=None, pupil_id=None,
           school_id=None, user=None, **detail) -> AuditEvent:
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        at=now_utc(),
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
        event.ip = (request.remote_addr or "")[:64] or None
        event.user_agent = (request.user_agent.string or "")[:300]
    db.session.info.setdefault(_PENDING, []).append(event)
    return event


def label(action: str) -> str:
    return LABELS.get(action, action.replace("_", " ").capitalize())


def detail_value(detail: str | None, key: str) -> str:
    """One value from an event's JSON detail, for display."""
    try:
        return str(json.loads(detail or "{}").get(key, ""))
    except (ValueError, AttributeError):
        return ""


# --- the chain ------------------------------------------------------------------------

def digest(row, prev_hash: str) -> str:
    """The hash of one event: its content and the previous event's hash."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
    content = [1, row.seq, at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), row.action,
               row.user_id, row.entry_id, row.pupil_id, row.school_id, row.ip, row.user_agent,
               row.detail, prev_hash]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


@sa_event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    head = AuditChainHead.__table__
    # Moving the head first takes its row lock (PostgreSQL) or the write lock
    # (SQLite): a concurrent commit waits here, then chains after this one.
    last_seq, prev = session.execute(
        update(head).where(head.c.id == 1).values(seq=head.c.seq + len(pending))
        .returning(head.c.seq, head.c.hash)
    ).one()
    seq = last_seq - len(pending)
    for event in pending:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = digest(event, prev)
    session.execute(update(head).where(head.c.id == 1).values(hash=prev))
    # One executemany for the lot, however many a request wrote (a list page audits
    # each row it shows): the ORM would insert them one by one to read back ids
    # nobody needs.
    columns = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]
    session.execute(AuditEvent.__table__.insert(), [{c: getattr(e, c) for c in columns} for e in pending])


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class ChainCheck:
    events: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_chain(batch: int = 5000) -> ChainCheck:
    """Walk the whole chain in order; stop at the first row that does not hold."""
    result = db.session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )
    try:
        return _walk(result.scalars())
    finally:
        result.close()  # stopping early must not leave a server-side cursor open


def _walk(rows) -> ChainCheck:
    expected_seq, prev, count = 1, AUDIT_GENESIS, 0
    for row in rows:
        if row.seq != expected_seq:
            return ChainCheck(count, expected_seq, f"event #{expected_seq} is missing (the next is #{row.seq})")
        if row.prev_hash != prev:
            return ChainCheck(count, row.seq, f"event #{row.seq} does not follow #{row.seq - 1}: "
                              "an event before it was removed, inserted or altered")
        if digest(row, prev) != row.hash:
            return ChainCheck(count, row.seq, f"event #{row.seq} (id {row.id}, {row.action}) was altered "
                              "after it was written: its content does not match its hash")
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    head = db.session.get(AuditChainHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        recorded = head.seq if head is not None else "nothing"
        return ChainCheck(count, count + 1, f"the chain ends at #{count} but its head records #{recorded}: "
                          "events were removed from the end, or the head was altered")
    return ChainCheck(count)


# --- concerns that evolve: later categories, amendments, linked entries ------------
ADD_CATEGORY = "add_category"
AMEND = "amend"
LINK_ENTRIES = "link_entries"
LABELS.update({
    ADD_CATEGORY: "Added a later category to an entry",
    AMEND: "Amended an entry or follow-up",
    LINK_ENTRIES: "Linked two entries",
})


# --- pupils' roles and staff alerted when logging ------------------------------------------
ALERTED_STAFF = "alerted_staff"
LABELS[ALERTED_STAFF] = "Alerted a colleague to an entry"

# --- tasks, information sharing and monitoring (issue 4, items 5, 6 and 10) ---
GIVE_TASK = "give_task"
COMPLETE_TASK = "complete_task"
QUEUE_TASK_REMINDERS = "queue_task_reminders"
VIEW_MONITORING = "view_monitoring"
START_MONITORING = "start_monitoring"
REVIEW_MONITORING = "review_monitoring"
END_MONITORING = "end_monitoring"
LABELS.update({
    GIVE_TASK: "Gave a task",
    COMPLETE_TASK: "Completed a task",
    QUEUE_TASK_REMINDERS: "Queued task reminders",
    VIEW_MONITORING: "Viewed a pupil's monitoring",
    START_MONITORING: "Put a pupil on the monitoring list",
    REVIEW_MONITORING: "Reviewed a pupil's monitoring",
    END_MONITORING: "Ended a pupil's monitoring",
})
# Seeing a pupil's monitoring is seeing part of their record.
VIEWS_OF_A_RECORD = (*VIEWS_OF_A_RECORD, VIEW_MONITORING)

# --- child-protection file transfers and subject-access exports (cpoms/transfers/) ---
VIEW_TRANSFERS = "view_transfers"
VIEW_TRANSFER = "view_transfer"
START_TRANSFER = "start_transfer"
SEND_TRANSFER = "send_transfer"
ACCEPT_TRANSFER = "accept_transfer"
DECLINE_TRANSFER = "decline_transfer"
RECORD_TRANSFER_RECEIPT = "record_transfer_receipt"
EXPORT_TRANSFER_PACK = "export_transfer_pack"
EXPORT_SUBJECT_ACCESS = "export_subject_access"
TRANSFER_REMINDERS_QUEUED = "transfer_reminders_queued"
LABELS.update({
    VIEW_TRANSFERS: "Viewed the transfer dashboard",
    VIEW_TRANSFER: "Viewed a file transfer",
    START_TRANSFER: "Started a child-protection file transfer",
    SEND_TRANSFER: "Recorded a file transfer as sent",
    ACCEPT_TRANSFER: "Accepted a transferred file",
    DECLINE_TRANSFER: "Declined a transferred file",
    RECORD_TRANSFER_RECEIPT: "Recorded receipt of a transferred file",
    EXPORT_TRANSFER_PACK: "Downloaded a transfer pack",
    EXPORT_SUBJECT_ACCESS: "Produced a subject-access export",
    TRANSFER_REMINDERS_QUEUED: "Queued reminders of overdue transfers",
})
# A transfer pack and a subject-access export each hold a child's record.
VIEWS_OF_A_RECORD = VIEWS_OF_A_RECORD + (EXPORT_TRANSFER_PACK, EXPORT_SUBJECT_ACCESS)

# --- attachments and the body map (issue 4, items 7 and 8) ---
ADD_ATTACHMENT = "add_attachment"
DOWNLOAD_ATTACHMENT = "download_attachment"
PREVIEW_ATTACHMENT = "preview_attachment"
ATTACHMENT_DAMAGED = "attachment_damaged"
ADD_BODY_MAP = "add_body_map"
LABELS.update({
    ADD_ATTACHMENT: "Attached a file",
    DOWNLOAD_ATTACHMENT: "Downloaded an attachment",
    PREVIEW_ATTACHMENT: "Viewed an attachment's preview",
    ATTACHMENT_DAMAGED: "Refused a damaged attachment",
    ADD_BODY_MAP: "Recorded a body map",
})


# --- administration: accounts, roles, categories, schools, deletion after retention review ---
USER_CREATED = "user_created"
USER_DEACTIVATED = "user_deactivated"
USER_REACTIVATED = "user_reactivated"
ROLE_ADDED = "role_added"
ROLE_REMOVED = "role_removed"
CATEGORY_ADDED = "category_added"
CATEGORY_CHANGED = "category_changed"
CATEGORY_MOVED = "category_moved"
SCHOOL_ADDED = "school_added"
SCHOOL_CHANGED = "school_changed"
RETENTION_DELETION_PROPOSED = "retention_deletion_proposed"
RETENTION_DELETION_CONFIRMED = "retention_deletion_confirmed"
RETENTION_DELETION_WITHDRAWN = "retention_deletion_withdrawn"
IMPORT_ALREADY_APPLIED = "import_already_applied"
DATE_OF_BIRTH_FLAGGED = "date_of_birth_flagged"
DATE_OF_BIRTH_ACCEPTED = "date_of_birth_accepted"
LABELS.update({
    USER_CREATED: "Admin created an account",
    USER_DEACTIVATED: "Admin deactivated an account",
    USER_REACTIVATED: "Admin reactivated an account",
    ROLE_ADDED: "Admin gave a role",
    ROLE_REMOVED: "Admin removed a role",
    CATEGORY_ADDED: "Admin added a category",
    CATEGORY_CHANGED: "Admin changed a category",
    CATEGORY_MOVED: "Admin reordered the categories",
    SCHOOL_ADDED: "Admin added a school",
    SCHOOL_CHANGED: "Admin changed a school",
    RETENTION_DELETION_PROPOSED: "Proposed deleting a pupil's records",
    RETENTION_DELETION_CONFIRMED: "Confirmed deleting a pupil's records",
    RETENTION_DELETION_WITHDRAWN: "Withdrew a proposal to delete a pupil's records",
    IMPORT_ALREADY_APPLIED: "Confirmed an import already applied",
    DATE_OF_BIRTH_FLAGGED: "Imported an earlier date of birth (flagged for the DSL)",
    DATE_OF_BIRTH_ACCEPTED: "Accepted an earlier date of birth",
})

# --- seeing entries in a list, and setting up two-factor sign-in ---
VIEW_EXCERPT = "view_excerpt"
TWO_FACTOR_SETUP_SHOWN = "two_factor_setup_shown"
LABELS.update({
    VIEW_EXCERPT: "Saw an entry in a list",
    TWO_FACTOR_SETUP_SHOWN: "Was shown a new two-factor set-up key",
})
# A list that shows an entry's pupils and the start of its text (the home page's
# latest entries, shared entries and tasks) is a view of the record too.
VIEWS_OF_A_RECORD = (*VIEWS_OF_A_RECORD, VIEW_EXCERPT)


def record_excerpts(entries_by_list: dict[str, list], **detail) -> None:
    """One VIEW_EXCERPT event per entry shown, naming the lists it was in, so each
    appears on its pupils' "who has seen this record" page. They join the chain in
    the request's one commit, as one multi-row INSERT however many there are."""
    lists: dict[int, tuple] = {}
    for name, entries in entries_by_list.items():
        for entry in entries:
            seen = lists.setdefault(entry.id, (entry, []))
            seen[1].append(name)
    for entry, names in lists.values():
        record(VIEW_EXCERPT, entry=entry, lists=names, **detail)
