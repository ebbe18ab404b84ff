"""Who may see and do what: the one place. Routes and templates ask these
functions; nothing else looks at role assignments to decide a permission."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import and_, exists, false, or_, select

from .extensions import db
from .models import Alert, Entry, Kind, Pupil, Role, School

# What each role grants, per school it is held at.
LOGS_ENTRIES = {Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT}
READS_WHOLE_SCHOOL = {Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.GOVERNOR, Role.TRUST_REP}
SEES_FULL_NAMES = {Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT}
REVIEWS = {Role.DSL, Role.DEPUTY_DSL, Role.SLT}
SAFEGUARDING_TEAM = {Role.DSL, Role.DEPUTY_DSL}
ADMINISTERS = {Role.ADMIN}


@dataclass(frozen=True)
class Access:
    """A user's rights, resolved to school ids once per request."""

    user_id: int | None
    log: frozenset[int] = frozenset()
    read_all: frozenset[int] = frozenset()
    full_names: frozenset[int] = frozenset()
    review: frozenset[int] = frozenset()
    team: frozenset[int] = frozenset()
    admin: frozenset[int] = frozenset()
    # Trust-level admins also see what belongs to no school (an unknown address's failed sign-in).
    admin_trust_wide: bool = False


NOBODY = Access(user_id=None)


def access(user) -> Access:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    cache = g.setdefault("_access", {})
    if user.id not in cache:
        cache[user.id] = _resolve(user)
    return cache[user.id]


def _resolve(user) -> Access:
    by_role: dict[str, set[int]] = {role: set() for role in Role.ALL}
    trust_roles: dict[int, set[str]] = {}
    for assignment in user.roles:
        if assignment.school_id is not None:
            by_role[assignment.role].add(assignment.school_id)
        elif assignment.trust_id is not None:  # trust representatives; trust-level admins
            trust_roles.setdefault(assignment.trust_id, set()).add(assignment.role)
    if trust_roles:
        rows = db.session.execute(
            select(School.id, School.trust_id).where(School.trust_id.in_(trust_roles))
        )
        for school_id, trust_id in rows:
            for role in trust_roles[trust_id]:
                by_role[role].add(school_id)

    def schools(roles: set[str]) -> frozenset[int]:
        return frozenset().union(*(by_role[r] for r in roles))

    return Access(
        user_id=user.id,
        log=schools(LOGS_ENTRIES),
        read_all=schools(READS_WHOLE_SCHOOL),
        full_names=schools(SEES_FULL_NAMES),
        review=schools(REVIEWS),
        team=schools(SAFEGUARDING_TEAM),
        admin=schools(ADMINISTERS),
        admin_trust_wide=any(Role.ADMIN in roles for roles in trust_roles.values()),
    )


# --- logging entries -------------------------------------------------------

def can_log(user) -> bool:
    return bool(access(user).log)


def loggable_school_ids(user) -> frozenset[int]:
    return access(user).log


def can_log_for_pupil(user, pupil: Pupil) -> bool:
    return pupil.active and pupil.school_id in access(user).log


# --- reading entries -------------------------------------------------------

def _was_alerted(user_id: int, entry_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Alert.entry_id == entry_id, Alert.recipient_id == user_id))
        )
    )


def can_view_entry(user, entry: Entry) -> bool:
    """Whole-school readers see every entry of their schools. Staff see what they
    recorded or were alerted to, while they still work at that school."""
    a = access(user)
    if a.user_id is None:
        return False
    if entry.school_id in a.read_all:
        return True
    if entry.school_id not in a.log:
        return False
    return entry.recorded_by_id == a.user_id or _was_alerted(a.user_id, entry.id)


def visible_entries(user):
    """A WHERE clause on Entry matching exactly the entries can_view_entry allows."""
    a = access(user)
    if a.user_id is None:
        return false()
    # Schools where this user logs but does not read everything: only there do
    # "recorded by me" and "alerted to me" matter (and cost a subquery).
    partly = a.log - a.read_all
    if not partly:
        return Entry.school_id.in_(a.read_all)
    return or_(
        Entry.school_id.in_(a.read_all),
        and_(
            Entry.school_id.in_(partly),
            or_(
                Entry.recorded_by_id == a.user_id,
                Entry.id.in_(select(Alert.entry_id).where(Alert.recipient_id == a.user_id)),
            ),
        ),
    )


def reads_whole_school(user) -> bool:
    return bool(access(user).read_all)


def shows_full_names(user, school_id: int) -> bool:
    """Governors and trust representatives see pupils by initials only."""
    return school_id in access(user).full_names


# --- acting on entries -----------------------------------------------------

def follow_up_kinds(user, entry: Entry) -> tuple[str, ...]:
    """The kinds of follow-up this user may add to this entry (none: read-only)."""
    a = access(user)
    if entry.school_id in a.review:
        return Kind.WRITABLE
    if entry.recorded_by_id == a.user_id and entry.school_id in a.log:
        return (Kind.NOTE,)
    return ()


def can_review(user, entry: Entry) -> bool:
    return entry.school_id in access(user).review


def can_close_or_reopen(user, entry: Entry) -> bool:
    return entry.school_id in access(user).team


def sees_alert_delivery(user, entry: Entry) -> bool:
    return entry.school_id in access(user).review


def can_retry_alerts(user, entry: Entry) -> bool:
    """Queue an entry's failed alert emails again: the safeguarding team it alerts."""
    return entry.school_id in access(user).team


def alert_retry_school_ids(user) -> frozenset[int]:
    """Schools whose failed alerts this user sees counted and may queue again: the
    safeguarding team, and admins (who see no entries, only that alerts failed)."""
    a = access(user)
    return a.team | a.admin


# --- the review queue and chronologies --------------------------------------

def review_school_ids(user) -> frozenset[int]:
    return access(user).review


def can_view_chronology(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).read_all


def can_see_record_viewers(user, pupil: Pupil) -> bool:
    """Who has looked at a child's record is itself sensitive: the safeguarding team only."""
    return pupil.school_id in access(user).team


# --- administration ---------------------------------------------------------

def audit_log_scope(user) -> tuple[frozenset[int], bool]:
    """The schools whose audit log this user may read, and whether that includes
    events that belong to no school."""
    a = access(user)
    return a.admin, a.admin_trust_wide
