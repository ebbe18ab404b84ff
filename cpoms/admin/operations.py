"""What an admin does to another person's account: one function each."""
from .. import audit
from ..auth import reset, sessions, two_factor
from ..extensions import db
from ..models import UNUSABLE_PASSWORD, RoleAssignment, User

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

def where(grant: tuple) -> dict:
    """A role and its trust, for the audit detail (its school is the event's school_id)."""
    role, _, trust_id = grant
    return {"role": role, "trust_id": trust_id}


def create_user(admin: User, name: str, email: str, grant: tuple) -> tuple[User, bool]:
    """A new account with no usable password and one role; they get the usual link to
    set a password. Returns the user and whether the mail went."""
    role, school_id, trust_id = grant
    user = User(name=name, email=email, password_hash=UNUSABLE_PASSWORD)
    user.roles.append(RoleAssignment(role=role, school_id=school_id, trust_id=trust_id))
    db.session.add(user)
    db.session.flush()
    audit.record(audit.USER_CREATED, user=admin, school_id=school_id, target_user_id=user.id, name=name,
                 email=email, **where(grant))
    return user, reset.send_link(user, forced_by=admin, new_account=True)


def set_active(admin: User, user: User, active: bool) -> None:
    """Deactivating ends every session at once; nothing the person recorded changes."""
    before = user.active
    user.active = active
    if not active:
        sessions.end_all(user.id, DEACTIVATED)
    audit.record(audit.USER_REACTIVATED if active else audit.USER_DEACTIVATED, user=admin,
                 target_user_id=user.id, old={"active": before}, new={"active": active})


def add_role(admin: User, user: User, grant: tuple) -> bool:
    """False when they hold that role there already."""
    role, school_id, trust_id = grant
    if any((a.role, a.school_id, a.trust_id) == grant for a in user.roles):
        return False
    user.roles.append(RoleAssignment(role=role, school_id=school_id, trust_id=trust_id))
    db.session.flush()
    audit.record(audit.ROLE_ADDED, user=admin, school_id=school_id, target_user_id=user.id, **where(grant))
    return True


def remove_role(admin: User, user: User, assignment: RoleAssignment) -> None:
    """The row goes; the audit log keeps that it was held, by whom it was removed and when."""
    grant = (assignment.role, assignment.school_id, assignment.trust_id)
    user.roles.remove(assignment)
    db.session.flush()
    # Their sessions' rights are worked out afresh on each request (policy.access), so
    # the role is gone from the next request on.
    audit.record(audit.ROLE_REMOVED, user=admin, school_id=assignment.school_id, target_user_id=user.id,
                 **where(grant))
