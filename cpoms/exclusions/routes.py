"""Who may not read a pupil's record: the safeguarding team's page to exclude a member
of staff and to end an exclusion. Each form posts to its own route; an error shows the
page again with it."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from .. import audit, policy, submissions
from ..htmx import render
from ..loaders import exclusion_or_404, exclusions_pupil_or_404
from ..models import Pupil
from . import operations
from .forms import EndExclusionForm, ExcludeForm

bp = Blueprint("exclusions", __name__)


@bp.app_context_processor
def for_the_chronology():
    """Who is kept from the record, on the pupil's chronology (the team's view)."""
    return {"exclusions_in_force": policy.exclusions_of_pupil}


def _page(pupil: Pupil, status: int = 200, conflict: str | None = None, exclude_form=None, end_forms=None):
    if exclude_form is None:
        exclude_form = ExcludeForm(formdata=None)
    exclude_form.offer(operations.candidates(current_user, pupil), current_user.id)
    periods = operations.history(pupil.id)
    forms = {p.exclusion.id: EndExclusionForm(formdata=None) for p in periods if p.end is None}
    forms.update(end_forms or {})
    for exclusion_id, form in forms.items():
        form.reason.id = f"end-{exclusion_id}-reason"  # one of several such forms on the page
    return render(
        "exclusions/show.html",
        status_code=status,
        pupil=pupil,
        periods=periods,
        exclude_form=exclude_form,
        end_forms=forms,
        conflict=conflict,
    )


@bp.route("/pupils/<int:pupil_id>/exclusions")
@login_required
def show(pupil_id: int):
    pupil = exclusions_pupil_or_404(pupil_id)
    audit.record(audit.VIEW_RECORD_EXCLUSIONS, pupil=pupil)
    return _page(pupil)


def _done(pupil: Pupil, key: str, record_id: int):
    target = url_for("chronology.show", pupil_id=pupil.id, _anchor="exclusions")
    submissions.claim(key, record_id, target)
    return redirect(target, 303)


@bp.route("/pupils/<int:pupil_id>/exclusions/new", methods=["POST"])
@login_required
@submissions.once()
def add(pupil_id: int):
    pupil = exclusions_pupil_or_404(pupil_id)
    form = ExcludeForm()
    form.offer(operations.candidates(current_user, pupil), current_user.id)
    if not form.validate_on_submit():
        return _page(pupil, status=422, exclude_form=form)
    try:
        exclusion = operations.exclude(current_user, pupil, int(form.person.data), form.reason.data)
    except operations.Refused as exc:
        form.person.errors = [str(exc)]
        return _page(pupil, status=422, exclude_form=form)
    return _done(pupil, form.submission_key.data, exclusion.id)


@bp.route("/pupils/<int:pupil_id>/exclusions/<int:exclusion_id>/end", methods=["POST"])
@login_required
@submissions.once()
def end(pupil_id: int, exclusion_id: int):
    pupil = exclusions_pupil_or_404(pupil_id)
    exclusion = exclusion_or_404(exclusion_id, pupil)
    form = EndExclusionForm()
    if not form.validate_on_submit():
        return _page(pupil, status=422, end_forms={exclusion.id: form})
    try:
        ended = operations.end(current_user, exclusion, form.reason.data)
    except operations.Refused as exc:
        return _page(pupil, status=409, conflict=str(exc))
    return _done(pupil, form.submission_key.data, ended.id)
