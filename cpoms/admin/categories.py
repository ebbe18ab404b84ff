"""The categories staff choose from: add, rename, reorder, retire. A category is never
deleted (entries keep it), and an entry shows the name its category had when it was
recorded (models.CategoryRename, Entry.category_name). They are shared by every school:
the trust's administrators change them (policy.can_edit_categories)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import category_or_404, refuse_unless, require
from ..models import Category
from . import operations
from . import policy as admin_policy
from .blueprint import bp
from .forms import ONE_OF_MANY, ChangeCategoryForm, NewCategoryForm

TAKEN = "There is already a category called {name!r}: choose another name."


def _name_taken(name: str, category_id: int | None = None) -> bool:
    query = select(Category.id).where(func.lower(Category.name) == name.lower())
    if category_id is not None:
        query = query.where(Category.id != category_id)
    return db.session.scalar(query) is not None


def _page(form: NewCategoryForm, status: int = 200, changing: tuple[int, ChangeCategoryForm] | None = None):
    found = Category.ordered()
    forms = {
        c.id: ChangeCategoryForm(
            formdata=None, prefix=f"c{c.id}", obj=c, meta=ONE_OF_MANY, data={"alerts": c.alerts_safeguarding_team}
        )
        for c in found
    }
    if changing is not None:
        forms[changing[0]] = changing[1]
    return render(
        "admin/categories.html",
        categories=found,
        forms=forms,
        form=form,
        button=BaseForm(formdata=None),
        status_code=status,
    )


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    form = NewCategoryForm(formdata=request.form if request.method == "POST" else None)
    require(admin_policy.can_edit_categories(current_user))
    if request.method == "POST":
        if _valid(form):
            last = db.session.scalar(select(func.max(Category.order))) or 0
            category = Category(
                name=form.name.data,
                description=form.description.data,
                alerts_safeguarding_team=form.alerts.data,
                active=True,
                order=last + 1,
            )
            db.session.add(category)
            db.session.flush()
            audit.record(
                audit.CATEGORY_ADDED,
                category_id=category.id,
                new={
                    "name": category.name,
                    "alerts": category.alerts_safeguarding_team,
                    "description": category.description,
                },
            )
            flash(f"{category.name} is added at the end of the list, and offered on the log form.", "success")
            return redirect(url_for(".categories"), 303)
        return _page(form, 422)
    return _page(form)


def _valid(form, category_id: int | None = None) -> bool:
    if not form.validate():
        return False
    if _name_taken(form.name.data, category_id):
        form.name.errors = [TAKEN.format(name=form.name.data)]
        return False
    return True


def _category(category_id: int) -> Category:
    category = category_or_404(category_id)
    refuse_unless(admin_policy.can_edit_categories(current_user), "change category", category_id=category.id)
    return category


@bp.route("/categories/<int:category_id>", methods=["POST"])
def change_category(category_id: int):
    category = _category(category_id)
    form = ChangeCategoryForm(prefix=f"c{category.id}", meta=ONE_OF_MANY)
    if not _valid(form, category.id):
        return _page(NewCategoryForm(formdata=None), 422, changing=(category.id, form))
    try:
        changed = operations.change_category(
            current_user, category, form.name.data, form.alerts.data, form.active.data, form.reason.data or ""
        )
    except operations.CategoryRefused as refused:
        field = form.alerts if category.always_alerts else form.reason
        field.errors = [*field.errors, str(refused)]
        return _page(NewCategoryForm(formdata=None), 422, changing=(category.id, form))
    if changed is None:
        flash(f"Nothing was changed on {category.name}.", "info")
        return redirect(url_for(".categories"), 303)
    flash(
        f"{category.name} is saved."
        + (
            ""
            if category.active
            else " It is no longer offered on the log form; entries keep it and it stays in the filters."
        ),
        "success",
    )
    return redirect(url_for(".categories"), 303)


@bp.route("/categories/<int:category_id>/move", methods=["POST"])
def move_category(category_id: int):
    """Up or down one place: the whole list is renumbered, so the order is always 1..n."""
    category = _category(category_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    found = Category.ordered()
    at = found.index(category)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(found):
        found[at], found[to] = found[to], found[at]
        before = [c.id for c in Category.ordered()]
        for number, c in enumerate(found, start=1):
            c.order = number
        audit.record(
            audit.CATEGORY_MOVED,
            category_id=category.id,
            direction=direction,
            old={"order": before},
            new={"order": [c.id for c in found]},
        )
    return redirect(url_for(".categories", _anchor=f"category-{category.id}"), 303)
