"""What the case manager's pages show: a fixed number of queries a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..common import uk_today
from ..mis.retention import add_years
from ..extensions import db
from ..models import Pupil, School, User
from ..policy import CASE_MANAGER, CASE_MANAGER_FOR_HEAD, MEMBER, access, holders, holders_with_roles
from ..timefmt import now_utc, to_uk, uk_date
from ..transfers.schooldays import add_school_days
from . import policy
from .models import AdultConcern, AdultConcernPupil, AdultFollowUp, FollowUpKind, Level, Outcome

LADO_WITHIN = 1  # working day after the concern was raised, for an allegation


@dataclass
class Standing:
    """Where a concern stands, read from its follow-ups."""

    concern: AdultConcern
    level: str | None = None
    outcome: str | None = None
    lado_on: date | None = None
    follow_ups: list[AdultFollowUp] = field(default_factory=list)

    @property
    def lado_due(self) -> date | None:
        """An allegation's LADO consultation is due within one working day of it being raised."""
        if self.level != Level.HARM:
            return None
        return add_school_days(to_uk(self.concern.raised_at).date(), LADO_WITHIN)

    @property
    def lado_overdue(self) -> bool:
        due = self.lado_due
        return due is not None and self.lado_on is None and uk_today() > due


def standing(concern: AdultConcern, follow_ups: list[AdultFollowUp]) -> Standing:
    s = Standing(concern, follow_ups=follow_ups)
    for f in follow_ups:  # oldest first: the latest assessment and outcome stand
        if f.kind == FollowUpKind.ASSESSMENT:
            s.level = f.level
        elif f.kind == FollowUpKind.OUTCOME:
            s.outcome = f.outcome
        elif f.kind == FollowUpKind.LADO and s.lado_on is None:
            s.lado_on = f.lado_on
    return s


def managed(user) -> list[Standing]:
    """Every concern this user manages, newest first, with where each stands: two queries."""
    concerns = list(
        db.session.scalars(
            select(AdultConcern).where(policy.visible_concerns(user)).order_by(AdultConcern.raised_at.desc())
        ).unique()
    )
    by_concern: dict[int, list[AdultFollowUp]] = {c.id: [] for c in concerns}
    if concerns:
        for f in db.session.scalars(
            select(AdultFollowUp)
            .where(AdultFollowUp.concern_id.in_(by_concern))
            .order_by(AdultFollowUp.created_at, AdultFollowUp.id)
        ):
            by_concern[f.concern_id].append(f)
    return [standing(c, by_concern[c.id]) for c in concerns]


def concern_page(concern: AdultConcern) -> Standing:
    follow_ups = list(
        db.session.scalars(
            select(AdultFollowUp)
            .where(AdultFollowUp.concern_id == concern.id)
            .order_by(AdultFollowUp.created_at, AdultFollowUp.id)
        )
    )
    return standing(concern, follow_ups)


def who(concern: AdultConcern) -> tuple:
    """The key that makes concerns about the same adult one: their account, or the typed name."""
    if concern.subject_user_id is not None:
        return (concern.school_id, "user", concern.subject_user_id)
    return (concern.school_id, "name", " ".join(concern.subject_name.casefold().split()))


@dataclass
class Pattern:
    name: str
    school_name: str
    concerns: list[AdultConcern]


def patterns(rows: list[Standing]) -> list[Pattern]:
    """Adults with ADULT_PATTERN_COUNT or more low-level concerns raised within ADULT_PATTERN_DAYS:
    a pattern may itself meet the harm threshold."""
    days, needed = current_app.config["ADULT_PATTERN_DAYS"], current_app.config["ADULT_PATTERN_COUNT"]
    since = now_utc() - timedelta(days=days)
    groups: dict[tuple, list[AdultConcern]] = {}
    for row in rows:
        if row.level == Level.LOW and row.concern.raised_at >= since:
            groups.setdefault(who(row.concern), []).append(row.concern)
    return [
        Pattern(concerns[0].subject_name, concerns[0].school.name, sorted(concerns, key=lambda c: c.raised_at))
        for concerns in groups.values()
        if len(concerns) >= needed
    ]


# --- the form to raise a concern: whom it may name, which children -----------------


def staff_of(school_id: int) -> dict[int, User]:
    """Everyone who holds a role at the school, by id, in name order."""
    people = db.session.scalars(holders(MEMBER, [school_id]).order_by(User.name, User.id))
    return {u.id: u for u in people}


def pupils_of(school_id: int) -> dict[int, Pupil]:
    rows = db.session.scalars(
        select(Pupil)
        .where(Pupil.school_id == school_id, Pupil.active.is_(True))
        .order_by(Pupil.year_group, Pupil.last_name, Pupil.first_name, Pupil.id)
    )
    return {p.id: p for p in rows}


def concerns_involving(user, pupil_id: int) -> int:
    """How many concerns this case manager reads involve this pupil (the line on their record)."""
    return db.session.scalar(
        select(func.count(AdultConcern.id)).where(
            policy.visible_concerns(user),
            AdultConcern.id.in_(select(AdultConcernPupil.concern_id).where(AdultConcernPupil.pupil_id == pupil_id)),
        )
    )


# --- retention (KCSIE part 4) ------------------------------------------------------

ALLEGATION_YEARS = 10  # or to the person's normal retirement age, whichever is later
KEPT = (Outcome.SUBSTANTIATED, Outcome.UNSUBSTANTIATED, Outcome.FALSE, Outcome.UNFOUNDED)


@dataclass
class Retention:
    row: Standing
    rule: str
    due: bool  # the review the rule asks for can be held now


def retention(user) -> list[Retention]:
    """Each concern this user manages, with its retention rule and whether its review is due:
    low-level concerns when the person leaves (their account no longer at the school: a typed
    name the case manager judges); allegations kept to the person's normal retirement age or
    ten years, whichever is later (the app does not know their age: the ten years are shown);
    malicious allegations removed after review. Three queries."""
    rows = managed(user)
    schools = {row.concern.school_id for row in rows}
    still_there = set()
    if schools:
        still_there = {(school.id, u.id) for u, school, _ in db.session.execute(holders_with_roles(MEMBER, schools))}
    out = []
    for row in rows:
        c = row.concern
        if row.outcome == Outcome.MALICIOUS:
            out.append(Retention(row, "Malicious: remove after review", True))
        elif row.outcome in KEPT and row.level == Level.HARM:
            until = add_years(to_uk(c.raised_at).date(), ALLEGATION_YEARS)
            out.append(
                Retention(
                    row, f"Keep to their normal retirement age, or to {uk_date(until)}, whichever is later", False
                )
            )
        elif row.level == Level.LOW:
            if c.subject_user_id is None:
                out.append(
                    Retention(row, "Low-level: review when they stop working with the school (no account)", False)
                )
            else:
                left = (c.school_id, c.subject_user_id) not in still_there
                out.append(
                    Retention(row, "Low-level: review when they leave" + (" (they have left)" if left else ""), left)
                )
        else:
            out.append(Retention(row, "Kept: not yet assessed, or no outcome yet", False))
    return out


def without_case_managers(user) -> list[tuple[School, list[str]]]:
    """The schools this user administers where a concern about an adult would reach
    nobody: no one holds the headteacher's role (or, for a concern about the
    headteacher, the chair of governors'). Raised there, a concern is kept but unread."""
    school_ids = access(user).admin
    if not school_ids:
        return []
    # One query a role: the schools where someone holds it.
    held = {
        label: set(db.session.scalars(holders_with_roles(capability, school_ids).with_only_columns(School.id)))
        for capability, label in ((CASE_MANAGER, "headteacher"), (CASE_MANAGER_FOR_HEAD, "chair of governors"))
    }
    schools = db.session.scalars(select(School).where(School.id.in_(school_ids)).order_by(School.name))
    missing = [(school, [label for label, ids in held.items() if school.id not in ids]) for school in schools]
    return [(school, roles) for school, roles in missing if roles]
