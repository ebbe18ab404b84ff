"""The records of concerns about adults. Like entries they are facts: inserted, never
updated or deleted (the database refuses it, cpoms/append_only.py). Where a concern
stands is read from its follow-ups; who may manage concerns at a school is the newest
CaseManagerSetting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Pupil, School, User, UTCDateTime, utcnow


class AdultKind:
    """Who the adult is to the school."""

    STAFF = "staff"
    SUPPLY = "supply"
    VOLUNTEER = "volunteer"
    CONTRACTOR = "contractor"
    VISITOR = "visitor"
    LABELS = {
        STAFF: "A member of staff",
        SUPPLY: "Supply staff",
        VOLUNTEER: "A volunteer",
        CONTRACTOR: "A contractor",
        VISITOR: "A visitor",
    }


class FollowUpKind:
    ASSESSMENT = "assessment"
    LADO = "lado"
    DECISION = "decision"
    ACTION = "action"
    OUTCOME = "outcome"
    # The person's dates the retention rules need (the app knows no staff dates of birth).
    DATES = "dates"
    LABELS = {
        ASSESSMENT: "Assessment",
        LADO: "LADO consultation",
        DECISION: "Decision",
        ACTION: "Action",
        OUTCOME: "Outcome",
        DATES: "Dates for retention",
    }
    ALL = tuple(LABELS)


class Level:
    LOW = "low_level"
    HARM = "harm_threshold"
    LABELS = {
        LOW: "Low-level concern",
        HARM: "Allegation: may meet the harm threshold",
    }


class Outcome:
    """The outcomes KCSIE part 4 defines for an allegation."""

    SUBSTANTIATED = "substantiated"
    FALSE = "false"
    MALICIOUS = "malicious"
    UNSUBSTANTIATED = "unsubstantiated"
    UNFOUNDED = "unfounded"
    LABELS = {
        SUBSTANTIATED: "Substantiated: there is sufficient evidence to prove the allegation",
        MALICIOUS: "Malicious: sufficient evidence to disprove it, and a deliberate act to deceive",
        FALSE: "False: sufficient evidence to disprove the allegation",
        UNSUBSTANTIATED: "Unsubstantiated: insufficient evidence either to prove or disprove it",
        UNFOUNDED: "Unfounded: no evidence or proper basis to support it",
    }
    SHORT = {key: label.split(":")[0] for key, label in LABELS.items()}


class AdultConcern(db.Model):
    __tablename__ = "adult_concerns"
    __table_args__ = (
        Index("ix_adult_concerns_school_raised", "school_id", "raised_at"),
        Index("ix_adult_concerns_subject", "school_id", "subject_user_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject_kind: Mapped[str] = mapped_column(String(16))
    # The member of staff chosen from the school's people: never shown this concern.
    subject_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # As chosen (the account's name then) or typed for someone with no account.
    subject_name: Mapped[str] = mapped_column(String(200))
    # Their job, or the company or agency they came from.
    subject_role: Mapped[Optional[str]] = mapped_column(String(200))
    # Held the headteacher's role when raised: managed by the chair of governors.
    about_headteacher: Mapped[bool] = mapped_column(Boolean, default=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(200))
    what_happened: Mapped[str] = mapped_column(Text)
    what_was_said: Mapped[Optional[str]] = mapped_column(Text)

    school: Mapped[School] = relationship(lazy="joined")
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id], lazy="joined")
    pupil_links: Mapped[list[AdultConcernPupil]] = relationship(lazy="selectin", order_by="AdultConcernPupil.id")
    follow_ups: Mapped[list[AdultFollowUp]] = relationship(
        lazy="raise_on_sql", order_by="(AdultFollowUp.created_at, AdultFollowUp.id)"
    )

    @property
    def pupils(self) -> list[Pupil]:
        return [link.pupil for link in self.pupil_links]

    @property
    def kind_label(self) -> str:
        return AdultKind.LABELS.get(self.subject_kind, self.subject_kind)


class AdultConcernPupil(db.Model):
    """A child involved. Their own record gets nothing of the concern from this link."""

    __tablename__ = "adult_concern_pupils"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("adult_concerns.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    pupil: Mapped[Pupil] = relationship(lazy="joined")


class AdultFollowUp(db.Model):
    """What the case manager recorded: one typed row each, as on pupils' entries."""

    __tablename__ = "adult_follow_ups"
    __table_args__ = (Index("ix_adult_follow_ups_concern", "concern_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("adult_concerns.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    # The reasons, the advice, what was done: every kind has some text.
    text: Mapped[str] = mapped_column(Text)
    level: Mapped[Optional[str]] = mapped_column(String(16))  # an assessment's Level
    lado_on: Mapped[Optional[datetime]] = mapped_column(Date)
    lado_name: Mapped[Optional[str]] = mapped_column(String(200))
    lado_reference: Mapped[Optional[str]] = mapped_column(String(100))
    suspension_considered: Mapped[Optional[bool]] = mapped_column(Boolean)
    outcome: Mapped[Optional[str]] = mapped_column(String(16))
    # A "dates" follow-up: any of the three, as the case manager learnt them (the newest stands).
    born_on: Mapped[Optional[date]] = mapped_column(Date)
    retires_on: Mapped[Optional[date]] = mapped_column(Date)
    left_on: Mapped[Optional[date]] = mapped_column(Date)
    author: Mapped[User] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return FollowUpKind.LABELS.get(self.kind, self.kind)


class CaseManagerSetting(db.Model):
    """Whether the school's DSLs also manage concerns about adults (not about the
    headteacher), as its headteacher last decided; no row: they do not."""

    __tablename__ = "adult_case_manager_settings"
    __table_args__ = (Index("ix_adult_case_manager_settings_school", "school_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    dsl_allowed: Mapped[bool] = mapped_column(Boolean)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdultConcernDeletion(db.Model):
    """Deleting a concern after its retention review: one case manager proposes, a second
    confirms (adults/policy.py). The row outlives the concern, so it holds the concern's id,
    not a foreign key, and nothing of what the concern said or whom it was about."""

    __tablename__ = "adult_concern_deletions"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(Integer, index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(Text)  # counts of what was deleted, as JSON
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")


class AdultConcernDeletionGrant(db.Model):
    """The concern the confirmed deletion in this transaction may remove: written, used and
    deleted inside that transaction, like the pupils' retention_deletion_grants; the
    append-only triggers let a DELETE through only for a concern named here."""

    __tablename__ = "adult_concern_deletion_grants"
    concern_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


append_only.protect(CaseManagerSetting.__table__)
# A concern and its follow-ups go only by their own two-person deletion (adults/deletion.py);
# a child's link goes with it, or with the child's records after their retention review.
for table in (AdultConcern.__table__, AdultFollowUp.__table__, AdultConcernPupil.__table__):
    append_only.protect_allowing_retention(table)
# Tables of this area kept by their own retention rules, not a pupil's (tests/test_retention_deletion.py).
OWN_RETENTION = frozenset({"adult_concerns", "adult_follow_ups", "adult_case_manager_settings"})
