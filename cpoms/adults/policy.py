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
from ..policy import CASE_MANAGER, CASE_MANAGER_FOR_HEAD, CASE_MANAGER_IF_ALLOWED, access, holders
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
