"""Deleting a concern about an adult after its retention review: one case manager
proposes (with a reason), a second case manager of the same concern confirms
(adults/policy.py deletion_confirm_refusal), and only then, in the confirming
transaction, the concern goes with its follow-ups and its children's links.

The append-only triggers let these rows go only for the concern named in
adult_concern_deletion_grants (append_only.OWN_DELETION_GRANTED), which confirm()
fills and empties again before the commit, as the pupils' deletion does
(mis/deletion.py). The audit log keeps the proposal, the confirmation and the counts,
with the concern's id: never a name, a reason's text or anything the concern said."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert

from .. import audit, drafts
from ..common import claim_confirmation
from ..extensions import db
from ..models import User
from ..timefmt import now_utc
from .models import AdultConcern, AdultConcernDeletion, AdultConcernDeletionGrant, AdultConcernPupil, AdultFollowUp


REASON_REMOVED = "(removed with the concern)"


def propose(user: User, concern: AdultConcern, reason: str) -> AdultConcernDeletion:
    proposal = AdultConcernDeletion(
        concern_id=concern.id,
        school_id=concern.school_id,
        reason=reason,
        proposed_by_id=user.id,
        proposed_at=now_utc(),
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        audit.ADULT_CONCERN_DELETION_PROPOSED,
        school_id=concern.school_id,
        user=user,
        concern=concern.id,
        proposal_id=proposal.id,
    )
    return proposal


def withdraw(user: User, proposal: AdultConcernDeletion) -> None:
    audit.record(
        audit.ADULT_CONCERN_DELETION_WITHDRAWN,
        school_id=proposal.school_id,
        user=user,
        concern=proposal.concern_id,
        proposal_id=proposal.id,
    )
    db.session.delete(proposal)
    db.session.flush()


def confirm(user: User, proposal: AdultConcernDeletion) -> dict[str, int] | None:
    """Delete the concern; how many rows of each table went, or None when another
    confirmation got there first (claimed as the pupils' deletion claims its proposal)."""
    if not claim_confirmation(proposal, user.id):
        return None
    concern_id = proposal.concern_id
    db.session.execute(insert(AdultConcernDeletionGrant), [{"concern_id": concern_id}])
    counts = {
        "adult_follow_ups": db.session.execute(
            delete(AdultFollowUp).where(AdultFollowUp.concern_id == concern_id)
        ).rowcount,
        "adult_concern_pupils": db.session.execute(
            delete(AdultConcernPupil).where(AdultConcernPupil.concern_id == concern_id)
        ).rowcount,
        "adult_concerns": db.session.execute(delete(AdultConcern).where(AdultConcern.id == concern_id)).rowcount,
        # Text someone was typing on the concern's pages.
        "drafts": drafts.delete_under([f"/adult-concerns/{concern_id}"]),
    }
    db.session.execute(delete(AdultConcernDeletionGrant))
    counts = {k: v for k, v in counts.items() if v}
    proposal.result = json.dumps(counts, sort_keys=True)
    # The reason may name the adult or say what the concern was: it goes with the concern.
    proposal.reason = REASON_REMOVED
    audit.record(
        audit.ADULT_CONCERN_DELETION_CONFIRMED,
        school_id=proposal.school_id,
        user=user,
        concern=concern_id,
        proposal_id=proposal.id,
        proposed_by=proposal.proposed_by_id,
        deleted=counts,
    )
    db.session.flush()
    db.session.expire_all()
    return counts
