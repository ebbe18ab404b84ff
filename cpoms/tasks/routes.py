"""Completing a task: in place with htmx, or a plain form post and back."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required

from .. import audit, policy
from ..auth.routes import safe_next
from ..extensions import db
from ..htmx import partial, wants_partial
from ..loaders import entry_or_404, require_on
from ..models import Task
from . import operations

bp = Blueprint("tasks", __name__)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def complete(task_id: int):
    task = db.session.get(Task, task_id)
    if task is None:
        audit.record(audit.DENIED, what="task", task=task_id)
        abort(404)
    entry = entry_or_404(task.entry_id)
    require_on(entry, policy.can_complete_task(current_user, task), "complete task")
    operations.complete(current_user, task)
    if wants_partial():
        return partial("tasks/_status.html", task=task)
    # Back where the button was (the entry or home); home when that is not a page of this site.
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)
