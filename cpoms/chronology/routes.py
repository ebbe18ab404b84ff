"""A pupil's chronology: their entries and follow-ups in the order things happened.

A long chronology is paged, still oldest first. Page numbers count from the
oldest entry, so a page's address keeps showing the same entries as new ones are
logged; without a page asked for, the reader lands on the latest page (what
happened most recently, in order) and pages back through "Earlier entries".
"""
from flask import Blueprint, request
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit, policy
from ..extensions import db
from ..htmx import render
from ..loaders import chronology_pupil_or_404
from ..models import Category, Entry, EntryPupil

bp = Blueprint("chronology", __name__)

PER_PAGE = 50


@bp.route("/pupils/<int:pupil_id>/chronology")
@login_required
def show(pupil_id: int):
    pupil = chronology_pupil_or_404(pupil_id)
    categories = list(db.session.scalars(select(Category).order_by(Category.order, Category.name)))
    category_id = request.args.get("category", type=int)
    if category_id not in {c.id for c in categories}:
        category_id = None
    where = [EntryPupil.pupil_id == pupil.id, policy.visible_entries(current_user)]
    if category_id:
        where.append(Entry.category_id == category_id)
    total = db.session.scalar(
        select(func.count(Entry.id)).join(EntryPupil, EntryPupil.entry_id == Entry.id).where(*where)
    ) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, request.args.get("page", pages, type=int)), pages)
    # The page's ids first: sorting a long chronology by time touches only two
    # narrow columns; the full rows are loaded for the fifty shown.
    ids = list(db.session.scalars(
        select(Entry.id)
        .join(EntryPupil, EntryPupil.entry_id == Entry.id)
        .where(*where)
        .order_by(Entry.occurred_at, Entry.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ))
    entries = list(db.session.scalars(
        select(Entry).where(Entry.id.in_(ids)).options(selectinload(Entry.follow_ups))
        .order_by(Entry.occurred_at, Entry.id)
    ).unique()) if ids else []
    audit.record(audit.VIEW_CHRONOLOGY, pupil=pupil, category=category_id,
                 entries=[e.id for e in entries], page=page)
    return render(
        "chronology/show.html",
        block="chronology",
        pupil=pupil,
        entries=entries,
        categories=categories,
        category_id=category_id,
        total=total,
        page=page,
        pages=pages,
        first_shown=(page - 1) * PER_PAGE + 1,
    )
