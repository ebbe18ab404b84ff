"""Attachments: adding files to an entry after it was saved, downloading them, and
previews of images. Every file is served only through here, after policy.py says
the user may read its entry, and every download is audited."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import audit, security_headers, submissions
from ..bodymap import areas as body_areas
from ..common import size_label
from ..entries.routes import entry_page
from ..loaders import attachment_or_404, entry_page_or_404, found_or_404, require_on
from ..models import Entry
from . import names, operations, sniff, storage, uploads
from . import policy as attachments_policy
from .forms import AddAttachmentForm
from .models import Attachment

bp = Blueprint("attachments", __name__)

# The routes whose forms send files: only they accept a body beyond MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = frozenset({"log.new", "entries.add_follow_up", "attachments.add"})
# Text fields of a form with files still have the app's limits: one part of at most this.
TEXT_PART_MAX = 512 * 1024


@bp.app_url_value_preprocessor
def allow_files(endpoint, values):
    # Runs before every before_request hook (the CSRF check reads the body first).
    if endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        request.max_content_length = (
            uploads.max_bytes() * uploads.max_files() + current_app.config["MAX_CONTENT_LENGTH"]
        )
        request.max_form_memory_size = TEXT_PART_MAX


@bp.app_errorhandler(413)
def too_large(exc):
    detail = "Please shorten it and try again."
    if request.endpoint in UPLOAD_ENDPOINTS:
        detail = (
            f"Files can be up to {size_label(uploads.max_bytes())} each, "
            f"{uploads.max_files()} at a time. Nothing was saved: please go back and choose smaller files."
        )
    return render_template("errors/error.html", code=413, title="That was too large to send", detail=detail), 413


@bp.app_template_global()
def attachments_of(entry: Entry, follow_up_id: int | None = None, every: bool = False) -> list[Attachment]:
    """The attachments of an entry (or of one of its follow-ups; or `every` one) that its
    page loaded: pages that do not load them (selectinload) show none, rather than query per row."""
    return [a for a in entry.__dict__.get("attachments", ()) if every or a.follow_up_id == follow_up_id]


@bp.app_template_global()
def body_marks_of(entry: Entry) -> list:
    return list(entry.__dict__.get("body_marks", ()))


bp.add_app_template_global(body_areas.title_of, "body_area_title")


def _damaged(attachment: Attachment, entry: Entry, problem: storage.Damaged):
    audit.record(audit.ATTACHMENT_DAMAGED, entry=entry, attachment=attachment.id, problem=str(problem))
    current_app.logger.error("Attachment %s of entry %s: %s", attachment.id, entry.id, problem)
    detail = (
        f"“{attachment.filename}” cannot be opened: {problem}. It has not been sent to you, so that "
        "nothing altered is passed on. Please tell your school's administrator."
    )
    return render_template("errors/error.html", code=409, title="This file cannot be opened safely", detail=detail), 409


def _disposition(kind: str, filename: str) -> str:
    """RFC 6266 with RFC 5987's filename* for the real (UTF-8) name."""
    return f"{kind}; filename=\"{names.ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _file_response(data: bytes, attachment: Attachment, kind: str):
    response = make_response(data)
    response.headers["Content-Type"] = attachment.content_type
    response.headers["Content-Disposition"] = _disposition(kind, attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, the file is never a page of this site: the usual policy, sandboxed
    # (no scripts, no forms, a unique origin).
    policy = security_headers.content_security_policy(current_app.config.get("HTMX_CDN_URL", ""))
    response.headers["Content-Security-Policy"] = f"{policy}; sandbox"
    return response


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment, entry = attachment_or_404(attachment_id)
    try:
        data = storage.read_verified(attachment.stored_name, attachment.sha256)
    except storage.Damaged as problem:
        return _damaged(attachment, entry, problem)
    audit.record(audit.DOWNLOAD_ATTACHMENT, entry=entry, attachment=attachment.id)
    return _file_response(data, attachment, "attachment")


@bp.route("/attachments/<int:attachment_id>/preview")
@login_required
def preview(attachment_id: int):
    attachment, entry = attachment_or_404(attachment_id)
    found_or_404(attachment.is_image)
    try:
        data = storage.read_verified(attachment.stored_name, attachment.sha256)
    except storage.Damaged as problem:
        return _damaged(attachment, entry, problem)
    try:  # checked again before a browser is asked to show it inline
        kind = sniff.identify(data)
    except sniff.Refused:
        kind = None
    found_or_404(kind in sniff.IMAGES and kind.content_type == attachment.content_type)
    audit.record(audit.PREVIEW_ATTACHMENT, entry=entry, attachment=attachment.id)
    return _file_response(data, attachment, "inline")


@bp.route("/entries/<int:entry_id>/attachments", methods=["POST"])
@login_required
@submissions.once()
def add(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, attachments_policy.can_add_attachment(current_user, entry), "attachment")
    form = AddAttachmentForm()
    valid = form.validate_on_submit()
    checked = uploads.from_request()
    if checked.valid and not checked.uploads:
        checked.errors.append("Choose a file to attach.")
    if not (valid and checked.valid):
        return entry_page(
            entry, status=422, attachment_form=form, attachment_errors=[*checked.errors, *form.submission_key.errors]
        )
    operations.attach(current_user, entry, checked.uploads)
    target = url_for("entries.show", entry_id=entry.id, _anchor="attachments")
    submissions.claim(form.submission_key.data, None, target)
    count = len(checked.uploads)
    flash(f"{count} file{'s' if count > 1 else ''} attached.", "success")
    return redirect(target, 303)
