from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from .. import alerts, audit, policy
from ..common import safe_next
from ..htmx import render
from ..loaders import require
from .queries import home_page

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    page = home_page(current_user)
    audit.record_excerpts(
        {
            "recent": page["recent"],
            "latest": page["latest"],
            "shared": [entry for _, entry in page["shared"]],
            "tasks": [task.entry for task in page["my_tasks"]],
        }
    )
    return render("main/home.html", **page)


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
