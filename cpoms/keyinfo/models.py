"""Statuses as periods (a start row, later an end row naming it), the trust's own
flags, what the MIS import says, and police notifications with their check-ins. All
facts, never changed: the database refuses it (cpoms/append_only.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..common import uk_today
from ..extensions import db
from ..models import Pupil, User, UTCDateTime, utcnow


class StatusKind:
    CP_PLAN = "cp_plan"
    CIN_PLAN = "cin_plan"
    LOOKED_AFTER = "looked_after"
    PREVIOUSLY_LOOKED_AFTER = "previously_looked_after"
    EARLY_HELP = "early_help"
    EHC_PLAN = "ehc_plan"
    SEN_SUPPORT = "sen_support"
    YOUNG_CARER = "young_carer"
    PRIVATE_FOSTERING = "private_fostering"
    PREVENT = "prevent"
    OTHER = "other"  # one of the trust's own flags (KeyFlag)
    LABELS = {
        CP_PLAN: "Child protection plan",
        CIN_PLAN: "Child in need plan",
        LOOKED_AFTER: "Looked-after child",
        PREVIOUSLY_LOOKED_AFTER: "Previously looked-after",
        EARLY_HELP: "Early Help",
        EHC_PLAN: "EHC plan",
        SEN_SUPPORT: "SEN support",
        YOUNG_CARER: "Young carer",
        PRIVATE_FOSTERING: "Private fostering",
        PREVENT: "Known to Prevent or Channel",
        OTHER: "Other (the trust's own flag)",
    }
    # As a badge says it: "CP plan since 3 Mar 2026".
    SHORT = {
        CP_PLAN: "CP plan",
        CIN_PLAN: "CIN plan",
        LOOKED_AFTER: "Looked after",
        PREVIOUSLY_LOOKED_AFTER: "Previously looked after",
        EARLY_HELP: "Early Help",
        EHC_PLAN: "EHC plan",
        SEN_SUPPORT: "SEN support",
        YOUNG_CARER: "Young carer",
        PRIVATE_FOSTERING: "Private fostering",
        PREVENT: "Prevent/Channel",
    }
    ALL = tuple(LABELS)
    # Which details each kind asks for (forms and the panel show only these).
    WITH_AUTHORITY = frozenset({CP_PLAN, CIN_PLAN, LOOKED_AFTER, PREVIOUSLY_LOOKED_AFTER})
    WITH_CONTACT = frozenset({LOOKED_AFTER, PREVIOUSLY_LOOKED_AFTER, EARLY_HELP})


class AbuseCategory:
    """The categories of abuse a child protection plan is made under (Working Together)."""

    LABELS = {
        "physical": "Physical abuse",
        "emotional": "Emotional abuse",
        "sexual": "Sexual abuse",
        "neglect": "Neglect",
        "multiple": "Multiple categories",
    }


class KeyFlag(db.Model):
    """A status of the trust's own ("Known to the youth offending team"), defined by its admin."""

    __tablename__ = "key_flags"
    __table_args__ = (Index("ix_key_flags_trust", "trust_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    name: Mapped[str] = mapped_column(String(80))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyStatus(db.Model):
    """A status started: its kind, from when, the details the kind asks for, and who recorded it."""

    __tablename__ = "key_statuses"
    __table_args__ = (Index("ix_key_statuses_pupil", "pupil_id", "id"), Index("ix_key_statuses_school", "school_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # The school that recorded it (the pupil's then); the pupil's school reads it.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[Optional[int]] = mapped_column(ForeignKey("key_flags.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    category_of_abuse: Mapped[Optional[str]] = mapped_column(String(16))
    # The local authority (of a plan), or the responsible authority (looked-after).
    authority: Mapped[Optional[str]] = mapped_column(String(200))
    # The virtual school contact (looked-after), or the lead professional (Early Help).
    contact: Mapped[Optional[str]] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[User] = relationship(lazy="joined", foreign_keys=[recorded_by_id])
    # Loaded only where one status is (ending it): lists know their pupil already.
    pupil: Mapped[Pupil] = relationship(lazy="select")
    flag: Mapped[Optional[KeyFlag]] = relationship(lazy="joined")
    ending: Mapped[Optional[KeyStatusEnd]] = relationship(lazy="joined", uselist=False, viewonly=True)

    @property
    def label(self) -> str:
        if self.kind == StatusKind.OTHER and self.flag is not None:
            return self.flag.name
        return StatusKind.LABELS.get(self.kind, self.kind)

    @property
    def short(self) -> str:
        if self.kind == StatusKind.OTHER and self.flag is not None:
            return self.flag.name
        return StatusKind.SHORT.get(self.kind, self.kind)

    @property
    def active(self) -> bool:
        return self.ending is None

    @property
    def ends_on(self) -> date | None:
        return self.ending.ends_on if self.ending else None

    @property
    def category_label(self) -> str:
        return AbuseCategory.LABELS.get(self.category_of_abuse or "", "")


class KeyStatusEnd(db.Model):
    """A status ended: a new fact naming the one it ends, never an edit of it."""

    __tablename__ = "key_status_ends"
    id: Mapped[int] = mapped_column(primary_key=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("key_statuses.id"), unique=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[User] = relationship(lazy="joined")


class MisFacts(db.Model):
    """What the MIS import said of a pupil, when it said something new: the newest row
    stands. Kept apart from the team's statuses, which an import never touches."""

    __tablename__ = "mis_pupil_facts"
    __table_args__ = (Index("ix_mis_pupil_facts_pupil", "pupil_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    looked_after: Mapped[Optional[bool]] = mapped_column(Boolean)
    sen_status: Mapped[Optional[str]] = mapped_column(String(20))
    eal: Mapped[Optional[bool]] = mapped_column(Boolean)
    free_school_meals: Mapped[Optional[bool]] = mapped_column(Boolean)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PoliceNotification(db.Model):
    """An Operation Encompass notification: the police telling the school, before the next
    school day, of a domestic abuse incident the child was part of. The team's alone."""

    __tablename__ = "police_notifications"
    __table_args__ = (
        Index("ix_police_notifications_pupil", "pupil_id", "incident_at"),
        Index("ix_police_notifications_school", "school_id", "recorded_at"),
        Index("ix_police_notifications_key_adult", "key_adult_id", "check_in_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    incident_at: Mapped[datetime] = mapped_column(UTCDateTime)
    child_present: Mapped[bool] = mapped_column(Boolean)
    officer: Mapped[str] = mapped_column(String(200))
    force_reference: Mapped[str] = mapped_column(String(100))
    shared: Mapped[str] = mapped_column(Text)
    # The member of staff told, who checks in with the child (PoliceCheckIn): never shown the notification.
    key_adult_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    check_in_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pupil: Mapped[Pupil] = relationship(lazy="joined")
    key_adult: Mapped[User] = relationship(lazy="joined", foreign_keys=[key_adult_id])
    recorded_by: Mapped[User] = relationship(lazy="joined", foreign_keys=[recorded_by_id])
    check_in: Mapped[Optional[PoliceCheckIn]] = relationship(lazy="joined", uselist=False, viewonly=True)

    @property
    def check_in_overdue(self) -> bool:
        return self.check_in is None and self.check_in_on < uk_today()


class PoliceCheckIn(db.Model):
    """The key adult checked in with the child: the task's completion."""

    __tablename__ = "police_check_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("police_notifications.id"), unique=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    done_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PoliceCheckInReminder(db.Model):
    """A reminder queued in the outbox: at most one per check-in per (UK) day, as for tasks."""

    __tablename__ = "police_check_in_reminders"
    __table_args__ = (Index("ix_police_check_in_reminders_once", "notification_id", "sent_on", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("police_notifications.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)


# The trust's flag names are its settings, kept with the trust.
append_only.protect(KeyFlag.__table__)
# The rest are about a pupil: they go with the pupil's records after the retention review.
for _table in (
    KeyStatus.__table__,
    KeyStatusEnd.__table__,
    MisFacts.__table__,
    PoliceNotification.__table__,
    PoliceCheckIn.__table__,
    PoliceCheckInReminder.__table__,
):
    append_only.protect_allowing_retention(_table)

# Tables of this area kept by their own rules, not a pupil's: the trust's flag names (tests/test_retention_deletion.py).
OWN_RETENTION = frozenset({"key_flags"})
