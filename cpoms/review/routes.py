"""The safeguarding team's queue: what is waiting, and for how long."""

from flask import Blueprint, request
from flask_login import current_user, login_required

from .. import audit, policy
from ..htmx import render
from ..loaders import require
from ..models import Category
from .forms import QueueFilter
from .queries import queue_page, reviewed_schools

bp = Blueprint("review", __name__)


@bp.route("/review")
@login_required
def queue():
    require(bool(policy.review_school_ids(current_user)))
    categories = Category.ordered()
    chosen = QueueFilter.from_args(request.args, reviewed_schools(current_user), categories)
    page = queue_page(current_user, chosen, categories)
    # The queue shows excerpts of narratives: which ones each person saw is kept.
    audit.record(
        audit.VIEW_QUEUE,
        school_id=chosen.school.id if chosen.school else None,
        entries=[e.id for e in page["entries"]],
        status=chosen.status,
        category=chosen.category_id,
        page=chosen.page,
        monitored=[m.pupil_id for m in page["monitored"]],
        key=chosen.key,
        overdue_tasks=[t.id for t in page["overdue_tasks"]],
    )
    return render("review/queue.html", block="queue", **page)
