"""What the case manager's pages show: a fixed number of queries a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..common import uk_today
from ..mis.retention import add_years
from ..extensions import db
from ..models import Pupil, School, User
from ..reports.periods import term_of
from ..policy import CASE_MANAGER, CASE_MANAGER_FOR_HEAD, MEMBER, access, holders, holders_with_roles
from ..timefmt import now_utc, to_uk, uk_date
from ..transfers.schooldays import add_school_days
from . import policy
from .models import (
    AdultConcern,
    AdultConcernDeletion,
    AdultConcernPupil,
    AdultFollowUp,
    FollowUpKind,
    Level,
    Outcome,
)

LADO_WITHIN = 1  # working day after the concern was raised, for an allegation


@dataclass
class Standing:
    """Where a concern stands, read from its follow-ups."""

    concern: AdultConcern
    level: str | None = None
    outcome: str | None = None
    lado_on: date | None = None
    # The person's dates, the newest recorded of each (a "dates" follow-up).
    born_on: date | None = None
    retires_on: date | None = None
    left_on: date | None = None
    outcome_on: date | None = None
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
            s.outcome, s.outcome_on = f.outcome, to_uk(f.created_at).date()
        elif f.kind == FollowUpKind.DATES:
            s.born_on = f.born_on or s.born_on
            s.retires_on = f.retires_on or s.retires_on
            s.left_on = f.left_on or s.left_on
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
# The app knows no one's pension age: from a date of birth it counts the State Pension age
# of most people now working. A recorded retirement date is used instead where there is one.
NORMAL_RETIREMENT_AGE = 67
# Kept to retirement or ten years. KCSIE removes only malicious allegations from the record;
# unfounded ones (no evidence or proper basis) are not malicious, so they are kept like
# unsubstantiated and false ones (docs/user-guide.md). None may go in a reference but the
# substantiated (reference_rows).
KEPT = (Outcome.SUBSTANTIATED, Outcome.UNSUBSTANTIATED, Outcome.FALSE, Outcome.UNFOUNDED)


@dataclass
class Retention:
    row: Standing
    rule: str  # which rule applies
    why: str  # how the review date follows from what is recorded
    review_on: date | None  # when the record may be reviewed for deletion; None: not yet known
    pending: object = None  # a deletion waiting for its second case manager

    @property
    def due(self) -> bool:
        return self.review_on is not None and self.review_on <= uk_today()


def retirement(row: Standing) -> date | None:
    if row.retires_on is not None:
        return row.retires_on
    if row.born_on is not None:
        return add_years(row.born_on, NORMAL_RETIREMENT_AGE)
    return None


def retention_of(row: Standing, left_school: bool) -> Retention:
    """The rule for one concern, its review date and why. left_school: their account no
    longer holds a role at the school (a typed-in person has none: their leaving date is
    recorded by the case manager)."""
    c = row.concern
    if row.outcome == Outcome.MALICIOUS:
        return Retention(
            row,
            "Malicious allegation: removed after review",
            f"Found malicious on {uk_date(row.outcome_on)}: it may be deleted once reviewed.",
            row.outcome_on,
        )
    if row.level == Level.HARM and row.outcome in KEPT:
        ten = add_years(to_uk(c.raised_at).date(), ALLEGATION_YEARS)
        retires = retirement(row)
        rule = (
            f"{Outcome.SHORT[row.outcome]} allegation: kept to normal retirement age or ten years, whichever is later"
        )
        if retires is None:
            why = (
                f"Ten years from the allegation is {uk_date(ten)}; their normal retirement date is not recorded "
                "(record their date of birth or retirement date under Dates for retention)."
            )
            return Retention(row, rule, why, None)
        source = "recorded" if row.retires_on else f"age {NORMAL_RETIREMENT_AGE}, from their date of birth"
        later = max(ten, retires)
        why = f"Ten years from the allegation: {uk_date(ten)}; normal retirement ({source}): {uk_date(retires)}."
        return Retention(row, rule, why + f" Kept until {uk_date(later)}.", later)
    if row.level == Level.LOW:
        rule = "Low-level concern: reviewed when the person leaves"
        if row.left_on is not None:
            return Retention(row, rule, f"They left on {uk_date(row.left_on)} (recorded).", row.left_on)
        if c.subject_user_id is not None and left_school:
            return Retention(
                row, rule, "They have left: their account no longer holds a role at the school.", uk_today()
            )
        if c.subject_user_id is None:
            why = (
                "No leaving date recorded: record it under Dates for retention when they stop working with the school."
            )
        else:
            why = "They still hold a role at the school."
        return Retention(row, rule, why, None)
    return Retention(
        row, "Kept: not yet assessed, or no outcome yet", "No rule applies until there is an outcome.", None
    )


def retention(user) -> list[Retention]:
    """Each concern this user manages with its retention rule, review date and why, due
    reviews first, and any deletion waiting for a second case manager. Four queries."""
    rows = managed(user)
    schools = {row.concern.school_id for row in rows}
    still_there = set()
    if schools:
        still_there = {(school.id, u.id) for u, school, _ in db.session.execute(holders_with_roles(MEMBER, schools))}
    pending = pending_deletions([row.concern.id for row in rows])
    out = [retention_of(row, (row.concern.school_id, row.concern.subject_user_id) not in still_there) for row in rows]
    for r in out:
        r.pending = pending.get(r.row.concern.id)
    return sorted(out, key=lambda r: (not r.due, r.review_on or date.max))


def pending_deletions(concern_ids) -> dict[int, AdultConcernDeletion]:
    if not concern_ids:
        return {}
    return {
        p.concern_id: p
        for p in db.session.scalars(
            select(AdultConcernDeletion).where(
                AdultConcernDeletion.concern_id.in_(concern_ids), AdultConcernDeletion.confirmed_at.is_(None)
            )
        )
    }


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


# --- termly counts and references ---------------------------------------------------


@dataclass
class TermCounts:
    label: str
    raised: int = 0
    low: int = 0
    harm: int = 0
    not_assessed: int = 0
    lado: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def termly_counts(user) -> list[TermCounts]:
    """Counts per term, newest first, of the concerns policy.report_clause gives this user:
    raised, assessed low-level or harm threshold, LADO consulted, each outcome. Nothing
    identifies a concern or an adult. Two queries."""
    concerns = list(db.session.scalars(select(AdultConcern).where(policy.report_clause(user))).unique())
    follow_ups: dict[int, list[AdultFollowUp]] = {c.id: [] for c in concerns}
    if concerns:
        for f in db.session.scalars(
            select(AdultFollowUp)
            .where(AdultFollowUp.concern_id.in_(follow_ups))
            .order_by(AdultFollowUp.created_at, AdultFollowUp.id)
        ):
            follow_ups[f.concern_id].append(f)
    terms: dict[datetime, TermCounts] = {}
    for c in concerns:
        s = standing(c, follow_ups[c.id])
        period = term_of(c.raised_at)
        counts = terms.setdefault(period.start, TermCounts(period.label, outcomes=dict.fromkeys(Outcome.LABELS, 0)))
        counts.raised += 1
        counts.low += s.level == Level.LOW
        counts.harm += s.level == Level.HARM
        counts.not_assessed += s.level is None
        counts.lado += s.lado_on is not None
        if s.outcome:
            counts.outcomes[s.outcome] += 1
    return [terms[start] for start in sorted(terms, reverse=True)]


def reference_rows(user, concern: AdultConcern) -> list[Standing]:
    """For a reference about the adult this concern is about: the allegations about them this
    user manages that were substantiated, oldest first. Never a low-level concern, nor a
    false, malicious, unsubstantiated or unfounded allegation (KCSIE part 4)."""
    same = who(concern)
    return sorted(
        (
            row
            for row in managed(user)
            if who(row.concern) == same and row.level == Level.HARM and row.outcome == Outcome.SUBSTANTIATED
        ),
        key=lambda row: row.concern.raised_at,
    )


def retention_for(concern: AdultConcern) -> Retention:
    """One concern's retention, for its deletion page."""
    row = concern_page(concern)
    left = concern.subject_user_id is not None and (
        db.session.scalar(
            holders(MEMBER, [concern.school_id]).with_only_columns(User.id).where(User.id == concern.subject_user_id)
        )
        is None
    )
    r = retention_of(row, left)
    r.pending = pending_deletions([concern.id]).get(concern.id)
    return r
