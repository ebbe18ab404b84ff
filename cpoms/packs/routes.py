"""Signed child-protection files: the public page of this installation's signing keys,
receiving a pack from a school outside the trust (/transfers/import: check, confirm the
pupil, keep), and the trust's list of keys it does not trust."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, submissions
from ..attachments import storage
from ..extensions import db
from ..formfields import choices
from ..htmx import render
from ..loaders import found_or_404, received_pack_or_404, require, schools_or_403
from ..models import School, Trust
from . import fileformat, receiving, signing
from . import policy as packs_policy
from .forms import HEX64, STAGED, ConfirmPackForm, DistrustForm, UploadPackForm, normalised_fingerprint
from .models import KeyDistrust, ReceivedPack, ReceivedRecord

bp = Blueprint("packs", __name__)
UPLOAD_ENDPOINTS = {"packs.upload"}


@bp.before_app_request
def allow_a_pack():
    # Only the upload takes a body beyond MAX_CONTENT_LENGTH; a pack over the limit is refused
    # by name (413), anything larger than that by Werkzeug before it is read.
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = current_app.config["PACK_MAX_BYTES"] + current_app.config["MAX_CONTENT_LENGTH"]


@bp.app_errorhandler(signing.KeyProblem)
def key_unusable(problem: signing.KeyProblem):
    """A pack cannot be signed (the key directory's permissions): say so, rather than fail blankly."""
    db.session.rollback()
    current_app.logger.error("Pack signing key unusable: %s", problem)
    detail = "The trust's signing key cannot be used, so no pack was produced. Tell your administrator (see docs/operations.md)."
    return render("errors/error.html", status_code=503, code=503, title="Packs cannot be signed now", detail=detail)


@bp.app_context_processor
def for_the_chronology():
    return {"received_packs_of": received_packs_of}


def received_packs_of(pupil) -> list[tuple[ReceivedPack, list[ReceivedRecord], bool]]:
    """The files received about a pupil, each with its records and whether its key is now distrusted."""
    if not packs_policy.can_read_received(current_user, pupil):
        return []
    received = receiving.received_of(pupil)
    if not received:
        return []
    distrusted = receiving.distrusted(packs_policy.receiving_trust_ids(current_user))
    return [(pack, rows, pack.key_fingerprint in distrusted) for pack, rows in received]


@bp.route("/signing-keys")
def signing_keys():
    """Public: anyone holding a pack checks its key's fingerprint against this page."""
    trusts = list(db.session.scalars(select(Trust).order_by(Trust.name)))
    keys = {trust.id: signing.public_keys(trust.id) for trust in trusts}
    return render("packs/keys.html", trusts=[t for t in trusts if keys[t.id]], keys=keys)


# --- receiving ----------------------------------------------------------------------------------


def _import_page(status: int = 200, **context):
    context.setdefault("form", UploadPackForm(formdata=None))
    return render("packs/import.html", status_code=status, **context)


def _pupil_choices(form: ConfirmPackForm, pupils) -> None:
    form.pupil.choices = choices(
        [(str(p.id), f"{p.full_name}, born {p.date_of_birth:%d/%m/%Y}, UPN {p.upn} ({p.school.name})") for p in pupils]
    )


def _refused(refused: fileformat.Refused, status: int = 422, **detail):
    audit.record(audit.REFUSE_PACK, reason=str(refused)[:300], **detail)
    db.session.commit()
    return _import_page(status, refused=str(refused))


@bp.route("/transfers/import", methods=["GET", "POST"])
@login_required
def upload():
    school_ids = schools_or_403(packs_policy.import_school_ids(current_user))
    if request.method == "GET":
        return _import_page()
    form = UploadPackForm()
    if not form.validate_on_submit():
        return _import_page(422, form=form, refused="The form had expired: choose the pack and upload it again.")
    chosen = request.files.get("pack")
    if chosen is None or not (chosen.filename or "").strip():
        return _import_page(422, form=form, refused="Choose the pack (a .zip file) to upload.")
    limits = receiving.limits()
    body = chosen.stream.read(limits.max_bytes + 1)
    if len(body) > limits.max_bytes:
        return _refused(
            fileformat.Refused(f"The pack is larger than {limits.max_bytes // (1024 * 1024)} MB: refused."), 413
        )
    try:
        opened = receiving.open_checked(body, packs_policy.receiving_trust_ids(current_user))
    except fileformat.Refused as refused:
        return _refused(refused, sha256=fileformat.sha256(body))
    pupils = receiving.matching_pupils(opened, school_ids)
    staged = receiving.stage(opened, body, pupils)
    db.session.commit()
    confirm = ConfirmPackForm(formdata=None, staged=staged, pack_sha256=opened.pack_sha256)
    return _check_page(opened, pupils, confirm, school_ids, 200 if pupils else 422)


def _check_page(opened: fileformat.Opened, pupils, confirm: ConfirmPackForm, school_ids, status: int):
    """What the pack holds and who signed it, with the pupils it may be received for."""
    _pupil_choices(confirm, pupils)
    return render(
        "packs/check.html",
        status_code=status,
        opened=opened,
        summary=_summary(opened),
        pupils=pupils,
        confirm=confirm,
        upn=receiving.upn_of(opened),
        schools=db.session.scalars(select(School).where(School.id.in_(list(school_ids))).order_by(School.name)),
    )


def _summary(opened: fileformat.Opened) -> dict:
    rows = receiving.check_records(opened)
    return {
        "signer": opened.header["signed_by"],
        "signed_at": receiving.parse_time(opened.header["signed_at"]),
        "pupil": opened.records["pupil"],
        "born": receiving.parse_date(opened.records["pupil"].get("date_of_birth")),
        "entries": sum(1 for r in rows if r.kind == "entry"),
        "records": len(rows),
        "attachments": len(opened.attachments),
        "own_key": opened.fingerprint in signing.own_fingerprints(),
    }


@bp.route("/transfers/import/confirm", methods=["POST"])
@login_required
@submissions.once()
def confirm():
    school_ids = schools_or_403(packs_policy.import_school_ids(current_user))
    form = ConfirmPackForm()
    again = "The uploaded pack is no longer waiting on the server: upload it again."
    if not (STAGED.fullmatch(form.staged.data or "") and HEX64.fullmatch(form.pack_sha256.data or "")):
        return _import_page(422, refused=again)
    try:
        body = storage.read_verified(form.staged.data, form.pack_sha256.data, staged=True)
    except storage.Damaged:
        return _import_page(422, refused=again)
    try:
        opened = receiving.open_checked(body, packs_policy.receiving_trust_ids(current_user))
    except fileformat.Refused as refused:
        return _refused(refused, sha256=form.pack_sha256.data)
    pupils = receiving.matching_pupils(opened, school_ids)
    _pupil_choices(form, pupils)
    if not form.validate():
        return _check_page(opened, pupils, form, school_ids, 422)
    pupil = next(p for p in pupils if str(p.id) == form.pupil.data)
    earlier = receiving.already_received(pupil, opened)
    if earlier is not None:
        flash(f"This pack was already received, on {earlier.imported_at:%d/%m/%Y}: nothing was added.", "info")
        return redirect(url_for("chronology.show", pupil_id=pupil.id, _anchor="received-files"), 303)
    pack = receiving.receive(current_user, pupil, opened, body)
    storage.discard_staged(form.staged.data)
    target = url_for("chronology.show", pupil_id=pupil.id, _anchor="received-files")
    submissions.claim(form.submission_key.data, pack.id, target)
    flash(
        f"Received the file from {pack.sender_school}: signature verified. A receipt is on its way to them.", "success"
    )
    return redirect(target, 303)


@bp.route("/received-files/<int:pack_id>/<sha256>")
@login_required
def received_file(pack_id: int, sha256: str):
    """A file attached to a received record, out of the pack as it was received (checked again)."""
    pack = received_pack_or_404(pack_id)
    found_or_404(HEX64.fullmatch(sha256 or ""))
    try:
        data = receiving.attachment_of(pack, sha256)
    except storage.Damaged as problem:
        audit.record(audit.RECEIVED_FILE_DAMAGED, pupil=pack.pupil, received_pack=pack.id, problem=str(problem))
        db.session.commit()
        detail = f"The received pack cannot be opened: {problem}. Nothing was sent to you. Tell your administrator."
        return render("errors/error.html", status_code=409, code=409, title="This file cannot be opened", detail=detail)
    found_or_404(data)
    audit.record(audit.DOWNLOAD_RECEIVED_FILE, pupil=pack.pupil, received_pack=pack.id, sha256=sha256)
    response = make_response(data)
    # Another system's file: downloaded, never shown in the page, whatever it claims to be.
    response.mimetype = "application/octet-stream"
    response.headers["Content-Disposition"] = f'attachment; filename="received-{sha256[:16]}.bin"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- keys the trust does not trust --------------------------------------------------------------


def _keys_page(status: int = 200, form: DistrustForm | None = None):
    trust_ids = packs_policy.key_trust_ids(current_user)
    trusts = list(db.session.scalars(select(Trust).where(Trust.id.in_(list(trust_ids))).order_by(Trust.name)))
    if form is None:
        # Most people keep one trust's list: it is chosen for them.
        form = DistrustForm(formdata=None, trust=str(trusts[0].id) if len(trusts) == 1 else "")
    form.trust.choices = choices([("", "Choose the trust"), *((str(t.id), t.name) for t in trusts)])
    events = list(
        db.session.scalars(
            select(KeyDistrust).where(KeyDistrust.trust_id.in_(list(trust_ids))).order_by(KeyDistrust.id.desc())
        )
    )
    current = {
        (e.trust_id, e.fingerprint): e for e in reversed(events)
    }  # the latest row per key (events are newest first)
    return render(
        "packs/distrusted.html",
        status_code=status,
        form=form,
        trusts={t.id: t for t in trusts},
        distrusted=[e for e in current.values() if e.distrusted],
        events=events,
    )


@bp.route("/transfers/distrusted-keys")
@login_required
def distrusted_keys():
    require(bool(packs_policy.key_trust_ids(current_user)))
    return _keys_page()


def _set_trust(distrust: bool):
    require(bool(packs_policy.key_trust_ids(current_user)))
    form = DistrustForm()
    form.trust.choices = choices([(str(t), str(t)) for t in packs_policy.key_trust_ids(current_user)])
    if not form.validate_on_submit():
        return _keys_page(422, form)
    fingerprint = normalised_fingerprint(form.fingerprint.data)
    receiving.set_trust(
        current_user, int(form.trust.data), fingerprint, distrust=distrust, reason=form.reason.data.strip()
    )
    db.session.commit()
    what = "will be refused" if distrust else "are accepted again"
    flash(f"Packs signed with the key {signing.spaced(fingerprint)[:19]}… {what}.", "success")
    return redirect(url_for("packs.distrusted_keys"), 303)


@bp.route("/transfers/distrusted-keys", methods=["POST"])
@login_required
def distrust_key():
    return _set_trust(True)


@bp.route("/transfers/distrusted-keys/trust", methods=["POST"])
@login_required
def trust_key():
    return _set_trust(False)
