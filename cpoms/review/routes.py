"""The safeguarding team's queue: what is waiting, and for how long."""

from flask import Blueprint, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import alerts, audit, policy
from ..common import uk_today
from ..extensions import db
from ..formfields import page_number
from ..htmx import render
from ..loaders import require
from ..models import Category, School
from ..monitoring import policy as monitoring_policy
from ..monitoring.queries import monitored
from ..tasks.queries import overdue_tasks
from .queries import STATUSES, highest_risks, review_queue, unreviewed_count

bp = Blueprint("review", __name__)


@bp.route("/review")
@login_required
def queue():
    allowed = policy.review_school_ids(current_user)
    require(bool(allowed))
    schools = list(db.session.scalars(select(School).where(School.id.in_(allowed)).order_by(School.name)))
    school = next((s for s in schools if s.slug == request.args.get("school")), None)
    school_ids = [school.id] if school else [s.id for s in schools]
    categories = list(db.session.scalars(select(Category).order_by(Category.order, Category.name)))
    category_id = request.args.get("category", type=int)
    if category_id not in {c.id for c in categories}:
        category_id = None
    status = request.args.get("status", "open")
    if status not in STATUSES:
        status = "open"
    page = page_number(10_000)
    entries, has_more = review_queue(school_ids, category_id, status, page)
    watched = monitored(monitoring_policy.monitoring_list_school_ids(current_user) & set(school_ids))
    late = overdue_tasks(monitoring_policy.monitoring_list_school_ids(current_user) & set(school_ids), uk_today())
    # The queue shows excerpts of narratives: which ones each person saw is kept.
    audit.record(
        audit.VIEW_QUEUE,
        school_id=school.id if school else None,
        entries=[e.id for e in entries],
        status=status,
        category=category_id,
        page=page,
        monitored=[m.pupil_id for m in watched],
        overdue_tasks=[t.id for t in late],
    )
    return render(
        "review/queue.html",
        block="queue",
        entries=entries,
        risks=highest_risks([e.id for e in entries]),
        has_more=has_more,
        page=page,
        schools=schools,
        school=school,
        categories=categories,
        category_id=category_id,
        status=status,
        statuses=STATUSES,
        waiting=unreviewed_count(school_ids),
        undelivered=alerts.undelivered_count(school_ids),
        failed=alerts.failed_count(policy.alert_retry_school_ids(current_user) & set(school_ids)),
        monitored=watched,
        overdue_tasks=late,
    )
