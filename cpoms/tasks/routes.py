"""Completing a task: in place with htmx, or a plain form post and back."""

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from ..common import safe_next
from ..htmx import partial, wants_partial
from ..loaders import require_on, task_or_404
from . import operations
from . import policy as tasks_policy

bp = Blueprint("tasks", __name__)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def complete(task_id: int):
    task = task_or_404(task_id)
    require_on(task.entry, tasks_policy.can_complete_task(current_user, task), "complete task")
    operations.complete(current_user, task)
    if wants_partial():
        return partial("tasks/_status.html", task=task)
    # Back where the button was (the entry or home); home when that is not a page of this site.
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)
