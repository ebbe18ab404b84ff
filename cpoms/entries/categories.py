"""Later categorisation: the safeguarding team adds a category to an entry
("now also: safeguarding") with its reason. The category the entry was recorded
as never changes; an alerting category alerts the team as creating the entry does."""
from __future__ import annotations

from flask_login import current_user, login_required
from sqlalchemy import select

from .. import alerts, audit, policy
from ..extensions import db
from ..formfields import as_id, choices
from ..loaders import entry_page_or_404, require_on
from ..models import Category, Entry, EntryCategory, User
from ..timefmt import now_utc
from .forms import LaterCategoryForm
from .routes import _saved, bp, entry_page, saved_once


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
    active = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.order, Category.name))
    return [c for c in active if c.id not in taken]


def form_for(entry: Entry, posted: bool = False) -> LaterCategoryForm | None:
    if not policy.can_add_category(current_user, entry):
        return None
    form = LaterCategoryForm() if posted else LaterCategoryForm(formdata=None)
    form.category.choices = choices([("", "Choose a category"), *((str(c.id), c.name) for c in addable(entry))])
    return form


def alerts_team(entry: Entry) -> bool:
    """Whether the entry's category, or one added later, alerts the safeguarding team."""
    return entry.category.alerts_safeguarding_team or any(
        c.category.alerts_safeguarding_team for c in entry.later_categories)


@bp.route("/entries/<int:entry_id>/categories", methods=["POST"], endpoint="add_category")
@login_required
@saved_once()
def add(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, policy.can_add_category(current_user, entry), "add_category")
    form = form_for(entry, posted=True)
    if not form.validate_on_submit():
        return entry_page(entry, status=422, later_category_form=form)
    # The form accepted only a category offered: one of these.
    chosen = next(c for c in addable(entry) if c.id == as_id(form.category.data))
    row = add_category(current_user, entry, chosen, form.reason.data)
    return _saved(entry, form, row.id)
