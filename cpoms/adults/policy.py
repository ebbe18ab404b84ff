"""Who manages which concern about an adult, on the core's capability table
(cpoms/policy.py: CASE_MANAGER, CASE_MANAGER_IF_ALLOWED, CASE_MANAGER_FOR_HEAD).

A concern is read by its case managers only: the headteacher of its school, and the
school's DSLs where the headteacher allows it; for a concern about the headteacher,
the chair of governors alone. Nobody named in a concern ever reads it, whatever their
roles: that one rule is in both forms below, the list's SQL (visible_concerns) and
the single record's check (can_view_concern), which tests hold against each other.
The person who raised a concern is told it was received, no more."""

from __future__ import annotations

from flask import g
from sqlalchemy import and_, false, func, or_, select

from ..extensions import db
from ..models import User
from ..policy import (
    CAPABILITIES,
    CASE_MANAGER,
    CASE_MANAGER_FOR_HEAD,
    CASE_MANAGER_IF_ALLOWED,
    access,
    holders,
    second_person_refusal,
)
from .models import AdultConcern, CaseManagerSetting


def can_raise(user) -> bool:
    """Everyone who logs concerns about pupils (without two-factor sign-in too)."""
    return bool(access(user).log)


def raise_school_ids(user) -> frozenset[int]:
    return access(user).log


def dsl_allowed_at(school_ids) -> frozenset[int]:
    """Of these schools, those whose headteacher last said their DSLs manage concerns too."""
    school_ids = frozenset(school_ids)
    if not school_ids:
        return frozenset()
    newest = (
        select(func.max(CaseManagerSetting.id))
        .where(CaseManagerSetting.school_id.in_(school_ids))
        .group_by(CaseManagerSetting.school_id)
    )
    return frozenset(
        db.session.scalars(
            select(CaseManagerSetting.school_id).where(
                CaseManagerSetting.id.in_(newest), CaseManagerSetting.dsl_allowed.is_(True)
            )
        )
    )


def managed_school_ids(user) -> tuple[frozenset[int], frozenset[int]]:
    """Where this user manages concerns: (about anyone but the headteacher, about the
    headteacher). One query a request, and none for someone with neither capability."""
    a = access(user)
    if a.user_id is None:
        return frozenset(), frozenset()
    cache = g.setdefault("_adult_case_manager", {})
    if a.user_id not in cache:
        allowed = dsl_allowed_at(a.case_manager_if_allowed) if a.case_manager_if_allowed else frozenset()
        cache[a.user_id] = (a.case_manager | allowed, a.case_manager_for_head)
    return cache[a.user_id]


def is_case_manager(user) -> bool:
    ordinary, about_head = managed_school_ids(user)
    return bool(ordinary or about_head)


def visible_concerns(user):
    """A WHERE clause on AdultConcern matching exactly what can_view_concern allows."""
    a = access(user)
    ordinary, about_head = managed_school_ids(user)
    if a.user_id is None or not (ordinary or about_head):
        return false()
    return and_(
        or_(AdultConcern.subject_user_id.is_(None), AdultConcern.subject_user_id != a.user_id),
        or_(
            and_(AdultConcern.about_headteacher.is_(False), AdultConcern.school_id.in_(ordinary)),
            and_(AdultConcern.about_headteacher.is_(True), AdultConcern.school_id.in_(about_head)),
        ),
    )


def names(user, concern: AdultConcern) -> bool:
    """Whether this concern is about this person."""
    a = access(user)
    return a.user_id is not None and concern.subject_user_id == a.user_id


def can_view_concern(user, concern: AdultConcern) -> bool:
    if names(user, concern):
        return False
    ordinary, about_head = managed_school_ids(user)
    return concern.school_id in (about_head if concern.about_headteacher else ordinary)


def can_add_follow_up(user, concern: AdultConcern) -> bool:
    """Every case manager who reads a concern records on it."""
    return can_view_concern(user, concern)


def case_managers(concern: AdultConcern) -> list[User]:
    """Who manages this concern (its alert goes to them): never the person it names."""
    if concern.about_headteacher:
        capabilities = [CASE_MANAGER_FOR_HEAD]
    else:
        capabilities = [CASE_MANAGER]
        if dsl_allowed_at([concern.school_id]):
            capabilities.append(CASE_MANAGER_IF_ALLOWED)
    people: dict[int, User] = {}
    for capability in capabilities:
        people.update((u.id, u) for u in db.session.scalars(holders(capability, [concern.school_id])))
    return [people[i] for i in sorted(people) if i != concern.subject_user_id]


def headteacher_ids(school_id: int):
    """A SELECT of the users who hold the headteacher's role at this school."""
    return holders(CASE_MANAGER, [school_id]).with_only_columns(User.id)


def settings_school_ids(user) -> frozenset[int]:
    """Where this user, as headteacher, decides whether the DSLs manage concerns too."""
    return access(user).case_manager


# --- deletion after the retention review: two case managers -------------------------


def can_propose_deletion(user, concern: AdultConcern) -> bool:
    """Any case manager of the concern proposes; another confirms (deletion_confirm_refusal)."""
    return can_view_concern(user, concern)


def _dsl_allowed_before(school_id: int, since) -> bool:
    """Whether the school's DSLs managed its concerns before this moment: a headteacher who
    proposes a deletion and then lets the DSLs in has not found a second person."""
    newest = db.session.scalar(
        select(CaseManagerSetting.dsl_allowed)
        .where(CaseManagerSetting.school_id == school_id, CaseManagerSetting.set_at < since)
        .order_by(CaseManagerSetting.set_at.desc(), CaseManagerSetting.id.desc())
        .limit(1)
    )
    return bool(newest)


def deletion_confirm_refusal(user, proposal, concern: AdultConcern | None) -> str | None:
    """Why this user may not confirm this proposal; None when they may. Two people, as for a
    pupil's records (mis/policy.py): another case manager of this concern, who held the role
    that makes them one before it was proposed, and was not given it by the proposer."""
    if proposal is None or proposal.confirmed_at is not None:
        return "this proposal is no longer waiting"
    if concern is None or not can_view_concern(user, concern):
        return "only a case manager of this concern confirms"
    if proposal.proposed_by_id == access(user).user_id:
        return "you proposed it"
    if concern.about_headteacher:
        roles = set(CAPABILITIES[CASE_MANAGER_FOR_HEAD])
    else:
        roles = set(CAPABILITIES[CASE_MANAGER])
        if _dsl_allowed_before(concern.school_id, proposal.proposed_at):
            roles |= CAPABILITIES[CASE_MANAGER_IF_ALLOWED]
    return second_person_refusal(
        user, roles, "a case manager", concern.school_id, proposal.proposed_at, proposal.proposed_by_id, "proposed it"
    )


def can_withdraw_deletion(user, proposal, concern: AdultConcern) -> bool:
    """Any case manager of the concern, while it waits."""
    return proposal is not None and proposal.confirmed_at is None and can_view_concern(user, concern)


# --- counts and references ----------------------------------------------------------


def report_clause(user):
    """The concerns counted on this user's termly report: those they manage, and as a
    governor or trust representative every concern at the schools they oversee. Counts
    only, never a concern; and never one naming them (a count that rose would tell them)."""
    a = access(user)
    if a.user_id is None:
        return false()
    return or_(
        visible_concerns(user),
        and_(
            AdultConcern.school_id.in_(a.oversee),
            or_(AdultConcern.subject_user_id.is_(None), AdultConcern.subject_user_id != a.user_id),
        ),
    )


def can_see_report(user) -> bool:
    return is_case_manager(user) or bool(access(user).oversee)
