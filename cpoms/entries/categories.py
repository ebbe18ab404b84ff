"""Later categorisation: the safeguarding team adds a category to an entry
("now also: safeguarding") with its reason. The category the entry was recorded
as never changes; an alerting category alerts the team as creating the entry does."""

from __future__ import annotations

from flask_login import current_user

from .. import alerts, audit
from ..extensions import db
from ..formfields import choices
from ..models import Category, Entry, User
from ..timefmt import now_utc
from . import policy as entries_policy
from .forms import LaterCategoryForm
from .models import EntryCategory


def add_category(user: User, entry: Entry, category: Category, reason: str) -> EntryCategory:
    row = EntryCategory(entry=entry, category=category, added_by=user, added_at=now_utc(), reason=reason.strip())
    db.session.add(row)
    db.session.flush()
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


def alerts_team(entry: Entry) -> bool:
    """Whether the entry's category, or one added later, alerts the safeguarding team."""
    return entry.category.alerts_safeguarding_team or any(
        c.category.alerts_safeguarding_team for c in entry.later_categories
    )
