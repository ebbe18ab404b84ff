"""Amendments: a correction appended to an entry's narrative or to a follow-up,
with its reason. Nothing saved is rewritten: the original stays, marked as
amended, and the correction is shown beneath it (who, when, why)."""

from __future__ import annotations

from flask_login import current_user

from .. import audit
from ..extensions import db
from ..formfields import choices
from ..models import Entry, FollowUp, User
from ..timefmt import now_utc, uk_datetime
from . import policy as entries_policy
from .forms import AmendmentForm
from .models import Amendment

NARRATIVE = "narrative"


def amend(user: User, entry: Entry, follow_up: FollowUp | None, text: str, reason: str) -> Amendment:
    row = Amendment(
        entry=entry,
        follow_up_id=follow_up.id if follow_up else None,
        author=user,
        created_at=now_utc(),
        text=text.strip(),
        reason=reason.strip(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(audit.AMEND, entry=entry, user=user, amendment=row.id, follow_up=follow_up.id if follow_up else None)
    return row


def targets(entry: Entry) -> dict[str, FollowUp | None]:
    """What this user may correct on this entry, by the form's value for it."""
    found: dict[str, FollowUp | None] = {}
    if entries_policy.can_amend(current_user, entry):
        found[NARRATIVE] = None
    for follow_up in entry.follow_ups:
        if entries_policy.can_amend(current_user, entry, follow_up):
            found[str(follow_up.id)] = follow_up
    return found


def _label(follow_up: FollowUp) -> str:
    return f"{follow_up.label}, {uk_datetime(follow_up.occurred_at)}, by {follow_up.author.name}"


def form_for(entry: Entry, posted: bool = False) -> AmendmentForm | None:
    allowed = targets(entry)
    if not allowed:
        return None
    form = AmendmentForm() if posted else AmendmentForm(formdata=None)
    form.target.choices = choices(
        [
            ("", "Choose what to correct"),
            *(
                (key, "What happened (the account first recorded)" if fu is None else _label(fu))
                for key, fu in allowed.items()
            ),
        ]
    )
    return form
