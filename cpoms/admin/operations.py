"""What an admin does to another person's account: one function each."""

from sqlalchemy import select

from .. import audit
from ..auth import reset, sessions, two_factor
from ..entries.categories import hold_category_for_alerting_change, keep_alerts_team
from ..entries.models import CategoryRename, in_category
from ..extensions import db
from ..models import UNUSABLE_PASSWORD, Category, Entry, EntryState, RoleAssignment, User
from ..timefmt import now_utc
from . import policy as admin_policy

DEACTIVATED = "deactivated"  # why their sessions ended


def force_password_reset(admin: User, user: User) -> bool:
    """End every session, make the old password unusable and email a reset link.
    Returns whether the mail went."""
    user.make_password_unusable()
    sessions.end_all(user.id, sessions.ADMIN_RESET)
    return reset.send_link(user, forced_by=admin)


def reset_two_factor(user: User) -> None:
    """Forget the authenticator and recovery codes; they enrol again at next sign-in."""
    two_factor.turn_off(user)
    sessions.end_all(user.id, sessions.TWO_FACTOR_RESET)


# --- accounts and roles ------------------------------------------------------------
# Every way a role changes hands comes through add_role and remove_role: the users page,
# the staff import (web and command line) and create-user. Only the demo builds roles itself.

USERS_PAGE, STAFF_IMPORT, COMMAND_LINE = "users page", "staff import", "command line"


class GrantRefused(Exception):
    """A role this granter may not give or take away; the message says why."""


def where(grant: tuple) -> dict:
    """A role and its trust, for the audit detail (its school is the event's school_id)."""
    role, _, trust_id = grant
    return {"role": role, "trust_id": trust_id}


def _check(granter: User | None, user: User | None, grant: tuple) -> None:
    """granter None is the operator at the server (create-user): they hold the database
    itself, so no rule binds them, and the audit says it was them."""
    if granter is not None:
        refusal = admin_policy.grant_refusal(granter, user, *grant)
        if refusal:
            raise GrantRefused(refusal)


def create_user(
    admin: User | None, name: str, email: str, grant: tuple, via: str = USERS_PAGE, mail: bool = True
) -> tuple[User, bool]:
    """A new account with no usable password and one role; they get the usual link to
    set a password (unless mail is False). Returns the user and whether the mail went."""
    _check(admin, None, grant)
    user = User(name=name, email=email, password_hash=UNUSABLE_PASSWORD)
    db.session.add(user)
    db.session.flush()
    audit.record(
        audit.USER_CREATED,
        user=admin,
        school_id=grant[1],
        target_user_id=user.id,
        name=name,
        email=email,
        via=via,
        **where(grant),
    )
    add_role(admin, user, grant, via)
    return user, mail and reset.send_link(user, forced_by=admin, new_account=True)


def set_active(admin: User, user: User, active: bool) -> None:
    """Deactivating ends every session at once; nothing the person recorded changes."""
    before = user.active
    user.active = active
    if not active:
        sessions.end_all(user.id, DEACTIVATED)
    audit.record(
        audit.USER_REACTIVATED if active else audit.USER_DEACTIVATED,
        user=admin,
        target_user_id=user.id,
        old={"active": before},
        new={"active": active},
    )


def add_role(granter: User | None, user: User, grant: tuple, via: str = USERS_PAGE) -> bool:
    """Give a role, if policy lets this granter give it to this person (GrantRefused if
    not). False when they hold that role there already."""
    _check(granter, user, grant)
    role, school_id, trust_id = grant
    if any((a.role, a.school_id, a.trust_id) == grant for a in user.roles):
        return False
    user.roles.append(
        RoleAssignment(
            role=role,
            school_id=school_id,
            trust_id=trust_id,
            granted_at=now_utc(),
            granted_by_id=granter.id if granter is not None else None,
        )
    )
    db.session.flush()
    audit.record(
        audit.ROLE_ADDED,
        user=granter,
        school_id=school_id,
        target_user_id=user.id,
        via=via,
        operator=granter is None,
        **where(grant),
    )
    return True


def remove_role(granter: User | None, user: User, assignment: RoleAssignment, via: str = USERS_PAGE) -> None:
    """The row goes; the audit log keeps that it was held, by whom it was removed and when."""
    grant = (assignment.role, assignment.school_id, assignment.trust_id)
    _check(granter, user, grant)
    user.roles.remove(assignment)
    db.session.flush()
    # Their sessions' rights are worked out afresh on each request (policy.access), so
    # the role is gone from the next request on.
    audit.record(
        audit.ROLE_REMOVED,
        user=granter,
        school_id=assignment.school_id,
        target_user_id=user.id,
        via=via,
        operator=granter is None,
        **where(grant),
    )


# --- the trust-wide categories ---------------------------------------------------------


class CategoryRefused(Exception):
    """A change to a category nobody may make, or not without a reason; says why."""


ALWAYS_ALERTS = (
    "The school's policy is that every safeguarding entry alerts every member of the safeguarding "
    "team: {name}'s alert cannot be switched off."
)


def change_category(
    admin: User, category: Category, name: str, alerts: bool, active: bool, reason: str = ""
) -> dict | None:
    """Rename, retire or change whom a category alerts; returns what changed (None:
    nothing did). Entries recorded until now keep showing the old name."""
    if category.always_alerts and not alerts:
        raise CategoryRefused(ALWAYS_ALERTS.format(name=category.name))
    old = {"name": category.name, "alerts": category.alerts_safeguarding_team, "active": category.active}
    new = {"name": name, "alerts": alerts, "active": active}
    if old == new:
        return None
    alerting_changes = new["alerts"] != old["alerts"]
    if alerting_changes and not reason:
        raise CategoryRefused(
            "Say why the alerting changes: it decides who hears of every entry of this category, at every school."
        )
    if alerting_changes:
        hold_category_for_alerting_change(category.id)
    if new["name"] != old["name"]:
        db.session.add(
            CategoryRename(
                category_id=category.id,
                old_name=old["name"],
                new_name=new["name"],
                renamed_at=now_utc(),
                renamed_by_id=admin.id,
            )
        )
    category.name, category.alerts_safeguarding_team, category.active = name, alerts, active
    changed = {k for k in old if old[k] != new[k]}
    if alerting_changes:
        # The review queue leads with what alerts the team now: every entry recorded as or
        # given this category is looked at again (another of its categories may still alert).
        keep_alerts_team(EntryState.entry_id.in_(select(Entry.id).where(in_category(category.id))))
    audit.record(
        audit.CATEGORY_CHANGED,
        user=admin,
        category_id=category.id,
        old={k: old[k] for k in changed},
        new={k: new[k] for k in changed},
        **({"reason": reason} if alerting_changes else {}),
    )
    return new
