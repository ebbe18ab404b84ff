from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import alerts, audit, policy
from ..common import safe_next
from ..extensions import db
from ..htmx import render
from ..loaders import require
from ..log.queries import shared_with
from ..models import Entry
from ..review.queries import unreviewed_count
from ..tasks import policy as tasks_policy
from ..tasks.queries import my_open_tasks

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
    # Governors and trust representatives log nothing and have no queue: they
    # start from the latest entries of their schools (read-only, by initials).
    latest = []
    if not recent and not review_schools and policy.reads_whole_school(current_user):
        latest = list(
            db.session.scalars(
                select(Entry)
                .where(policy.visible_entries(current_user))
                .order_by(Entry.created_at.desc(), Entry.id.desc())
                .limit(25)
            )
        )
    shared = shared_with(current_user)
    my_tasks = my_open_tasks(current_user.id, tasks_policy.task_school_ids(current_user))
    audit.record_excerpts(
        {
            "recent": recent,
            "latest": latest,
            "shared": [entry for _, entry in shared],
            "tasks": [task.entry for task in my_tasks],
        }
    )
    return render(
        "main/home.html",
        recent=recent,
        latest=latest,
        waiting=unreviewed_count(review_schools),
        undelivered=alerts.undelivered_count(review_schools),
        failed=alerts.failed_count(policy.alert_retry_school_ids(current_user)),
        mail_health=alerts.mail_health(mail_schools)
        if (mail_schools := policy.alert_retry_school_ids(current_user))
        else None,
        shared=shared,
        my_tasks=my_tasks,
    )


@bp.route("/alerts/retry", methods=["POST"])
@login_required
def retry_alerts():
    """Queue every failed alert of the schools this user looks after again."""
    schools = policy.alert_retry_school_ids(current_user)
    require(bool(schools))
    count = alerts.requeue_failed(school_ids=schools)
    audit.record(audit.RETRY_ALERTS, alerts=count, schools=sorted(schools))
    flash(alerts.requeued_message(count), "success" if count else "info")
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)


@bp.route("/hidden")
def hidden():
    """The "hide screen" button without JavaScript: a page showing nothing of the
    record, with a way back to the page it hid (from Referer: same site only)."""
    back = urlsplit(request.referrer or "")
    path = urlunsplit(("", "", back.path, back.query, ""))
    same_site = back.netloc == request.host and back.path != request.path
    return render("main/hidden.html", back=(safe_next(path) if same_site else None) or "/")
