"""Administering accounts, roles, categories and schools: who gives which role where,
and who acts on whose account."""

from __future__ import annotations

from sqlalchemy import false, or_, select

from ..models import Role, RoleAssignment, School, User
from ..policy import access


def can_edit_categories(user) -> bool:
    """Categories are shared by every school of the trust: a trust-wide setting, changed by
    the trust's administrators only, never by one school's (DESIGN.md)."""
    return bool(access(user).admin_trusts)


def administered_users(user):
    """A WHERE clause on User: the people with a role where this user is an admin."""
    a = access(user)
    if not (a.admin or a.admin_trusts):
        return false()
    return User.id.in_(
        select(RoleAssignment.user_id).where(
            or_(
                RoleAssignment.school_id.in_(a.admin),
                RoleAssignment.trust_id.in_(a.admin_trusts),
                RoleAssignment.school_id.in_(select(School.id).where(School.trust_id.in_(a.admin_trusts))),
            )
        )
    )


def can_administer_user(user, target) -> bool:
    """An admin of a school acts on the accounts of people with a role there (a
    trust admin, across the trust); never on their own account from here."""
    a = access(user)
    if target is None or a.user_id in (None, target.id):
        return False
    for role in target.roles:
        school_trust = role.school.trust_id if role.school is not None else None
        if role.school_id in a.admin or role.trust_id in a.admin_trusts or school_trust in a.admin_trusts:
            return True
    return False


# Roles an admin gives at a school. Trust representatives and trust-wide admins are
# given across a trust, by that trust's admins only.
SCHOOL_ROLES = (
    Role.STAFF,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.SLT,
    Role.GOVERNOR,
    Role.ADMIN,
    Role.HEADTEACHER,
    Role.CHAIR_OF_GOVERNORS,
)


TRUST_ROLES = (Role.TRUST_REP, Role.ADMIN)


def grantable_roles(user) -> list[tuple[str, int | None, int | None]]:
    """(role, school_id, trust_id) this user may give or take away: school roles at the
    schools they administer, trust-wide roles in the trusts they administer."""
    a = access(user)
    at_schools = [(role, school_id, None) for school_id in sorted(a.admin) for role in SCHOOL_ROLES]
    across_trusts = [(role, None, trust_id) for trust_id in sorted(a.admin_trusts) for role in TRUST_ROLES]
    return at_schools + across_trusts


def can_grant(user, role: str, school_id: int | None, trust_id: int | None) -> bool:
    a = access(user)
    if school_id is not None:
        return trust_id is None and role in SCHOOL_ROLES and school_id in a.admin
    return trust_id is not None and role in TRUST_ROLES and trust_id in a.admin_trusts


def grant_refusal(user, target, role: str, school_id: int | None, trust_id: int | None) -> str | None:
    """Why this user may not give this role to target, or take it away (target None: an
    account about to be made); None when they may. The one rule for every way a role
    changes hands: the users page and the staff import, on the web and the command line."""
    a = access(user)
    if a.user_id is None:
        return "only a signed-in administrator gives or removes roles"
    if target is not None and target.id == a.user_id:
        return "nobody gives themselves a role or removes their own: another administrator must"
    if not can_grant(user, role, school_id, trust_id):
        return f"you cannot give or remove the role {Role.LABELS.get(role, role)} there"
    return None


def can_deactivate_user(user, target) -> bool:
    """Deactivating ends a whole account: only for someone every role of whom this
    admin administers. Anyone else loses their role here instead."""
    return can_administer_user(user, target) and all(
        can_grant(user, r.role, r.school_id, r.trust_id) for r in target.roles
    )


def can_manage_schools(user) -> bool:
    return bool(access(user).admin_trusts)


def manageable_trust_ids(user) -> frozenset[int]:
    return access(user).admin_trusts


def can_see_role_assignment(user, assignment) -> bool:
    """A role is seen by whoever administers its holder (taking it away is can_grant)."""
    return can_administer_user(user, assignment.user)


def can_view_category(user, category) -> bool:
    """Categories are shared by every school: everyone with a role sees them (changing them: can_edit_categories)."""
    return bool(access(user).member or access(user).admin_trusts)


def can_manage_school(user, school) -> bool:
    return school.trust_id in manageable_trust_ids(user)
