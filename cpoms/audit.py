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
from datetime import datetime, timezone
from enum import StrEnum
from typing import Optional

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import append_only
from .extensions import db
from .models import UTCDateTime, utcnow
from .timefmt import now_utc

# The hash before the first audit event.
AUDIT_GENESIS = "0" * 64


class AuditEvent(db.Model):
    """One line of the audit log. Append-only (database triggers refuse UPDATE and
    DELETE) and hash-chained: `seq` numbers the chain without gaps, `hash` covers
    this row's content and `prev_hash`, so an altered, removed or inserted row
    breaks every link after it (`flask verify-audit`)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    entry_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    pupil_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    school_id: Mapped[Optional[int]] = mapped_column(Integer)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(300))
    detail: Mapped[Optional[str]] = mapped_column(Text)


class AuditChainHead(db.Model):
    """The end of the audit chain: one row, locked by every append so that
    concurrent requests chain one after another, and compared with the last
    event so that cutting rows off the end is noticed too."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


append_only.protect(AuditEvent.__table__)


@sa_event.listens_for(AuditChainHead.__table__, "after_create")
def _chain_genesis(target, connection, **kw):
    connection.execute(target.insert().values(id=1, seq=0, hash=AUDIT_GENESIS))


# Marks an action that shows some of a child's record to someone: it is listed on that
# pupil's "who has viewed this record" page.
RECORD = True


class Action(StrEnum):
    """Every action the audit log records, declared once, by area: the value stored in
    each event (never change one: the chain holds it), its label on the audit pages, and
    whether it is a view of a child's record."""

    def __new__(cls, value: str, label: str, views_a_record: bool = False):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.views_a_record = views_a_record
        return member

    # --- Entries: logging, reading and evolving them (log/, entries/, main/)
    CREATE_ENTRY = "create_entry", "Logged an entry"
    ADD_FOLLOW_UP = "add_follow_up", "Added a follow-up"
    VIEW_ENTRY = "view_entry", "Viewed an entry", RECORD
    VIEW_EXCERPT = "view_excerpt", "Saw an entry in a list", RECORD
    ALERTED_STAFF = "alerted_staff", "Alerted a colleague to an entry"
    RETRY_ALERTS = "retry_alerts", "Queued failed alerts again"
    ADD_CATEGORY = "add_category", "Added a later category to an entry"
    AMEND = "amend", "Amended an entry or follow-up"
    LINK_ENTRIES = "link_entries", "Linked two entries"
    # The recorder hears back (hearback/): what they logged, never its text, so not a view of a record.
    VIEW_LOGGED = "view_logged", "Viewed the list of what they logged"
    TOLD_RECORDER_REVIEWED = "told_recorder_reviewed", "Recorder emailed that their entry was reviewed"
    MESSAGE_RECORDER = "message_recorder", "Sent a message to the person who logged an entry"

    # --- A pupil's chronology and its exports (chronology/)
    VIEW_CHRONOLOGY = "view_chronology", "Viewed a chronology", RECORD
    MARK_KEY_EVENT = "mark_key_event", "Marked a follow-up as a key event"
    EXPORT_CHRONOLOGY_PDF = "export_chronology_pdf", "Exported a chronology as PDF", RECORD
    EXPORT_CHRONOLOGY_CSV = "export_chronology_csv", "Exported a chronology as CSV", RECORD

    # --- Review, reports, search, oversight, guidance and the audit log itself
    VIEW_QUEUE = "view_review_queue", "Viewed the review queue"
    VIEW_REPORTS = "view_reports", "Viewed reports"
    EXPORT_REPORT = "export_report", "Downloaded a report table"
    RECOUNT_REPORTS = "recount_reports", "Checked the reports' counts against the entries"
    SEARCH = "search", "Searched records"
    VIEW_OVERSIGHT = "view_oversight", "Read the governors' review"
    SAVE_GUIDANCE = "save_guidance", "Saved recording guidance"
    EDIT_CATEGORY_DESCRIPTION = "edit_category_description", "Changed a category's description"
    VIEW_AUDIT_LOG = "view_audit_log", "Viewed the audit log"
    VIEW_VIEWERS = "view_record_viewers", "Viewed who has seen a record"

    # --- Refusals (loaders.py)
    DENIED = "denied", "Refused access"

    # --- Sign-in, two-factor, passwords and sessions (auth/, account/). nosec B105: bandit reads
    # *PASSWORD* names as passwords; these are action names
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_IN_LOCKED = "sign_in_locked", "Sign-in refused: account locked"
    SIGN_OUT = "sign_out", "Signed out"
    SESSION_TIMED_OUT = "session_timed_out", "Session timed out"
    TWO_FACTOR_PASSED = "two_factor_passed", "Passed two-factor check"
    TWO_FACTOR_FAILED = "two_factor_failed", "Failed two-factor check"
    TWO_FACTOR_SETUP_SHOWN = "two_factor_setup_shown", "Was shown a new two-factor set-up key"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", "Set up two-factor sign-in"
    TWO_FACTOR_TURNED_OFF = "two_factor_turned_off", "Turned off two-factor sign-in"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Made new recovery codes"
    PASSWORD_CHANGED = "password_changed", "Changed password"  # nosec B105
    PASSWORD_RESET_REQUESTED = "password_reset_requested", "Asked for a password reset"  # nosec B105
    PASSWORD_RESET_MAIL_FAILED = "password_reset_mail_failed", "Password reset email failed"  # nosec B105
    PASSWORD_RESET_DONE = "password_reset_done", "Reset password by email link"  # nosec B105
    SIGN_IN_PASSWORD_OFF = "sign_in_password_off", "Sign-in refused: the trust signs in with its provider"  # nosec B105

    # --- Signing in with the trust's identity provider (sso/)
    SSO_SIGN_IN = "sso_sign_in", "Signed in with the trust's identity provider"
    SSO_REFUSED = "sso_refused", "Sign-in with the identity provider refused"
    SSO_LINKED = "sso_linked", "Account linked to an identity at the provider"
    SSO_PROVIDER_ADDED = "sso_provider_added", "Admin set up a sign-in provider"
    SSO_PROVIDER_CHANGED = "sso_provider_changed", "Admin changed a sign-in provider"
    SSO_PROVIDER_REMOVED = "sso_provider_removed", "Admin removed a sign-in provider"
    PASSWORD_SIGN_IN_SETTING_CHANGED = (  # nosec B105
        "password_sign_in_setting_changed",
        "Admin changed password sign-in or the break-glass admin",
    )

    # --- Administration: accounts, roles, categories, schools (admin/)
    ADMIN_FORCED_PASSWORD_RESET = "admin_forced_password_reset", "Admin forced a password reset"  # nosec B105
    ADMIN_RESET_TWO_FACTOR = "admin_reset_two_factor", "Admin reset two-factor sign-in"
    ADMIN_UNLOCKED_ACCOUNT = "admin_unlocked_account", "Admin unlocked an account"
    USER_CREATED = "user_created", "Admin created an account"
    USER_DEACTIVATED = "user_deactivated", "Admin deactivated an account"
    USER_REACTIVATED = "user_reactivated", "Admin reactivated an account"
    ROLE_ADDED = "role_added", "Admin gave a role"
    ROLE_REMOVED = "role_removed", "Admin removed a role"
    CATEGORY_ADDED = "category_added", "Admin added a category"
    CATEGORY_CHANGED = "category_changed", "Admin changed a category"
    CATEGORY_MOVED = "category_moved", "Admin reordered the categories"
    SCHOOL_ADDED = "school_added", "Admin added a school"
    SCHOOL_CHANGED = "school_changed", "Admin changed a school"

    # --- The MIS: imports, retention and its deletions, backups (mis/)
    PUPILS_IMPORTED = "pupils_imported", "Imported pupils from the MIS"
    STAFF_IMPORTED = "staff_imported", "Imported staff from the MIS"
    IMPORT_ALREADY_APPLIED = "import_already_applied", "Confirmed an import already applied"
    DATE_OF_BIRTH_FLAGGED = "date_of_birth_flagged", "Imported an earlier date of birth (flagged for the DSL)"
    DATE_OF_BIRTH_ACCEPTED = "date_of_birth_accepted", "Accepted an earlier date of birth"
    VIEW_RETENTION_REVIEW = "view_retention_review", "Viewed the retention review"
    RETENTION_DELETION_PROPOSED = "retention_deletion_proposed", "Proposed deleting a pupil's records"
    RETENTION_DELETION_CONFIRMED = "retention_deletion_confirmed", "Confirmed deleting a pupil's records"
    RETENTION_DELETION_WITHDRAWN = "retention_deletion_withdrawn", "Withdrew a proposal to delete a pupil's records"
    BACKED_UP = "backed_up", "Backed up the database"
    RESTORED = "restored_from_backup", "Restored the database from a backup"

    # --- Tasks and monitoring (tasks/, monitoring/)
    GIVE_TASK = "give_task", "Gave a task"
    COMPLETE_TASK = "complete_task", "Completed a task"
    QUEUE_TASK_REMINDERS = "queue_task_reminders", "Queued task reminders"
    VIEW_MONITORING = "view_monitoring", "Viewed a pupil's monitoring", RECORD
    START_MONITORING = "start_monitoring", "Put a pupil on the monitoring list"
    REVIEW_MONITORING = "review_monitoring", "Reviewed a pupil's monitoring"
    END_MONITORING = "end_monitoring", "Ended a pupil's monitoring"

    # --- Keeping a record from named staff (exclusions/)
    VIEW_RECORD_EXCLUSIONS = "view_record_exclusions", "Viewed who may not read a pupil's record", RECORD
    EXCLUDE_FROM_RECORD = "exclude_from_record", "Excluded a member of staff from a pupil's record"
    END_RECORD_EXCLUSION = "end_record_exclusion", "Ended an exclusion from a pupil's record"

    # --- Child-protection file transfers and subject-access exports (transfers/)
    VIEW_TRANSFERS = "view_transfers", "Viewed the transfer dashboard"
    VIEW_TRANSFER = "view_transfer", "Viewed a file transfer"
    START_TRANSFER = "start_transfer", "Started a child-protection file transfer"
    SEND_TRANSFER = "send_transfer", "Recorded a file transfer as sent"
    ACCEPT_TRANSFER = "accept_transfer", "Accepted a transferred file"
    DECLINE_TRANSFER = "decline_transfer", "Declined a transferred file"
    RECORD_TRANSFER_RECEIPT = "record_transfer_receipt", "Recorded receipt of a transferred file"
    EXPORT_TRANSFER_PACK = "export_transfer_pack", "Downloaded a transfer pack", RECORD
    EXPORT_SUBJECT_ACCESS = "export_subject_access", "Produced a subject-access export", RECORD
    TRANSFER_REMINDERS_QUEUED = "transfer_reminders_queued", "Queued reminders of overdue transfers"

    # --- Signed child-protection files received from outside the trust (packs/)
    CHECK_PACK = "check_pack", "Uploaded a child-protection file pack to check"
    REFUSE_PACK = "refuse_pack", "A child-protection file pack was refused"
    RECEIVE_PACK = "receive_pack", "Received a child-protection file from outside the trust"
    DOWNLOAD_RECEIVED_FILE = "download_received_file", "Downloaded a file of a received child-protection file", RECORD
    RECEIVED_FILE_DAMAGED = "received_file_damaged", "A received child-protection file failed its checksum"
    DISTRUST_KEY = "distrust_key", "Marked a signing key as not trusted"
    TRUST_KEY = "trust_key", "Trusted a signing key again"
    ROTATE_SIGNING_KEY = "rotate_signing_key", "Rotated the trust's pack signing key"

    # --- Attachments and the body map (attachments/, bodymap/)
    ADD_ATTACHMENT = "add_attachment", "Attached a file"
    DOWNLOAD_ATTACHMENT = "download_attachment", "Downloaded an attachment"
    PREVIEW_ATTACHMENT = "preview_attachment", "Viewed an attachment's preview"
    ATTACHMENT_DAMAGED = "attachment_damaged", "Refused a damaged attachment"
    ADD_BODY_MAP = "add_body_map", "Recorded a body map"

    # --- Key information and police notifications (keyinfo/)
    VIEW_KEY_INFORMATION = "view_key_information", "Viewed a pupil's key information and police notifications", RECORD
    RECORD_KEY_STATUS = "record_key_status", "Recorded a pupil's status (key information)"
    END_KEY_STATUS = "end_key_status", "Ended a pupil's status (key information)"
    ADD_KEY_FLAG = "add_key_flag", "Added a trust's own key information flag"
    RECORD_POLICE_NOTIFICATION = "record_police_notification", "Recorded a police notification"
    POLICE_CHECK_IN = "police_check_in", "Marked a key adult's check-in with a child done"
    QUEUE_CHECK_IN_REMINDERS = "queue_check_in_reminders", "Queued reminders of key adults' check-ins"

    # --- Concerns about adults (adults/): kept apart, see KEPT_APART
    RAISE_ADULT_CONCERN = "raise_adult_concern", "Raised a concern about an adult"
    VIEW_ADULT_CONCERNS = "view_adult_concerns", "Viewed the list of concerns about adults"
    VIEW_ADULT_CONCERN = "view_adult_concern", "Viewed a concern about an adult"
    ADD_ADULT_FOLLOW_UP = "add_adult_follow_up", "Recorded on a concern about an adult"
    SET_ADULT_CASE_MANAGERS = "set_adult_case_managers", "Decided who manages concerns about adults"
    VIEW_ADULT_RETENTION = "view_adult_retention", "Viewed the retention review of concerns about adults"
    DENIED_ADULT_CONCERN = "denied_adult_concern", "Was refused a concern about an adult"
    ADULT_CONCERN_DELETION_PROPOSED = "adult_concern_deletion_proposed", "Proposed deleting a concern about an adult"
    ADULT_CONCERN_DELETION_CONFIRMED = "adult_concern_deletion_confirmed", "Deleted a concern about an adult"
    ADULT_CONCERN_DELETION_WITHDRAWN = (
        "adult_concern_deletion_withdrawn",
        "Withdrew a proposal to delete a concern about an adult",
    )
    VIEW_ADULT_REPORT = "view_adult_report", "Viewed the termly counts of concerns about adults"
    VIEW_ADULT_REFERENCE = "view_adult_reference", "Listed substantiated allegations for a reference"


# Every area writes `audit.CREATE_ENTRY`: the members by name, at module level too.
globals().update(Action.__members__)

# Events about concerns about adults stay out of the school's audit log pages: an
# administrator may be the person a concern names (policy.audit_log_scope). The case
# manager reads a concern's own events on its page.
KEPT_APART = (
    Action.RAISE_ADULT_CONCERN.value,
    Action.VIEW_ADULT_CONCERNS.value,
    Action.VIEW_ADULT_CONCERN.value,
    Action.ADD_ADULT_FOLLOW_UP.value,
    Action.SET_ADULT_CASE_MANAGERS.value,
    Action.VIEW_ADULT_RETENTION.value,
    Action.ADULT_CONCERN_DELETION_PROPOSED.value,
    Action.ADULT_CONCERN_DELETION_CONFIRMED.value,
    Action.ADULT_CONCERN_DELETION_WITHDRAWN.value,
    Action.VIEW_ADULT_REPORT.value,
    Action.VIEW_ADULT_REFERENCE.value,
    # Even a refusal: "refused concern 7" would tell the person it names that it exists.
    Action.DENIED_ADULT_CONCERN.value,
)
VIEWS_OF_A_RECORD = tuple(action.value for action in Action if action.views_a_record)
LABELS = {action.value: action.label for action in Action}

_PENDING = "audit_pending"


def record(
    action: Action | str, *, entry=None, pupil=None, entry_id=None, pupil_id=None, school_id=None, user=None, **detail
) -> AuditEvent:
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        at=now_utc(),
        action=str(action),  # the stored value, a plain string
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
    content = [
        1,
        row.seq,
        at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        row.action,
        row.user_id,
        row.entry_id,
        row.pupil_id,
        row.school_id,
        row.ip,
        row.user_agent,
        row.detail,
        prev_hash,
    ]
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
        update(head).where(head.c.id == 1).values(seq=head.c.seq + len(pending)).returning(head.c.seq, head.c.hash)
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
    result = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
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
            return ChainCheck(
                count,
                row.seq,
                f"event #{row.seq} does not follow #{row.seq - 1}: an event before it was removed, inserted or altered",
            )
        if digest(row, prev) != row.hash:
            return ChainCheck(
                count,
                row.seq,
                f"event #{row.seq} (id {row.id}, {row.action}) was altered "
                "after it was written: its content does not match its hash",
            )
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    head = db.session.get(AuditChainHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        recorded = head.seq if head is not None else "nothing"
        return ChainCheck(
            count,
            count + 1,
            f"the chain ends at #{count} but its head records #{recorded}: "
            "events were removed from the end, or the head was altered",
        )
    return ChainCheck(count)


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
        record(Action.VIEW_EXCERPT, entry=entry, lists=names, **detail)
