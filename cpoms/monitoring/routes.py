"""A pupil's monitoring: the page where the safeguarding team starts, reviews and
ends it. Each form posts to its own route; an error shows the page again with it."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from .. import audit, submissions
from ..common import uk_today
from ..htmx import render
from ..loaders import monitoring_pupil_or_404
from ..models import Pupil
from . import operations
from .forms import EndMonitoringForm, ReviewMonitoringForm, StartMonitoringForm
from .queries import periods_of

bp = Blueprint("monitoring", __name__)


def _page(pupil: Pupil, status: int = 200, conflict: str | None = None, **forms):
    context = {
        "start_form": StartMonitoringForm(formdata=None, starts_on=uk_today()),
        "review_form": ReviewMonitoringForm(formdata=None),
        "end_form": EndMonitoringForm(formdata=None),
    }
    context.update(forms)
    return render(
        "monitoring/show.html",
        status_code=status,
        pupil=pupil,
        state=operations.state_of(pupil),
        periods=periods_of(pupil.id, current_user),
        conflict=conflict,
        **context,
    )


@bp.route("/pupils/<int:pupil_id>/monitoring")
@login_required
def show(pupil_id: int):
    pupil = monitoring_pupil_or_404(pupil_id)
    audit.record(audit.VIEW_MONITORING, pupil=pupil)
    return _page(pupil)


def _change(pupil_id: int, form_class, form_name: str, change):
    pupil = monitoring_pupil_or_404(pupil_id)
    state = operations.state_of(pupil)
    if (form_name == "start_form") == bool(state and state.active):
        # The page no longer holds this form (someone else started or ended the monitoring):
        # say so, rather than showing errors next to a form that is not there.
        message = "already on" if form_name == "start_form" else "not on"
        return _page(pupil, status=409, conflict=f"This pupil is {message} the monitoring list.")
    form = form_class()
    if not form.validate_on_submit():
        return _page(pupil, status=422, **{form_name: form})
    try:
        event = change(pupil, form)
    except operations.WrongState as exc:
        return _page(pupil, status=409, conflict=str(exc))
    target = url_for("chronology.show", pupil_id=pupil.id, _anchor="monitoring")
    submissions.claim(form.submission_key.data, event.id, target)
    return redirect(target, 303)


@bp.route("/pupils/<int:pupil_id>/monitoring/start", methods=["POST"])
@login_required
@submissions.once()
def start(pupil_id: int):
    return _change(
        pupil_id,
        StartMonitoringForm,
        "start_form",
        lambda pupil, f: operations.start(current_user, pupil, f.reason.data, f.starts_on.data, f.review_on.data),
    )


@bp.route("/pupils/<int:pupil_id>/monitoring/review", methods=["POST"])
@login_required
@submissions.once()
def review(pupil_id: int):
    return _change(
        pupil_id,
        ReviewMonitoringForm,
        "review_form",
        lambda pupil, f: operations.review(current_user, pupil, f.note.data, f.review_on.data),
    )


@bp.route("/pupils/<int:pupil_id>/monitoring/end", methods=["POST"])
@login_required
@submissions.once()
def end(pupil_id: int):
    return _change(
        pupil_id, EndMonitoringForm, "end_form", lambda pupil, f: operations.end(current_user, pupil, f.reason.data)
    )
