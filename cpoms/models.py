"""The core every area builds on: schools, people and their roles, pupils, categories,
and the record itself (entries, their pupils, follow-ups, where each stands) with the
outbox its alerts go through. Each area keeps its own tables in its package's models.py
and imports these; this module imports no area.

Entries and follow-ups are facts: the app inserts them and never
updates or deletes them. What changes over time (open/closed, reviewed) lives in
EntryState, a projection of the follow-ups kept beside them for fast queues."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import append_only
from .extensions import db


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
    # A task for a member of staff (cpoms/tasks/), information shared with another agency.
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

    @classmethod
    def ordered(cls, active_only: bool = False) -> list[Category]:
        """In the order the school set: those still offered, or with the retired too (filters)."""
        query = select(cls).order_by(cls.order, cls.name, cls.id)
        if active_only:
            query = query.where(cls.active.is_(True))
        return list(db.session.scalars(query))


class Entry(db.Model):
    """A concern as recorded: never changed. Areas add what they keep of it to the class
    in their models.py: later_categories, amendments and category_name (entries/),
    attachments, body_marks, recorder_messages; FollowUp.task (tasks/) likewise."""

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
        # The review queue, per school, read from this index alone (its page joins entries
        # only for the rows shown); and its counts.
        Index("ix_entry_states_school_queue", "school_id", "status", "reviewed_at", "alerts_team", "entry_id"),
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
    # Whether the entry was recorded as, or later given, a category that alerts the
    # safeguarding team now: kept by cpoms/entries/categories.py (entries.models.alerts_team
    # is what it means) as entries are logged, given categories, and categories change.
    alerts_team: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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


class Alert(db.Model):
    """The outbox: written with the entry, sent after the commit, retried until sent.
    In the core because every area mails through it and the record rule asks who was
    alerted; Alert.transfer (transfers/) and Alert.password_reset (auth/) are added there."""

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
    # Or it is the receipt for a child-protection file received from outside the trust (cpoms/packs/).
    received_pack_id: Mapped[Optional[int]] = mapped_column(ForeignKey("received_packs.id"))
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
    recipient: Mapped[User] = relationship()
    category: Mapped[Optional[Category]] = relationship()


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


for _table in (Entry.__table__, FollowUp.__table__):
    append_only.protect_allowing_retention(_table)
