"""What an admin does to another person's account: one function each."""
from ..auth import reset, sessions, two_factor
from ..models import User


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
