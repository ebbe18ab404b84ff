"""Whose audit events an administrator reads."""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select

from ..audit import KEPT_APART, AuditEvent
from ..models import RoleAssignment
from ..policy import access, open_entries, open_pupils


def audit_log_scope(user):
    """The schools whose audit log this user may read, and a WHERE clause on AuditEvent
    matching exactly their events. An event belongs to the school it names (audit.record
    takes it from the entry or pupil). One that names none (signing in, a password
    change) belongs to a school's admins only when its actor works at their schools
    alone, and names no pupil or entry: what someone also did elsewhere is not theirs.
    A trust admin also reads the events of nobody at no school (the command line's)."""
    a = access(user)
    if not a.admin:
        return a.admin, false()
    elsewhere = select(RoleAssignment.user_id).where(
        or_(
            RoleAssignment.school_id.not_in(a.admin),
            and_(RoleAssignment.school_id.is_(None), RoleAssignment.trust_id.not_in(a.admin_trusts)),
        )
    )
    only_here = select(RoleAssignment.user_id).where(
        or_(RoleAssignment.school_id.in_(a.admin), RoleAssignment.trust_id.in_(a.admin_trusts)),
        RoleAssignment.user_id.not_in(elsewhere),
    )
    scope = [
        AuditEvent.school_id.in_(a.admin),
        and_(
            AuditEvent.school_id.is_(None),
            AuditEvent.pupil_id.is_(None),
            AuditEvent.entry_id.is_(None),
            AuditEvent.user_id.in_(only_here),
        ),
    ]
    if a.admin_trusts:
        scope.append(and_(AuditEvent.school_id.is_(None), AuditEvent.user_id.is_(None)))
    # Never the events of concerns about adults: the admin may be the person named. Nor
    # those about a pupil whose record they are excluded from (who looked at it, and when).
    not_withheld = and_(
        or_(AuditEvent.pupil_id.is_(None), open_pupils(user, AuditEvent.pupil_id)),
        or_(AuditEvent.entry_id.is_(None), open_entries(user, AuditEvent.entry_id)),
    )
    return a.admin, and_(or_(*scope), AuditEvent.action.not_in(KEPT_APART), not_withheld)
