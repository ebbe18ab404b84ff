"""A pupil's chronology: their entries and follow-ups in the order things happened."""
from flask import Blueprint, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, policy
from ..extensions import db
from ..htmx import render
from ..loaders import chronology_pupil_or_404
from ..models import Category, Entry, EntryPupil

bp = Blueprint("chronology", __name__)


@bp.route("/pupils/<int:pupil_id>/chronology")
@login_required
def show(pupil_id: int):
    pupil = chronology_pupil_or_404(pupil_id)
    categories = list(db.session.scalars(select(Category).order_by(Category.order, Category.name)))
    category_id = request.args.get("category", type=int)
    if category_id not in {c.id for c in categories}:
        category_id = None
    query = (
        select(Entry)
        .join(EntryPupil, EntryPupil.entry_id == Entry.id)
        .where(EntryPupil.pupil_id == pupil.id, policy.visible_entries(current_user))
        .options(selectinload(Entry.follow_ups))
        .order_by(Entry.occurred_at, Entry.id)
    )
    if category_id:
        query = query.where(Entry.category_id == category_id)
    entries = list(db.session.scalars(query).unique())
    audit.record(audit.VIEW_CHRONOLOGY, pupil=pupil, category=category_id)
    return render(
        "chronology/show.html",
        block="chronology",
        pupil=pupil,
        entries=entries,
        categories=categories,
        category_id=category_id,
    )
