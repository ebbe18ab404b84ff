"""The second person of a deletion after the retention review: a DSL of the pupil's
school sees what an admin proposed, and confirms or withdraws it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import audit, policy
from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import date_of_birth_pupil_or_404, deletion_or_404, refuse_unless, require
from ..models import EntryPupil, Pupil
from . import deletion, retention
from . import policy as mis_policy
from .models import RetentionDeletion
from .pupils import accept_date_of_birth as accept

bp = Blueprint("deletion", __name__, url_prefix="/retention-deletions")


@bp.before_request
@login_required
def signed_in():
    pass


@bp.route("")
def pending():
    school_ids = mis_policy.deletion_confirm_school_ids(current_user)
    require(bool(school_ids))
    proposals = list(
        db.session.scalars(
            select(RetentionDeletion)
            .where(
                RetentionDeletion.school_id.in_(school_ids),
                RetentionDeletion.confirmed_at.is_(None),
                policy.open_pupils(current_user, RetentionDeletion.pupil_id),
            )
            .order_by(RetentionDeletion.proposed_at)
        )
    )
    ids = [p.pupil_id for p in proposals]
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.id.in_(ids)))}
    entries = dict(
        db.session.execute(
            select(EntryPupil.pupil_id, func.count()).where(EntryPupil.pupil_id.in_(ids)).group_by(EntryPupil.pupil_id)
        ).all()
    )
    flagged = retention.flagged(current_user, school_ids)
    audit.record(audit.VIEW_RETENTION_REVIEW, count=len(proposals), deletions=True, flagged=len(flagged))
    return render(
        "mis/deletions.html",
        proposals=proposals,
        pupils=pupils,
        entries=entries,
        flagged=flagged,
        button=BaseForm(formdata=None),
    )


def _proposal(proposal_id: int, allowed, what: str) -> RetentionDeletion:
    proposal = deletion_or_404(proposal_id)
    refuse_unless(allowed(current_user, proposal), what, pupil_id=proposal.pupil_id, proposal_id=proposal.id)
    return proposal


@bp.route("/<int:proposal_id>/confirm", methods=["POST"])
def confirm(proposal_id: int):
    proposal = _proposal(proposal_id, mis_policy.can_confirm_deletion, "confirm deletion")
    counts = deletion.confirm(current_user, proposal)
    if counts is None:
        flash("Another confirmation deleted these records a moment ago: nothing more was done.", "info")
        return redirect(url_for(".pending"), 303)
    flash(
        f"The pupil's records are deleted: {counts.get('entries', 0)} entries about them alone, and their link "
        f"to {counts.get('shared_entry_links', 0)} entries shared with other pupils. The audit log records it.",
        "success",
    )
    return redirect(url_for(".pending"), 303)


@bp.route("/<int:proposal_id>/withdraw", methods=["POST"])
def withdraw(proposal_id: int):
    proposal = _proposal(proposal_id, mis_policy.can_withdraw_deletion, "withdraw deletion")
    deletion.withdraw(current_user, proposal)
    flash("The proposal is withdrawn: nothing was deleted.", "success")
    if proposal.school_id in mis_policy.deletion_confirm_school_ids(current_user):
        return redirect(url_for(".pending"), 303)
    return redirect(url_for("mis.retention"), 303)


@bp.route("/dates-of-birth/<int:pupil_id>/accept", methods=["POST"])
def accept_date_of_birth(pupil_id: int):
    """A DSL accepts an earlier date of birth from the MIS: the retention period is then counted from it."""
    pupil = date_of_birth_pupil_or_404(pupil_id)
    refusal = mis_policy.date_of_birth_refusal(current_user, pupil)
    if refusal:
        audit.record(audit.DENIED, what="accept_date_of_birth", pupil=pupil, why=refusal)
        flash(f"The date of birth is not accepted: {refusal}.", "warning")
    else:
        accept(current_user, pupil)
        flash(
            f"{pupil.first_name} {pupil.last_name}'s retention period is now counted from "
            f"{pupil.date_of_birth:%d/%m/%Y}.",
            "success",
        )
    return redirect(url_for(".pending"), 303)
