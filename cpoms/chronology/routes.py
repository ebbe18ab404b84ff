"""A pupil's chronology: their entries and follow-ups in the order things happened.

A long chronology is paged, still oldest first. Page numbers count from the
oldest entry, so a page's address keeps showing the same entries as new ones are
logged; without a page asked for, the reader lands on the latest page (what
happened most recently, in order) and pages back through "Earlier entries".
With htmx, reaching the end of a page fetches the next one into place.
"""

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..htmx import render, wants_partial
from ..loaders import chronology_pupil_or_404, follow_up_or_404, require_on
from ..models import Category, Kind
from ..monitoring.queries import periods_of
from . import exports
from . import policy as chronology_policy
from .models import KeyEvent
from .queries import STATUSES, VIEWS, Filters, everything, page_of, shown_follow_ups

bp = Blueprint("chronology", __name__)

# The element whose scrolling into view asks for the next page.
MORE_TRIGGER = "chronology-more"


def _filters(args, categories) -> Filters:
    return Filters.from_args(args, {c.id for c in categories})


@bp.route("/pupils/<int:pupil_id>/chronology")
@login_required
def show(pupil_id: int):
    pupil = chronology_pupil_or_404(pupil_id)
    categories = Category.ordered()
    filters = _filters(request.args, categories)
    page = page_of(current_user, pupil, filters, request.args.get("page", type=int))
    audit.record(
        audit.VIEW_CHRONOLOGY, pupil=pupil, category=filters.category_id, page=page.page, **exports.shown_ids(page)
    )
    more = wants_partial() and request.headers.get("HX-Trigger") == MORE_TRIGGER
    return render(
        "chronology/show.html",
        block="more" if more else "chronology",
        pupil=pupil,
        categories=categories,
        filters=filters,
        chronology=page,
        views=VIEWS,
        statuses=STATUSES,
        kinds=Kind.LABELS,
        more_trigger=MORE_TRIGGER,
        shown_follow_ups=shown_follow_ups,
        monitoring=[] if more else periods_of(pupil.id, current_user),
    )


@bp.route("/pupils/<int:pupil_id>/chronology.csv")
@login_required
def export_csv(pupil_id: int):
    return _export(pupil_id, audit.EXPORT_CHRONOLOGY_CSV, exports.csv_response)


@bp.route("/pupils/<int:pupil_id>/chronology.pdf")
@login_required
def export_pdf(pupil_id: int):
    return _export(pupil_id, audit.EXPORT_CHRONOLOGY_PDF, exports.pdf_response)


def _export(pupil_id: int, action: str, respond):
    """Everything of the chronology the filters select, audited with what it held."""
    pupil = chronology_pupil_or_404(pupil_id)
    filters = _filters(request.args, Category.ordered())
    chronology = everything(current_user, pupil, filters)
    audit.record(action, pupil=pupil, filters=filters.args(), **exports.shown_ids(chronology))
    return respond(pupil, chronology)


@bp.route("/follow-ups/<int:follow_up_id>/key-event", methods=["POST"])
@login_required
def mark_key_event(follow_up_id: int):
    """Marks are kept for good (append-only): marking again changes nothing."""
    follow_up = follow_up_or_404(follow_up_id)
    entry = follow_up.entry
    require_on(entry, chronology_policy.can_mark_key_events(current_user, entry), "mark key event")
    if db.session.scalar(select(KeyEvent.id).where(KeyEvent.follow_up_id == follow_up.id)) is None:
        db.session.add(KeyEvent(follow_up_id=follow_up.id, marked_by_id=current_user.id))
        audit.record(audit.MARK_KEY_EVENT, entry=entry, follow_up=follow_up.id)
    pupil_id = request.form.get("pupil", type=int)
    if pupil_id in {p.id for p in entry.pupils}:
        back = _filters(request.form, Category.ordered()).args(page=request.form.get("page", type=int))
        return redirect(url_for("chronology.show", pupil_id=pupil_id, **back) + f"#follow-up-{follow_up.id}", 303)
    return redirect(url_for("entries.show", entry_id=entry.id) + "#activity", 303)
