"""Importing a school's pupils from a CSV exported from its MIS: upload, preview
every row's outcome, confirm, see what was done."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, policy
from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import require
from ..models import PupilImport, School
from . import imports, pupils
from .csvfile import FileProblem
from .forms import UploadForm
from .retention import LOOK_AHEAD, due

bp = Blueprint("mis", __name__, url_prefix="/admin/pupils")

# A 10,000-pupil export is about 1 MB: room for the largest trust school, and no more.
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# Rows listed on the preview page per outcome; the counts always cover the whole file.
PREVIEW_ROWS = 500


@bp.url_value_preprocessor
def allow_the_file(endpoint, values):
    # Runs before every before_request hook (the CSRF check reads the body first), so
    # only this route accepts more than the app's 1 MiB MAX_CONTENT_LENGTH.
    if endpoint == "mis.upload":
        request.max_content_length = current_app.config.get("PUPIL_IMPORT_MAX_BYTES", UPLOAD_MAX_BYTES)


@bp.before_request
@login_required
def admins_only():
    if request.routing_exception is None:  # a wrong method is a 405, as everywhere else
        require(bool(policy.pupil_import_school_ids(current_user)))


def _schools() -> list[School]:
    ids = policy.pupil_import_school_ids(current_user)
    return list(db.session.scalars(select(School).where(School.id.in_(ids)).order_by(School.name)))


@bp.route("/import", methods=["GET", "POST"])
def upload():
    schools = _schools()
    form = UploadForm()
    form.school.choices = [(s.slug, s.name) for s in schools]
    if request.method == "POST" and form.validate():
        school = next(s for s in schools if s.slug == form.school.data)
        try:
            rows = pupils.parse(form.file.data.read())
        except FileProblem as problem:
            form.file.errors = [str(problem)]
        else:
            if not rows:
                form.file.errors = ["The file has headings but no pupils: export the list again from the MIS."]
            else:
                upload = imports.store(current_user, school, (form.file.data.filename or "").replace("\x00", "") or "upload.csv", rows,
                                       form.full.data)
                return redirect(url_for(".preview", upload_id=upload.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("mis/upload.html", form=form, columns=pupils.COLUMNS, status_code=status)


def _upload_or_404(upload_id: str) -> PupilImport:
    """Only the admin who uploaded a file sees its preview, and only while they administer the school."""
    upload = db.session.get(PupilImport, upload_id) if len(upload_id) <= 32 else None
    if upload is None or not policy.can_see_pupil_import(current_user, upload):
        abort(404)
    return upload


@bp.route("/import/<upload_id>")
def preview(upload_id: str):
    upload = _upload_or_404(upload_id)
    if upload.applied_at is not None:
        return render("mis/result.html", upload=upload, counts=json.loads(upload.result))
    plan = imports.preview(upload)
    return render("mis/preview.html", upload=upload, plan=plan, counts=plan.counts(), outcomes=pupils.OUTCOMES,
                  shown=PREVIEW_ROWS, button=BaseForm(formdata=None))


@bp.route("/import/<upload_id>", methods=["POST"])
def confirm(upload_id: str):
    upload = _upload_or_404(upload_id)
    if upload.applied_at is None:
        counts = imports.confirm(upload, current_user)
        flash(f"Import done: {pupils.summary(counts)}.", "success")
    return redirect(url_for(".preview", upload_id=upload.id), 303)


@bp.route("/retention")
def retention():
    years = current_app.config["RETENTION_YEARS"]
    today = pupils.today()
    found = due(policy.pupil_import_school_ids(current_user), years, today)
    audit.record(audit.VIEW_RETENTION_REVIEW, count=len(found))
    return render("mis/retention.html", due=found, years=years, today=today, horizon=today + LOOK_AHEAD)
