"""Pupils from the MIS and deletion after the retention review: who imports, who
proposes a deletion, and the second person who confirms it or an earlier date of birth."""

from __future__ import annotations

from ..models import Role
from ..policy import access, reads_about_pupil, second_person_refusal


def pupil_import_school_ids(user) -> frozenset[int]:
    """Schools whose pupil list this user may import: their admins (trust admins, the trust's)."""
    return access(user).admin


def can_see_pupil_import(user, upload) -> bool:
    """An uploaded file's preview: only the admin who uploaded it, while they administer the school."""
    a = access(user)
    return upload.uploaded_by_id == a.user_id and upload.school_id in a.admin


def can_propose_deletion(user, pupil) -> bool:
    return pupil is not None and pupil.school_id in access(user).admin and reads_about_pupil(user, pupil)


def deletion_confirm_school_ids(user) -> frozenset[int]:
    """Where a user is a DSL (deputies and admins are not): whose proposals they see."""
    return access(user).confirms_deletion


def deletion_confirm_refusal(user, proposal) -> str | None:
    """Why this user may not confirm this proposal; None when they may. Two people: a DSL of
    the pupil's school who did not propose it, who held that role before it was proposed,
    and was not given it by the proposer (who could otherwise make a DSL to confirm)."""
    if proposal is None or proposal.confirmed_at is not None:
        return "this proposal is no longer waiting"
    if proposal.school_id not in deletion_confirm_school_ids(user):
        return "only a designated safeguarding lead of the pupil's school confirms"
    if proposal.proposed_by_id == access(user).user_id:
        return "you proposed it"
    return _dependence(user, proposal.school_id, proposal.proposed_at, proposal.proposed_by_id, "proposed it")


def _dependence(user, school_id: int, since, by_id: int | None, what: str) -> str | None:
    return second_person_refusal(user, {Role.DSL}, "a designated safeguarding lead", school_id, since, by_id, what)


def can_confirm_deletion(user, proposal) -> bool:
    return deletion_confirm_refusal(user, proposal) is None


def can_withdraw_deletion(user, proposal) -> bool:
    """The proposer's school's admins, or the DSL asked to confirm, may withdraw it."""
    return (
        proposal is not None
        and proposal.confirmed_at is None
        and (proposal.school_id in access(user).admin or proposal.school_id in deletion_confirm_school_ids(user))
    )


def can_see_deletion_proposal(user, proposal) -> bool:
    """A deletion still waiting for its second person, to the admins who propose and the
    DSLs who confirm at its school (what each may do with it: can_confirm/can_withdraw_deletion)."""
    return (
        proposal.confirmed_at is None
        and (
            proposal.school_id in deletion_confirm_school_ids(user)
            or proposal.school_id in pupil_import_school_ids(user)
        )
        and reads_about_pupil(user, proposal.pupil_id)
    )


def sees_date_of_birth_change(user, pupil) -> bool:
    """The DSLs of a pupil's school see an earlier date of birth from the MIS, to accept it."""
    return pupil is not None and pupil.school_id in deletion_confirm_school_ids(user) and reads_about_pupil(user, pupil)


def date_of_birth_refusal(user, pupil) -> str | None:
    """Why this user may not accept an earlier date of birth from the MIS, which brings a
    deletion closer; None when they may: a DSL of the pupil's school, a second person to
    whoever imported it, as for confirming a deletion."""
    if not sees_date_of_birth_change(user, pupil):
        return "only a designated safeguarding lead of the pupil's school accepts it"
    if pupil.retention_date_of_birth is None:
        return "there is no changed date of birth to accept"
    if pupil.retention_flagged_by_id == access(user).user_id:
        return "you imported it"
    return _dependence(user, pupil.school_id, pupil.retention_flagged_at, pupil.retention_flagged_by_id, "imported it")
