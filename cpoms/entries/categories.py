"""Later categorisation: the safeguarding team adds a category to an entry
("now also: safeguarding") with its reason. The category the entry was recorded
as never changes; an alerting category alerts the team as creating the entry does."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import update

from .. import alerts, audit
from ..extensions import db
from ..formfields import choices
from ..models import Category, Entry, EntryState, User
from ..timefmt import now_utc
from . import policy as entries_policy
from .forms import LaterCategoryForm
from .models import EntryCategory, alerts_team


def add_category(user: User, entry: Entry, category: Category, reason: str) -> EntryCategory:
    row = EntryCategory(entry=entry, category=category, added_by=user, added_at=now_utc(), reason=reason.strip())
    db.session.add(row)
    keep_alerts_team(EntryState.entry_id == entry.id)
    audit.record(audit.ADD_CATEGORY, entry=entry, user=user, category=category.name, entry_category=row.id)
    alerts.queue_for_entry(entry, later_category=category)
    return row


def addable(entry: Entry) -> list[Category]:
    """Active categories the entry has neither been recorded as nor been given since."""
    taken = {entry.category_id, *(c.category_id for c in entry.later_categories)}
    return [c for c in Category.ordered(active_only=True) if c.id not in taken]


def form_for(entry: Entry, posted: bool = False) -> LaterCategoryForm | None:
    if not entries_policy.can_add_category(current_user, entry):
        return None
    form = LaterCategoryForm() if posted else LaterCategoryForm(formdata=None)
    form.category.choices = choices([("", "Choose a category"), *((str(c.id), c.name) for c in addable(entry))])
    return form


def keep_alerts_team(*where) -> None:
    """entry_states.alerts_team set anew from what it means (models.alerts_team) on the
    rows where `where` holds: one UPDATE, in the caller's transaction. States loaded in
    the session are refreshed from it (an entry's page reads its state's flag)."""
    db.session.flush()
    db.session.execute(
        update(EntryState).where(*where).values(alerts_team=alerts_team(EntryState.entry_id)),
        execution_options={"synchronize_session": "fetch"},
    )
