"""Importing a school's pupils from a CSV exported from its MIS: upload, preview
every row's outcome, confirm, see what was done."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..admin.forms import ONE_OF_MANY
from ..common import uk_today
from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import proposable_pupil_or_404, pupil_import_or_404, require
from ..models import School
from . import deletion, imports, pupils
from . import policy as mis_policy
from .csvfile import FileProblem
from .forms import ConfirmImportForm, ProposeDeletionForm, StaffUploadForm, UploadForm
from .retention import LOOK_AHEAD, due, ends, flagged

bp = Blueprint("mis", __name__, url_prefix="/admin")

# A 10,000-pupil export is about 1 MB: room for the largest trust school, and no more.
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# Rows listed on the preview page per outcome; the counts always cover the whole file.
PREVIEW_ROWS = 500
# How the pages name a kind of file's rows: (plural, the key column, its heading, where to upload another).
NOUNS = {"pupils": ("pupils", "UPN", "mis.upload"), "staff": ("staff", "Email", "mis.staff_upload")}


@bp.url_value_preprocessor
def allow_the_file(endpoint, values):
    # Runs before every before_request hook (the CSRF check reads the body first), so
    # only this route accepts more than the app's 1 MiB MAX_CONTENT_LENGTH.
    if endpoint in ("mis.upload", "mis.staff_upload"):
        request.max_content_length = current_app.config.get("PUPIL_IMPORT_MAX_BYTES", UPLOAD_MAX_BYTES)


@bp.before_request
@login_required
def admins_only():
    if request.routing_exception is None:  # a wrong method is a 405, as everywhere else
        require(bool(mis_policy.pupil_import_school_ids(current_user)))


def _schools() -> list[School]:
    ids = mis_policy.pupil_import_school_ids(current_user)
    return list(db.session.scalars(select(School).where(School.id.in_(ids)).order_by(School.name)))


def _upload(kind: str, form: StaffUploadForm):
    schools = _schools()
    form.school.choices = [(s.slug, s.name) for s in schools]
    reader = imports.KINDS[kind]
    if request.method == "POST" and form.validate():
        school = next(s for s in schools if s.slug == form.school.data)
        try:
            rows = reader.parse(form.file.data.read())
        except FileProblem as problem:
            form.file.errors = [str(problem)]
        else:
            if not rows:
                form.file.errors = [f"The file has headings but no {kind}: export the list again from the MIS."]
            else:
                filename = (form.file.data.filename or "").replace("\x00", "") or "upload.csv"
                full = "full" in form and form.full.data
                upload = imports.store(current_user, school, filename, rows, full, kind=kind)
                return redirect(url_for(".preview", upload_id=upload.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("mis/upload.html", form=form, columns=reader.columns, kind=kind, status_code=status)


@bp.route("/pupils/import", methods=["GET", "POST"])
def upload():
    return _upload("pupils", UploadForm())


@bp.route("/staff/import", methods=["GET", "POST"])
def staff_upload():
    return _upload("staff", StaffUploadForm())


@bp.route("/pupils/import/<upload_id>")
def preview(upload_id: str):
    upload = pupil_import_or_404(upload_id)
    if upload.applied_at is not None:
        return render("mis/result.html", upload=upload, counts=json.loads(upload.result), noun=NOUNS[upload.kind])
    return _preview(upload, imports.preview(upload, current_user), ConfirmImportForm(formdata=None))


def _preview(upload, plan, form: ConfirmImportForm, status: int = 200):
    return render(
        "mis/preview.html",
        upload=upload,
        plan=plan,
        counts=plan.counts(),
        outcomes=pupils.OUTCOMES,
        noun=NOUNS[upload.kind],
        shown=PREVIEW_ROWS,
        form=form,
        status_code=status,
    )


@bp.route("/pupils/import/<upload_id>", methods=["POST"])
def confirm(upload_id: str):
    upload = pupil_import_or_404(upload_id)
    if upload.applied_at is None:
        form = ConfirmImportForm()
        plan = imports.preview(upload, current_user)
        if plan.many_leave and not form.leavers.data:
            left = plan.counts()[pupils.LEFT]
            form.leavers.errors = [
                f"Nothing has been imported: tick the box to confirm that {left} "
                f"{'pupil has' if left == 1 else 'pupils have'} left, or choose another file."
            ]
            return _preview(upload, plan, form, 422)
        counts = imports.confirm(upload, current_user)
        if counts is None:
            flash(
                "This file was imported a moment ago, by another confirmation: it has not been applied twice. "
                "Here is what that import did.",
                "info",
            )
        else:
            flash(f"Import done: {pupils.summary(counts)}.", "success")
    return redirect(url_for(".preview", upload_id=upload.id), 303)


@bp.route("/pupils/retention")
def retention():
    return _retention()


def _retention(status: int = 200, failed: tuple[int, ProposeDeletionForm] | None = None):
    years = current_app.config["RETENTION_YEARS"]
    today = uk_today()
    found = due(current_user, mis_policy.pupil_import_school_ids(current_user), years, today)
    audit.record(audit.VIEW_RETENTION_REVIEW, count=len(found))
    forms = {
        d.pupil.id: ProposeDeletionForm(formdata=None, prefix=f"p{d.pupil.id}", meta=ONE_OF_MANY)
        for d in found
        if d.until <= today
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render(
        "mis/retention.html",
        due=found,
        years=years,
        today=today,
        horizon=today + LOOK_AHEAD,
        flagged=flagged(current_user, mis_policy.pupil_import_school_ids(current_user)),
        forms=forms,
        proposed=deletion.pending_for([d.pupil.id for d in found]),
        button=BaseForm(formdata=None),
        status_code=status,
    )


@bp.route("/pupils/retention/<int:pupil_id>/propose", methods=["POST"])
def propose_deletion(pupil_id: int):
    """An admin proposes deleting a pupil's records whose retention period has ended."""
    pupil = proposable_pupil_or_404(pupil_id)
    form = ProposeDeletionForm(prefix=f"p{pupil.id}", meta=ONE_OF_MANY)
    if ends(pupil, current_app.config["RETENTION_YEARS"]) > uk_today():
        flash(
            f"{pupil.first_name} {pupil.last_name}'s records are still within the retention period: "
            "they cannot be proposed for deletion yet.",
            "warning",
        )
    elif deletion.pending_for([pupil.id]):
        flash("A deletion of these records is already proposed, waiting for a DSL.", "info")
    elif not form.validate():
        return _retention(status=422, failed=(pupil.id, form))
    else:
        deletion.propose(current_user, pupil, form.reason.data)
        flash(
            f"Deleting {pupil.first_name} {pupil.last_name}'s records is proposed. A designated safeguarding "
            f"lead of {pupil.school.name} must confirm it, on the page {url_for('deletion.pending', _external=True)}, "
            "before anything is deleted: send them that address.",
            "success",
        )
    return redirect(url_for(".retention", _anchor=f"pupil-{pupil.id}"), 303)
