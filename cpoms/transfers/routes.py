"""Child-protection file transfers: started from a pupil's chronology by their
school's safeguarding team; within the trust the receiving team accepts (or
declines) the file in the app, outside it the sender downloads a transfer pack
and records the receipt. The dashboard shows what is pending, sent, overdue,
received and declined. A subject-access export hands over everything held
about one pupil, recorded each time it is produced."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, submissions
from ..common import uk_today
from ..extensions import db
from ..formfields import OnceForm, choices
from ..htmx import render
from ..loaders import chronology_pupil_or_404, refuse_unless, schools_or_403, transfer_or_404
from ..models import Pupil, School
from ..packs import build as packs
from . import operations, queries
from . import policy as transfers_policy
from .forms import OUTSIDE, AcceptForm, DeclineForm, ReceiptForm, SentForm, StartTransferForm, SubjectAccessForm
from .models import SubjectAccessExport, Transfer, TransferStatus
from .schooldays import receipt_due

bp = Blueprint("transfers", __name__)


@bp.app_context_processor
def for_the_chronology():
    """What the pupil's chronology page shows of transfers and subject-access exports."""
    return {"file_history_of": queries.file_history}


@bp.route("/transfers")
@login_required
def dashboard():
    school_ids = schools_or_403(transfers_policy.transfer_school_ids(current_user))
    board = queries.dashboard(current_user, school_ids)
    audit.record(audit.VIEW_TRANSFERS)
    return render("transfers/dashboard.html", board=board, receipt_due=receipt_due, today=uk_today())


def _destinations(pupil: Pupil) -> list[School]:
    return list(
        db.session.scalars(
            select(School)
            .where(School.trust_id == pupil.school.trust_id, School.id != pupil.school_id)
            .order_by(School.name)
        )
    )


@bp.route("/pupils/<int:pupil_id>/transfer", methods=["GET", "POST"])
@login_required
@submissions.once()
def start(pupil_id: int):
    pupil = chronology_pupil_or_404(pupil_id)
    refuse_unless(transfers_policy.can_start_transfer(current_user, pupil), "start transfer", pupil=pupil)
    form = StartTransferForm()
    destinations = _destinations(pupil)
    form.destination.choices = choices(
        [("", "Choose a school"), *((str(s.id), s.name) for s in destinations), (OUTSIDE, "A school outside the trust")]
    )
    already = queries.open_transfer(pupil.id)
    if already is None and form.validate_on_submit():
        to_school = None
        if form.destination.data != OUTSIDE:
            # The form accepted only a school offered: one of these.
            to_school = next(s for s in destinations if str(s.id) == form.destination.data)
        transfer = operations.start(
            current_user,
            pupil,
            to_school=to_school,
            destination_name=(form.destination_name.data or "").strip(),
            contact_name=(form.contact_name.data or "").strip(),
            contact_email=(form.contact_email.data or "").strip(),
            method=form.method.data,
            sent_on=form.sent_on.data,
        )
        target = url_for("transfers.show", transfer_id=transfer.id)
        submissions.claim(form.submission_key.data, transfer.id, target)
        flash("Transfer started." if transfer.sent_on is None else "Transfer recorded as sent.", "success")
        return redirect(target, 303)
    status = 200
    if form.is_submitted():
        status = 409 if already is not None else 422
    return render("transfers/start.html", status_code=status, pupil=pupil, form=form, already=already)


def _show(transfer: Transfer, status: int = 200, conflict: str | None = None, **forms):
    forms = {
        "sent_form": SentForm(formdata=None),
        "accept_form": AcceptForm(formdata=None),
        "decline_form": DeclineForm(formdata=None),
        "receipt_form": ReceiptForm(formdata=None),
        **forms,
    }
    return render(
        "transfers/show.html",
        status_code=status,
        transfer=transfer,
        conflict=conflict,
        overdue=queries.overdue(transfer),
        receipt_due=receipt_due,
        **forms,
    )


@bp.route("/transfers/<int:transfer_id>")
@login_required
def show(transfer_id: int):
    transfer = transfer_or_404(transfer_id)
    audit.record(audit.VIEW_TRANSFER, pupil=transfer.pupil, transfer=transfer.id)
    return _show(transfer)


def _acting(transfer_id: int, allowed, what: str, in_trust: bool | None = None) -> Transfer:
    """The transfer, for a step this user may take; 403 (audited) when they may not.
    A step the transfer is past (a second click, a stale page) is a 409 by the caller."""
    transfer = transfer_or_404(transfer_id)
    refuse_unless(
        allowed(current_user, transfer) and (in_trust is None or transfer.in_trust == in_trust),
        what,
        pupil=transfer.pupil,
        transfer=transfer.id,
    )
    return transfer


def _step(
    transfer_id: int,
    *,
    allowed,
    what: str,
    expected: str,
    form_class,
    form_name: str | None,
    act,
    done,
    in_trust: bool | None = None,
):
    """One step a transfer takes (sent, accepted, declined, received): for a user who may
    take it (else 403), while the transfer waits for it (else 409: a second click, a stale
    page), with a valid form (else 422, the form shown again). act(transfer, form) takes the
    step; done(transfer) gives the message and where to go next."""
    transfer = _acting(transfer_id, allowed, what, in_trust)
    form = form_class()
    shown = {form_name: form} if form_name else {}
    if transfer.status != expected:
        return _show(
            transfer, 409, conflict=f"This transfer is now “{transfer.status_label}”: nothing was changed.", **shown
        )
    if not form.validate_on_submit():
        return _show(transfer, 422, **shown)
    act(transfer, form)
    message, next_url = done(transfer)
    if isinstance(form, OnceForm):  # a step that records something new (the receipt): once per submission
        submissions.claim(form.submission_key.data, transfer.id, next_url)
    flash(message, "success")
    return redirect(next_url, 303)


def _to_transfer(transfer: Transfer) -> str:
    return url_for("transfers.show", transfer_id=transfer.id)


@bp.route("/transfers/<int:transfer_id>/sent", methods=["POST"])
@login_required
def mark_sent(transfer_id: int):
    return _step(
        transfer_id,
        allowed=transfers_policy.can_send_transfer,
        what="mark transfer sent",
        expected=TransferStatus.STARTED,
        form_class=SentForm,
        form_name="sent_form",
        act=lambda transfer, form: operations.mark_sent(current_user, transfer, form.sent_on.data),
        done=lambda transfer: ("Recorded as sent.", _to_transfer(transfer)),
    )


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@login_required
def accept(transfer_id: int):
    return _step(
        transfer_id,
        allowed=transfers_policy.can_receive_transfer,
        what="accept transfer",
        expected=TransferStatus.SENT,
        form_class=AcceptForm,
        form_name=None,
        act=lambda transfer, form: operations.accept(current_user, transfer),
        done=lambda transfer: (
            f"File accepted: {transfer.pupil.full_name}'s records are now with {transfer.to_school.name}.",
            url_for("chronology.show", pupil_id=transfer.pupil_id),
        ),
    )


@bp.route("/transfers/<int:transfer_id>/decline", methods=["POST"])
@login_required
def decline(transfer_id: int):
    return _step(
        transfer_id,
        allowed=transfers_policy.can_receive_transfer,
        what="decline transfer",
        expected=TransferStatus.SENT,
        form_class=DeclineForm,
        form_name="decline_form",
        act=lambda transfer, form: operations.decline(current_user, transfer, form.reason.data.strip()),
        done=lambda transfer: ("File declined. The sending school sees your reason.", url_for("transfers.dashboard")),
    )


@bp.route("/transfers/<int:transfer_id>/receipt", methods=["POST"])
@login_required
@submissions.once()
def record_receipt(transfer_id: int):
    return _step(
        transfer_id,
        allowed=transfers_policy.can_send_transfer,
        what="record transfer receipt",
        in_trust=False,
        expected=TransferStatus.SENT,
        form_class=ReceiptForm,
        form_name="receipt_form",
        act=lambda transfer, form: operations.record_receipt(
            current_user,
            transfer,
            confirmed_by=form.confirmed_by.data.strip(),
            on_date=form.on_date.data,
            note=(form.note.data or "").strip() or None,
        ),
        done=lambda transfer: ("Receipt recorded.", _to_transfer(transfer)),
    )


def _zip(built: packs.Pack):
    response = make_response(built.body)
    response.mimetype = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{built.file_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/transfers/<int:transfer_id>/pack.zip")
@login_required
def download_pack(transfer_id: int):
    """For a school outside the trust: the signed child-protection file (docs/cp-file-format.md)."""
    transfer = _acting(transfer_id, transfers_policy.can_send_transfer, "transfer pack", in_trust=False)
    recipient = {
        "school": transfer.destination,
        "contact_name": transfer.contact_name,
        "contact_email": transfer.contact_email,
    }
    built = packs.build(transfer.pupil, "transfer", queries.of_pupil(transfer.pupil_id), recipient=recipient)
    audit.record(
        audit.EXPORT_TRANSFER_PACK,
        pupil=transfer.pupil,
        school_id=transfer.from_school_id,
        transfer=transfer.id,
        entries=built.entries,
        follow_ups=built.follow_ups,
        sha256=built.sha256,
        reference=built.reference,
        manifest_sha256=built.manifest_sha256,
        key=built.fingerprint,
    )
    return _zip(built)


@bp.route("/pupils/<int:pupil_id>/subject-access", methods=["POST"])
@login_required
def subject_access(pupil_id: int):
    """Everything held about one pupil (PDF and JSON), recorded each time it is produced."""
    pupil = chronology_pupil_or_404(pupil_id)
    refuse_unless(
        transfers_policy.can_produce_subject_access(current_user, pupil), "subject-access export", pupil=pupil
    )
    if not SubjectAccessForm().validate_on_submit():
        flash("The export could not be produced: please try again.", "error")
        return redirect(url_for("chronology.show", pupil_id=pupil.id), 303)
    built = packs.build(pupil, "subject-access", queries.of_pupil(pupil.id))
    db.session.add(
        SubjectAccessExport(
            pupil_id=pupil.id,
            produced_by_id=current_user.id,
            entries=built.entries,
            follow_ups=built.follow_ups,
            sha256=built.sha256,
        )
    )
    audit.record(
        audit.EXPORT_SUBJECT_ACCESS,
        pupil=pupil,
        entries=built.entries,
        follow_ups=built.follow_ups,
        sha256=built.sha256,
        reference=built.reference,
        manifest_sha256=built.manifest_sha256,
        key=built.fingerprint,
    )
    return _zip(built)
