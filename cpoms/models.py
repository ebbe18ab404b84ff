"""The records. Entries and follow-ups are facts: the app inserts them and never
updates or deletes them. What changes over time (open/closed, reviewed) lives in
EntryState, a projection of the follow-ups kept beside them for fast queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import append_only
from .common import due_words, size_label, uk_today
from .extensions import db

# The hash before the first audit event.
AUDIT_GENESIS = "0" * 64


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Role:
    STAFF = "staff"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    SLT = "slt"
    GOVERNOR = "governor"
    TRUST_REP = "trust_rep"
    ADMIN = "admin"
    # Case managers of concerns about adults (cpoms/adults/): the headteacher, and the
    # chair of governors for a concern about the headteacher.
    HEADTEACHER = "headteacher"
    CHAIR_OF_GOVERNORS = "chair_of_governors"

    LABELS = {
        STAFF: "Staff",
        DSL: "Designated safeguarding lead",
        DEPUTY_DSL: "Deputy DSL",
        SLT: "Senior leadership",
        GOVERNOR: "Governor",
        TRUST_REP: "Trust representative",
        ADMIN: "Administrator",
        HEADTEACHER: "Headteacher",
        CHAIR_OF_GOVERNORS: "Chair of governors",
    }
    ALL = tuple(LABELS)
    TRUST_WIDE = frozenset({TRUST_REP})


class Source:
    """How a concern came to the school's attention."""

    LABELS = {
        "staff_observation": "Staff observation",
        "pupil_disclosure": "Pupil disclosure",
        "parent_carer": "Parent or carer",
        "another_pupil": "Another pupil",
        "external_agency": "External agency",
        "other": "Other",
    }


class Kind:
    """Kinds of follow-up. The last three record changes of state."""

    ACTION = "action"
    RISK = "risk_assessment"
    DECISION = "decision"
    AGENCY = "agency"
    OUTCOME = "outcome"
    NOTE = "note"
    REVIEWED = "reviewed"
    CLOSED = "closed"
    REOPENED = "reopened"
    # Tasks, information sharing (issue 4): see the block at the end of this module.
    TASK = "task"
    INFO_SHARING = "information_sharing"

    LABELS = {
        ACTION: "Action taken",
        RISK: "Assessment of risk",
        DECISION: "Decision",
        AGENCY: "Agency involved",
        OUTCOME: "Outcome",
        NOTE: "Note",
        REVIEWED: "Reviewed",
        CLOSED: "Closed",
        REOPENED: "Reopened",
        TASK: "Task for a member of staff",
        INFO_SHARING: "Information shared",
    }
    WRITABLE = (ACTION, RISK, DECISION, AGENCY, OUTCOME, NOTE)
    RISK_LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}


class Trust(db.Model):
    __tablename__ = "trusts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    schools: Mapped[list[School]] = relationship(back_populates="trust", order_by="School.name")


class School(db.Model):
    __tablename__ = "schools"
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    trust: Mapped[Trust] = relationship(back_populates="schools")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in: a secret with no enrolled_at is an enrolment in progress.
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    totp_enrolled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[Optional[int]] = mapped_column(Integer)  # refuses a code used before
    # On the row, not in one server's memory, so a lock holds across app servers.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Loaded on first use: only the signed-in user's roles are ever needed.
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="RoleAssignment.user_id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to inactive users
        return self.active

    # Flask-Login's alternative token: the cookie holds the server-side session's
    # token, never the user id, so ending the session row ends the cookie too.
    session_token = None
    session_row = None

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def two_factor_enrolled(self) -> bool:
        return self.totp_enrolled_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def make_password_unusable(self) -> None:
        self.password_hash = UNUSABLE_PASSWORD  # no password hashes to this


# A marker no password hash can equal (nosec: not a password).
UNUSABLE_PASSWORD = "!"  # nosec B105


class UserSession(db.Model):
    """A signed-in session on the server: the browser holds only its token."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    two_factor_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(String(32))
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(300))
    # The two-factor set-up key this session was shown and has not yet confirmed:
    # only this session can confirm it, and only until it does.
    totp_setup_secret: Mapped[Optional[str]] = mapped_column(String(64))
    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One-time codes for when the authenticator is lost; only their hashes are kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the emailed link's token is made from, with SECRET_KEY (cpoms/auth/reset.py):
    # the outbox worker can write the link, and the table alone cannot. None: a link
    # mailed directly, before reset mail went through the outbox.
    mail_key: Mapped[Optional[str]] = mapped_column(String(64))
    user: Mapped[User] = relationship()


class Draft(db.Model):
    """What someone was typing when their session ended, kept for them to carry on."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)  # the posted form, as JSON
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoleAssignment(db.Model):
    """One role of one person: at a school, or across a trust for trust-wide roles."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "school_id", "trust_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"), index=True)
    trust_id: Mapped[Optional[int]] = mapped_column(ForeignKey("trusts.id"))
    # Who gave it and when (admin/operations.add_role): the two-person deletion asks
    # whether a confirmer held their role before the proposal, given by someone else.
    # None: by the operator at the server, the demo, or before this was recorded.
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    school: Mapped[Optional[School]] = relationship(lazy="joined")


class Pupil(db.Model):
    __tablename__ = "pupils"
    __table_args__ = (Index("ix_pupils_school_surname", "school_id", "last_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    upn: Mapped[str] = mapped_column(String(13), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[Optional[str]] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    # The earlier-known date of birth the retention period is still counted from, while
    # the MIS gives one that would end it sooner and no DSL has accepted that yet
    # (mis/pupils.py); None: counted from date_of_birth.
    retention_date_of_birth: Mapped[Optional[date]] = mapped_column(Date)
    # When the MIS first gave that earlier date, and through whose import (None: the command line).
    retention_flagged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    retention_flagged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    year_group: Mapped[int] = mapped_column(Integer)  # 0 is Reception
    class_name: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # From the MIS import (cpoms/mis/): a leaver keeps their records, marked with the day they left.
    left_on: Mapped[Optional[date]] = mapped_column(Date)
    gender: Mapped[Optional[str]] = mapped_column(String(20))
    # The MIS's family or contact id: pupils who share one are siblings.
    family_id: Mapped[Optional[str]] = mapped_column(String(50), index=True)
    school: Mapped[School] = relationship(lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}.{self.last_name[:1]}.".upper()

    @property
    def year_label(self) -> str:
        return {-1: "Nursery", 0: "Reception"}.get(self.year_group, f"Year {self.year_group}")


class PupilImport(db.Model):
    """An uploaded MIS file, parsed and waiting for its admin to confirm the preview:
    kept here so the confirmation applies exactly what was previewed, without a second upload."""

    __tablename__ = "pupil_imports"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the preview's address
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    # Every pupil on roll is in the file: those missing from it have left.
    full: Mapped[bool] = mapped_column(Boolean, default=True)
    rows: Mapped[str] = mapped_column(Text)  # the parsed rows, as JSON
    applied_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(Text)  # what applying did, as JSON
    # What the file lists: "pupils" or "staff" (cpoms/mis/imports.py KINDS).
    kind: Mapped[str] = mapped_column(String(16), default="pupils", server_default="pupils")
    school: Mapped[School] = relationship(lazy="joined")


class Category(db.Model):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    alerts_safeguarding_team: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Safeguarding category: every entry of it alerts the whole safeguarding team,
    # whatever its name becomes; nobody switches that off (admin/categories.py).
    always_alerts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    order: Mapped[int] = mapped_column(Integer, default=0)


class Entry(db.Model):
    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_school_created", "school_id", "created_at"),
        # Covers the reports' scan (school, when logged, category) without reading the narratives.
        Index("ix_entries_report", "school_id", "created_at", "category_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    narrative: Mapped[str] = mapped_column(Text)
    child_words: Mapped[Optional[str]] = mapped_column(Text)
    told_dsl_in_person: Mapped[bool] = mapped_column(Boolean, default=False)

    school: Mapped[School] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")
    state: Mapped[EntryState] = relationship(back_populates="entry", lazy="joined")
    entry_pupils: Mapped[list[EntryPupil]] = relationship(
        back_populates="entry", lazy="selectin", order_by="EntryPupil.id"
    )
    # Loaded only where asked for (selectinload), so a list of entries never
    # drags every follow-up along or issues a query per row.
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="entry",
        lazy="raise_on_sql",
        order_by="(FollowUp.occurred_at, FollowUp.id)",
    )

    alerts: Mapped[list[Alert]] = relationship(back_populates="entry")

    @property
    def pupils(self) -> list[Pupil]:
        return [link.pupil for link in self.entry_pupils]

    def role_of(self, pupil_id: int) -> str:
        """What this entry says about one of its pupils, as shown to people."""
        role = next((link.role for link in self.entry_pupils if link.pupil_id == pupil_id), PupilRole.DEFAULT)
        return PupilRole.LABELS.get(role, role)


class EntryPupil(db.Model):
    __tablename__ = "entry_pupils"
    __table_args__ = (UniqueConstraint("entry_id", "pupil_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    # The pupil's part in this concern (PupilRole); entries logged before roles were subjects.
    role: Mapped[str] = mapped_column(String(32), default="subject", server_default="subject")
    entry: Mapped[Entry] = relationship(back_populates="entry_pupils")
    pupil: Mapped[Pupil] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return PupilRole.LABELS.get(self.role, self.role)


class EntryState(db.Model):
    """Where an entry stands now, derived from its follow-ups; the only mutable row."""

    __tablename__ = "entry_states"
    __table_args__ = (
        Index("ix_entry_states_queue", "status", "reviewed_at"),
        # The review queue and its counts, per school, without touching entries.
        Index("ix_entry_states_school_status", "school_id", "status", "entry_id"),
        Index("ix_entry_states_school_reviewed", "school_id", "reviewed_at"),
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), primary_key=True)
    # The entry's school, copied (it never changes) so queues filter on this table alone.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    first_action_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entry: Mapped[Entry] = relationship(back_populates="state")


class FollowUp(db.Model):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_entry_occurred", "entry_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[Optional[str]] = mapped_column(Text)
    risk_level: Mapped[Optional[str]] = mapped_column(String(16))
    agency_name: Mapped[Optional[str]] = mapped_column(String(200))
    agency_reference: Mapped[Optional[str]] = mapped_column(String(100))
    # Information sharing (Kind.INFO_SHARING): with whom, what, why, on what basis, consent.
    shared_with: Mapped[Optional[str]] = mapped_column(String(200))
    shared_what: Mapped[Optional[str]] = mapped_column(Text)
    share_purpose: Mapped[Optional[str]] = mapped_column(Text)
    share_basis: Mapped[Optional[str]] = mapped_column(Text)
    consent_sought: Mapped[Optional[bool]] = mapped_column(Boolean)
    consent_note: Mapped[Optional[str]] = mapped_column(Text)  # why consent was not sought
    entry: Mapped[Entry] = relationship(back_populates="follow_ups")
    author: Mapped[User] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return Kind.LABELS.get(self.kind, self.kind)


class KeyEvent(db.Model):
    """A follow-up the safeguarding team marked as a key event in the child's
    chronology. Marks are facts like the rest: never removed, at most one each."""

    __tablename__ = "key_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), unique=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alert(db.Model):
    """The outbox: written with the entry, sent after the commit, retried until sent."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_due", "status", "next_attempt_at"),
        Index("ix_alerts_school_status", "school_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # An alert is about an entry, or (cpoms/transfers/) about a child-protection file transfer.
    entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("entries.id"), index=True)
    transfer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("transfers.id"), index=True)
    # Or it is the email with a password reset link (cpoms/auth/reset.py).
    password_reset_id: Mapped[Optional[int]] = mapped_column(ForeignKey("password_reset_tokens.id"))
    # The entry's school, copied: "alerts not delivered at this school" is a count on this table.
    # None for mail about an account rather than a school's records (a password reset link).
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(32), default="safeguarding_team")
    # The category added later that alerted the team; none: the entry's own category.
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The address the person whose action queued it reached the app at ("https://host"): the
    # email's links when APP_BASE_URL is not set, for the worker sends with no request.
    base_url: Mapped[Optional[str]] = mapped_column(String(200))
    entry: Mapped[Optional[Entry]] = relationship(back_populates="alerts")
    transfer: Mapped[Optional[Transfer]] = relationship()
    password_reset: Mapped[Optional[PasswordResetToken]] = relationship()
    recipient: Mapped[User] = relationship()
    category: Mapped[Optional[Category]] = relationship()


class GuidanceVersion(db.Model):
    """One saved version of a recording-guidance page, of a school or of its trust.
    Versions are only ever added: the newest is the page, the rest its history."""

    __tablename__ = "guidance_versions"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (trust_id IS NULL)", name="one_owner"),
        Index("ix_guidance_versions_school", "school_id", "created_at"),
        Index("ix_guidance_versions_trust", "trust_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"))
    trust_id: Mapped[Optional[int]] = mapped_column(ForeignKey("trusts.id"))
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    school: Mapped[Optional[School]] = relationship(lazy="joined")
    trust: Mapped[Optional[Trust]] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")

    @property
    def owner_name(self) -> str:
        return self.school.name if self.school is not None else self.trust.name


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
append_only.protect_allowing_retention(KeyEvent.__table__)


# --- child-protection file transfers and subject-access exports (cpoms/transfers/) ---


class TransferMethod:
    LABELS = {
        "secure_email": "Secure email",
        "in_person": "By hand, in person",
        "courier": "Courier",
        "cp_system": "Electronic child-protection system",
        "other": "Other",
    }


class TransferStatus:
    """Where a transfer stands: the latest of its events."""

    STARTED, SENT, ACCEPTED, DECLINED, RECEIVED = "started", "sent", "accepted", "declined", "received"
    LABELS = {
        STARTED: "Started, not sent",
        SENT: "Sent, awaiting receipt",
        ACCEPTED: "Accepted by the receiving school",
        DECLINED: "Declined by the receiving school",
        RECEIVED: "Receipt confirmed",
    }
    DONE = frozenset({ACCEPTED, RECEIVED})


class Transfer(db.Model):
    """A pupil's child-protection file going to their next school. The details are
    written once when the transfer starts; `status` and its times are the one
    writable projection of the append-only TransferEvent rows."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_from_status", "from_school_id", "status"),
        Index("ix_transfers_to_status", "to_school_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # A school of the trust; or None, and the outside school named below.
    to_school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"))
    destination_name: Mapped[Optional[str]] = mapped_column(String(200))
    contact_name: Mapped[Optional[str]] = mapped_column(String(200))
    contact_email: Mapped[Optional[str]] = mapped_column(String(254))
    method: Mapped[str] = mapped_column(String(32))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="started")
    sent_on: Mapped[Optional[date]] = mapped_column(Date)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # accepted, declined or receipt recorded
    pupil: Mapped[Pupil] = relationship(lazy="joined")
    from_school: Mapped[School] = relationship(foreign_keys=[from_school_id], lazy="joined")
    to_school: Mapped[Optional[School]] = relationship(foreign_keys=[to_school_id], lazy="joined")
    started_by: Mapped[User] = relationship(lazy="joined")
    events: Mapped[list[TransferEvent]] = relationship(
        back_populates="transfer", lazy="raise_on_sql", order_by="TransferEvent.id"
    )

    @property
    def in_trust(self) -> bool:
        return self.to_school_id is not None

    @property
    def destination(self) -> str:
        return self.to_school.name if self.to_school is not None else (self.destination_name or "")

    @property
    def status_label(self) -> str:
        return TransferStatus.LABELS.get(self.status, self.status)

    @property
    def method_label(self) -> str:
        return TransferMethod.LABELS.get(self.method, self.method)


class TransferEvent(db.Model):
    """One step of a transfer (started, sent, accepted, declined, receipt recorded): facts, never changed."""

    __tablename__ = "transfer_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    on_date: Mapped[Optional[date]] = mapped_column(Date)  # the day it was sent, or the receipt's day
    confirmed_by: Mapped[Optional[str]] = mapped_column(String(200))  # who at the outside school confirmed
    note: Mapped[Optional[str]] = mapped_column(Text)  # a receipt's note, or why a school declined
    transfer: Mapped[Transfer] = relationship(back_populates="events")
    by: Mapped[User] = relationship(lazy="joined")


class TransferReminder(db.Model):
    """That the sending team was reminded of an overdue transfer on a day: at most once a day."""

    __tablename__ = "transfer_reminders"
    __table_args__ = (UniqueConstraint("transfer_id", "on_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    on_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubjectAccessExport(db.Model):
    """A subject-access export produced for one pupil: who, when, and what it held."""

    __tablename__ = "subject_access_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    produced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entries: Mapped[int] = mapped_column(Integer)
    follow_ups: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the zip handed over
    produced_by: Mapped[User] = relationship(lazy="joined")


append_only.protect_allowing_retention(TransferEvent.__table__)
append_only.protect_allowing_retention(TransferReminder.__table__)
append_only.protect_allowing_retention(SubjectAccessExport.__table__)


@event.listens_for(AuditChainHead.__table__, "after_create")
def _chain_genesis(target, connection, **kw):
    connection.execute(target.insert().values(id=1, seq=0, hash=AUDIT_GENESIS))


# --- concerns that evolve: later categories, amendments, linked entries ------------


class EntryCategory(db.Model):
    """A category the safeguarding team added after the entry was saved ("now also:
    safeguarding"). The entry's own category stays what it was recorded as."""

    __tablename__ = "entry_categories"
    __table_args__ = (UniqueConstraint("entry_id", "category_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="later_categories")
    category: Mapped[Category] = relationship(lazy="joined")
    added_by: Mapped[User] = relationship(lazy="joined")


class Amendment(db.Model):
    """A correction appended to an entry's narrative (no follow-up) or to one of its
    follow-ups. The original text is never changed: the amendment is shown beneath it."""

    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_entry", "entry_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_ups.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="amendments")
    author: Mapped[User] = relationship(lazy="joined")


class EntryLink(db.Model):
    """Two related entries, linked both ways. Stored once, lower id first, so the
    database itself refuses a self-link and the same pair linked twice."""

    __tablename__ = "entry_links"
    __table_args__ = (
        UniqueConstraint("entry_id", "other_entry_id"),
        CheckConstraint("entry_id < other_entry_id", name="lower_id_first"),
        Index("ix_entry_links_other", "other_entry_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    other_entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    linked_by: Mapped[User] = relationship(lazy="joined")


# Loaded only where asked for (selectinload), like follow-ups.
Entry.later_categories = relationship(
    EntryCategory, back_populates="entry", lazy="raise_on_sql", order_by=(EntryCategory.added_at, EntryCategory.id)
)
Entry.amendments = relationship(
    Amendment, back_populates="entry", lazy="raise_on_sql", order_by=(Amendment.created_at, Amendment.id)
)


def in_category(category_id: int):
    """A WHERE clause on Entry: recorded as this category, or given it later."""
    return or_(
        Entry.category_id == category_id,
        Entry.id.in_(select(EntryCategory.entry_id).where(EntryCategory.category_id == category_id)),
    )


for _table in (Entry.__table__, FollowUp.__table__, EntryCategory.__table__, Amendment.__table__, EntryLink.__table__):
    append_only.protect_allowing_retention(_table)

# --- pupils' roles and staff alerted when logging -------------------------------------


class PupilRole:
    """The part a pupil plays in an entry: each pupil's chronology shows theirs."""

    DEFAULT = "subject"
    LABELS = {
        "subject": "Subject of concern",
        "alleged_victim": "Alleged victim",
        "alleged_perpetrator": "Alleged perpetrator",
        "witness": "Witness",
        "other": "Other",
    }


class EntryShare(db.Model):
    """A member of staff the recorder chose to alert when logging: they may read this
    entry (not the pupil's chronology) from then on. Append-only, like the entry; how
    the email fared is on its Alert row."""

    __tablename__ = "entry_shares"
    __table_args__ = (
        UniqueConstraint("entry_id", "user_id"),
        Index("ix_entry_shares_user", "user_id", "entry_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    entry: Mapped[Entry] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    shared_by: Mapped[User] = relationship(foreign_keys=[shared_by_id], lazy="joined")
    alert: Mapped[Alert] = relationship(lazy="joined")


append_only.protect_allowing_retention(EntryShare.__table__)

# --- tasks and monitoring (issue 4, items 6 and 10) --------------------------------


class Task(db.Model):
    """An action a follow-up (Kind.TASK) gives to a member of staff, due on a day.
    Append-only: it is done when a TaskCompletion row names it."""

    __tablename__ = "tasks"
    __table_args__ = (
        # The reports' overdue count per school, and "my tasks" by due date.
        Index("ix_tasks_school_due", "school_id", "due_on"),
        Index("ix_tasks_assignee_due", "assignee_id", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    # The entry's school, copied (it never changes) so counts per school read this table alone.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assignee: Mapped[User] = relationship(lazy="joined", foreign_keys=[assignee_id])
    completion: Mapped[Optional[TaskCompletion]] = relationship(lazy="joined", uselist=False)
    entry: Mapped[Entry] = relationship()
    follow_up: Mapped[FollowUp] = relationship(foreign_keys=[follow_up_id])

    @property
    def overdue(self) -> bool:
        return self.completion is None and self.due_on < uk_today()

    @property
    def due_words(self) -> str:
        return due_words(self.due_on)


class TaskCompletion(db.Model):
    __tablename__ = "task_completions"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    completed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_by: Mapped[User] = relationship(lazy="joined")


class TaskReminder(db.Model):
    """A reminder queued in the outbox: at most one per task per (UK) day."""

    __tablename__ = "task_reminders"
    __table_args__ = (UniqueConstraint("task_id", "sent_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)


# A follow-up's task comes with it (joined): lists of follow-ups cost no extra query.
FollowUp.task = relationship(Task, lazy="joined", uselist=False, viewonly=True)


class MonitoringEvent(db.Model):
    """A pupil put on the monitoring list, reviewed, or taken off it: facts, never changed."""

    __tablename__ = "monitoring_events"
    __table_args__ = (Index("ix_monitoring_events_pupil", "pupil_id", "id"),)
    STARTED, REVIEWED, ENDED = "started", "reviewed", "ended"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    review_on: Mapped[Optional[date]] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")  # the reason, or the review's note
    by: Mapped[User] = relationship(lazy="joined")


class MonitoringState(db.Model):
    """Whether a pupil is on the monitoring list now, and when the next review is due:
    a projection of their MonitoringEvents, the one writable row (like entry_states)."""

    __tablename__ = "monitoring_states"
    __table_args__ = (Index("ix_monitoring_states_school", "school_id", "active", "review_on"),)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pupil: Mapped[Pupil] = relationship(lazy="joined")

    @property
    def review_overdue(self) -> bool:
        return self.review_on < uk_today()

    @property
    def review_words(self) -> str:
        words = due_words(self.review_on)
        return f"Review {words[0].lower()}{words[1:]}"


for _table in (Task.__table__, TaskCompletion.__table__, TaskReminder.__table__, MonitoringEvent.__table__):
    append_only.protect_allowing_retention(_table)

# --- attachments and the body map (issue 4, items 7 and 8) ---------------------------------


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


# The files accepted (attachments/sniff.py checks each by its bytes), with the label they are shown with.
PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG image", "image/png", (".png",))
JPEG = FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
FILE_TYPES = (PDF, PNG, JPEG, DOCX)


class Attachment(db.Model):
    """A file added to an entry (or to one of its follow-ups). The file lives outside
    static/ under a random name; the row keeps its SHA-256, checked on every download.
    The uploaded name is display text only, never a path."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_entry", "entry_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_ups.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(150))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[User] = relationship(lazy="joined")

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg")

    @property
    def type_label(self) -> str:
        return next((t.label for t in FILE_TYPES if t.content_type == self.content_type), self.content_type)

    @property
    def size_label(self) -> str:
        return size_label(self.size)


class BodyMapMark(db.Model):
    """One numbered mark on an entry's body map: which view, where (fractions of the
    outline's width and height), the nearest named area, and what was seen."""

    __tablename__ = "body_map_marks"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    number: Mapped[int] = mapped_column(Integer)
    view: Mapped[str] = mapped_column(String(8))  # front or back
    x: Mapped[float] = mapped_column(db.Float)
    y: Mapped[float] = mapped_column(db.Float)
    area: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))


# Loaded only where asked for (selectinload), like follow-ups.
Entry.attachments = relationship(Attachment, order_by=Attachment.id, lazy="raise_on_sql", viewonly=True)
Entry.body_marks = relationship(BodyMapMark, order_by=BodyMapMark.number, lazy="raise_on_sql", viewonly=True)

append_only.protect_allowing_retention(Attachment.__table__)
append_only.protect_allowing_retention(BodyMapMark.__table__)

# --- administration: category names over time, deletion after the retention review ---


class CategoryRename(db.Model):
    """A category's earlier name: an entry shows the name its category had when the
    entry was recorded (Entry.category_name), whatever the category is called now."""

    __tablename__ = "category_renames"
    __table_args__ = (Index("ix_category_renames_category", "category_id", "renamed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    old_name: Mapped[str] = mapped_column(String(80))
    new_name: Mapped[str] = mapped_column(String(80))
    renamed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    renamed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


# The name before the first rename after the entry was recorded; with none, the name now.
# A subquery in the entry's own SELECT: no extra query, however many entries a page lists.
Entry.category_name = column_property(
    func.coalesce(
        select(CategoryRename.old_name)
        .where(CategoryRename.category_id == Entry.category_id, CategoryRename.renamed_at > Entry.created_at)
        .order_by(CategoryRename.renamed_at, CategoryRename.id)
        .limit(1)
        .correlate_except(CategoryRename)
        .scalar_subquery(),
        select(Category.name).where(Category.id == Entry.category_id).correlate_except(Category).scalar_subquery(),
    )
)


class RetentionDeletion(db.Model):
    """Deleting a pupil's records after the retention review: an admin proposes, a
    DSL of the school (another person) confirms. The row outlives the pupil, so it
    holds the pupil's id, not a foreign key, and never their name."""

    __tablename__ = "retention_deletions"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(Integer, index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(Text)  # counts of what was deleted, as JSON
    school: Mapped[School] = relationship(lazy="joined")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")


class RetentionDeletionGrant(db.Model):
    """The entries the confirmed deletion in this transaction may remove. Rows live only
    inside that transaction (written, used and deleted before it commits), and the
    append-only triggers let a DELETE through only for an entry named here
    (append_only.RETENTION_GRANTED)."""

    __tablename__ = "retention_deletion_grants"
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class RetentionDeletionPupilGrant(db.Model):
    """The pupil whose own rows (monitoring, transfers, subject-access exports) the
    confirmed deletion in this transaction may remove: lives like RetentionDeletionGrant."""

    __tablename__ = "retention_deletion_pupil_grants"
    pupil_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class RecorderMessage(db.Model):
    """A short message from the safeguarding team to the person who logged an entry
    (cpoms/hearback/): shown to them beside the entry on their "What I logged" page,
    and to the team on the entry page. Written for the recorder, so it holds no record
    content by design (the form says so); append-only like the entry."""

    __tablename__ = "recorder_messages"
    __table_args__ = (Index("ix_recorder_messages_recipient", "recipient_id", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    # The entry's school, copied (it never changes), as on tasks and alerts.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recorder when it was sent: the entry's recorder never changes, but the row says whom it was for.
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")


append_only.protect_allowing_retention(RecorderMessage.__table__)
# Loaded when the entry page asks (the team's view of them); lists of entries never do.
Entry.recorder_messages = relationship(
    RecorderMessage, viewonly=True, lazy="select", order_by=(RecorderMessage.created_at, RecorderMessage.id)
)


class SubmissionKey(db.Model):
    """A form's one-time key, claimed in the transaction that saves what the form
    created: the unique key lets one submission create one record, however often
    it arrives (a double tap, Back and Save, a retried POST). No foreign key to the
    record: kinds differ, and a record deleted after its retention period may go."""

    __tablename__ = "submission_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # the endpoint that saved it
    record_id: Mapped[Optional[int]] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(500))  # where its save led
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
