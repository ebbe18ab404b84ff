from flask import Blueprint
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import alerts, policy
from ..extensions import db
from ..htmx import render
from ..models import Entry
from ..review.queries import unreviewed_count

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    recent = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.recorded_by_id == current_user.id, policy.visible_entries(current_user))
            .order_by(Entry.created_at.desc(), Entry.id.desc())
            .limit(10)
        )
    )
    review_schools = policy.review_school_ids(current_user)
    return render(
        "main/home.html",
        recent=recent,
        waiting=unreviewed_count(review_schools),
        undelivered=alerts.undelivered_count(review_schools),
    )
