"""Setting up the signed-in person's two-factor sign-in."""

from .. import audit
from ..auth import sessions, two_factor
from ..auth.models import UserSession
from ..models import User

SETUP_ENDED = "This set-up has ended. Scan the new QR code below, then enter the code your app shows for it."
CODE_REFUSED = "That code did not work. Check the time on your phone and enter the code it shows now."


def finish_setup(user: User, row: UserSession, code: str) -> tuple[list[str] | None, str | None]:
    """Enrol with the code the authenticator shows: (recovery codes, None), or (None, why not)."""
    codes = two_factor.confirm_setup(user, row, code)
    if codes is None:
        return None, SETUP_ENDED if row.totp_setup_secret is None else CODE_REFUSED
    sessions.start(user, two_factor=True)  # the code proves it: a new, verified session
    audit.record(audit.TWO_FACTOR_ENROLLED, user=user)
    return codes, None


def setup_key(user: User, row: UserSession, again: bool) -> str:
    """The key to show. A code that did not work keeps the key this session was shown (the
    person may have mistyped); anything else is a new attempt with a new key."""
    secret = row.totp_setup_secret if again else two_factor.begin_setup(row)
    audit.record(audit.TWO_FACTOR_SETUP_SHOWN, user=user, session_id=row.id, again=again)
    return secret
