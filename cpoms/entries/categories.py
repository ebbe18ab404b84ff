"""Later categorisation: the safeguarding team adds a category to an entry
("now also: safeguarding") with its reason. The category the entry was recorded
as never changes; an alerting category alerts the team as creating the entry does."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import func, select, update

from .. import alerts, audit
from ..extensions import db
from ..formfields import choices
from ..models import Category, Entry, EntryState, User
from ..timefmt import now_utc
from . import policy as entries_policy
from .forms import LaterCategoryForm
from .models import EntryCategory, alerts_team


def add_category(user: User, entry: Entry, category: Category, reason: str) -> EntryCategory:
    _hold_flag_of(entry)
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


# Two writes at once must not leave a flag worked out without the other's change (on
# PostgreSQL each statement sees what was committed when it began). Locks are taken in one
# order, categories before states, so no two of these writes wait on each other in a ring:
# - a change to a category's alerting takes the change lock (one at a time: two changes
#   would otherwise lock their entries' states in different orders), then the category's
#   row FOR UPDATE, then sets its entries' flags;
# - adding a category holds every category FOR KEY SHARE (a few dozen rows: the entry's
#   categories may be growing under it), then its state's row FOR UPDATE, so that two added
#   to one entry at once are worked out one after the other;
# - logging holds its category FOR KEY SHARE through the entry's foreign key.
# Whichever comes second waits, then reads what the first committed. (SQLite: one writer.)
ALERTING_CHANGE_LOCK = 0x63706F6D73  # "cpoms": pg_advisory_xact_lock's key for the change lock


def hold_category_for_alerting_change(category_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(ALERTING_CHANGE_LOCK)))
    db.session.execute(select(Category.id).where(Category.id == category_id).with_for_update())


def _hold_flag_of(entry: Entry) -> None:
    db.session.execute(select(Category.id).order_by(Category.id).with_for_update(key_share=True))
    db.session.execute(select(EntryState.entry_id).where(EntryState.entry_id == entry.id).with_for_update())


def keep_alerts_team(*where) -> None:
    """entry_states.alerts_team set anew from what it means (models.alerts_team) on the
    rows where `where` holds: one UPDATE, in the caller's transaction. States loaded in
    the session are refreshed from it (an entry's page reads its state's flag)."""
    db.session.flush()
    db.session.execute(
        update(EntryState).where(*where).values(alerts_team=alerts_team(EntryState.entry_id)),
        execution_options={"synchronize_session": "fetch"},
    )
