"""The one way in: every route loads the record it reads or acts on through here.

`load` asks a policy.py predicate whether the current user may have the record. A
record they may not have answers exactly as one that does not exist, or an id that
could not exist: 404, the same page, and one audit.DENIED row naming what was asked
for. Routes never get records or abort with 403/404 themselves (tests/test_one_way_in.py).
"""

from __future__ import annotations

import re
from typing import NoReturn

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from . import audit, policy
from .admin import policy as admin_policy
from .attachments import policy as attachments_policy
from .attachments.models import Attachment
from .chronology import policy as chronology_policy
from .exclusions import policy as exclusions_policy
from .exclusions.models import RecordExclusion
from .extensions import db
from .formfields import as_id
from .guidance import policy as guidance_policy
from .guidance.models import GuidanceVersion
from .mis import policy as mis_policy
from .mis.models import PupilImport, RetentionDeletion
from .models import Category, Entry, FollowUp, Pupil, RoleAssignment, School, Trust, User
from .monitoring import policy as monitoring_policy
from .sso import policy as sso_policy
from .sso.models import SignInProvider
from .packs import policy as packs_policy
from .packs.models import ReceivedPack
from .tasks import policy as tasks_policy
from .tasks.models import Task
from .transfers import policy as transfers_policy
from .transfers.models import Transfer

# A text key (an import's preview address) is URL-safe random text of this length at most.
TEXT_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _key(model, record_id):
    """The primary key asked for, or None when no record could have it (so never a 500)."""
    column = next(iter(model.__table__.primary_key.columns))
    if column.type.python_type is str:
        text = str(record_id)
        return text if TEXT_KEY.fullmatch(text) else None
    return as_id(record_id)


def find(
    model,
    record_id,
    allowed,
    *,
    what: str,
    audit_as: str | None = None,
    options=(),
    within: dict | None = None,
    context=None,
    refusal: str = audit.DENIED,
):
    """The record, or None (audited as DENIED) when it is missing or `allowed(current_user,
    record)` refuses it. For a record named inside a form (the entry a link goes to),
    where the caller answers with a form error; routes use `load`.

    `audit_as` is how the refusal records the id: "entry_id" and "pupil_id" fill the
    audit columns, any other name goes into the detail (default: `what`). `within` pins
    the record to the parent the address names (a role of the user in the URL).
    `context(record)` names the entry or pupil a refused record belongs to, so that the
    refusal is on that child's record too (a missing one has none). `refusal` is the audit
    action a refusal writes: an area whose events are kept apart has its own."""
    key = _key(model, record_id)
    record = db.session.get(model, key, options=options) if key is not None else None
    if (
        record is None
        or any(getattr(record, name) != value for name, value in (within or {}).items())
        or not allowed(current_user, record)
    ):
        asked = {audit_as or what: key} if key is not None else {"asked": str(record_id)[:100]}
        if record is not None and context is not None:
            asked.update(context(record))
        audit.record(refusal, what=what, **asked)
        return None
    return record


def load(
    model,
    record_id,
    allowed,
    *,
    what: str,
    audit_as: str | None = None,
    options=(),
    within: dict | None = None,
    context=None,
    refusal: str = audit.DENIED,
):
    """The record if policy lets the current user have it; otherwise 404, audited (see `find`)."""
    record = find(
        model,
        record_id,
        allowed,
        what=what,
        audit_as=audit_as,
        options=options,
        within=within,
        context=context,
        refusal=refusal,
    )
    if record is None:
        abort(404)
    return record


def refuse(what: str, **audited) -> NoReturn:
    """A write on a record the user may read but not change: 403, audited."""
    audit.record(audit.DENIED, what=what, **audited)
    abort(403)


def refuse_unless(allowed: bool, what: str, **audited) -> None:
    if not allowed:
        refuse(what, **audited)


def require_on(entry: Entry, allowed: bool, what: str) -> None:
    """A write on an entry the user may read but not change: 403, audited."""
    refuse_unless(allowed, what, entry=entry)


def require(allowed: bool) -> None:
    """For pages that are not a record (the log form, the review queue): 403."""
    if not allowed:
        abort(403)


def schools_or_403(school_ids: frozenset[int]) -> frozenset[int]:
    """For pages over whole schools (search, reports, reviews): none of them, 403."""
    require(bool(school_ids))
    return school_ids


def found_or_404(thing):
    """Something that is not a record and is simply not there (a report table by name,
    the preview of a file that is not an image): 404, nothing refused, nothing audited."""
    if thing is None or thing is False:
        abort(404)
    return thing


# --- entries and what hangs off them ------------------------------------------------

# What the entry page shows: attachments and body-map marks are a few rows each, joined
# into the entry's own query.
ENTRY_PAGE = (
    selectinload(Entry.follow_ups),
    selectinload(Entry.later_categories),
    selectinload(Entry.amendments),
    joinedload(Entry.attachments),
    joinedload(Entry.body_marks),
)


def _of_entry(record) -> dict:
    return {"entry_id": record.entry_id}


def _of_pupil(record) -> dict:
    return {"pupil_id": record.pupil_id}


def entry_or_404(entry_id: int, options=()) -> Entry:
    return load(Entry, entry_id, policy.can_view_entry, what="entry", audit_as="entry_id", options=options)


def entry_page_or_404(entry_id: int) -> Entry:
    """An entry with everything its page shows."""
    return entry_or_404(entry_id, options=ENTRY_PAGE)


def entry_to_link(entry_id: int) -> Entry | None:
    """The other entry of a link, typed by number: None (audited) when it cannot be read."""
    return find(Entry, entry_id, policy.can_view_entry, what="link_to", audit_as="entry_id")


def follow_up_or_404(follow_up_id: int) -> FollowUp:
    return load(
        FollowUp, follow_up_id, policy.can_view_follow_up, what="follow-up", audit_as="follow_up", context=_of_entry
    )


def task_or_404(task_id: int) -> Task:
    return load(Task, task_id, tasks_policy.can_view_task, what="task", context=_of_entry)


def attachment_or_404(attachment_id: int) -> tuple[Attachment, Entry]:
    """A file and its entry, for whoever may open the entry's files."""
    attachment = load(
        Attachment, attachment_id, attachments_policy.can_open_attachment, what="attachment", context=_of_entry
    )
    return attachment, db.session.get(Entry, attachment.entry_id)


# --- pupils ----------------------------------------------------------------------


def chronology_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, policy.can_view_chronology, what="chronology", audit_as="pupil_id")


def viewers_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, chronology_policy.can_see_record_viewers, what="record viewers", audit_as="pupil_id")


def loggable_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, policy.can_log_for_pupil, what="log for pupil", audit_as="pupil_id")


def exclusions_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, exclusions_policy.can_manage_exclusions, what="record exclusions", audit_as="pupil_id")


def exclusion_or_404(exclusion_id: int, pupil: Pupil) -> RecordExclusion:
    """One exclusion from the record of the pupil the address names."""
    return load(
        RecordExclusion,
        exclusion_id,
        exclusions_policy.can_end_exclusion,
        what="record exclusion",
        within={"pupil_id": pupil.id},
        context=_of_pupil,
    )


def monitoring_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, monitoring_policy.can_manage_monitoring, what="monitoring", audit_as="pupil_id")


def transfer_or_404(transfer_id: int) -> Transfer:
    return load(
        Transfer,
        transfer_id,
        transfers_policy.can_view_transfer,
        what="transfer",
        options=[selectinload(Transfer.events)],
        context=_of_pupil,
    )


def received_pack_or_404(pack_id: int) -> ReceivedPack:
    """A child-protection file received from outside the trust, for its pupil's safeguarding team."""
    return load(
        ReceivedPack,
        pack_id,
        lambda user, pack: packs_policy.can_read_received(user, pack.pupil),
        what="received file",
        context=_of_pupil,
    )


# --- pupil imports and deletions after the retention review -----------------------


def pupil_import_or_404(upload_id: str) -> PupilImport:
    return load(PupilImport, upload_id, mis_policy.can_see_pupil_import, what="pupil import", audit_as="upload")


def proposable_pupil_or_404(pupil_id: int) -> Pupil:
    return load(Pupil, pupil_id, mis_policy.can_propose_deletion, what="propose_deletion", audit_as="pupil_id")


def deletion_or_404(proposal_id: int) -> RetentionDeletion:
    return load(
        RetentionDeletion,
        proposal_id,
        mis_policy.can_see_deletion_proposal,
        what="retention_deletion",
        audit_as="proposal_id",
        context=_of_pupil,
    )


# --- administration -------------------------------------------------------------


def administered_user_or_404(user_id: int) -> User:
    return load(User, user_id, admin_policy.can_administer_user, what="user", audit_as="target_user_id")


def role_or_404(person: User, role_id: int) -> RoleAssignment:
    """One role of the person the address names."""
    return load(
        RoleAssignment, role_id, admin_policy.can_see_role_assignment, what="role", within={"user_id": person.id}
    )


def category_or_404(category_id: int) -> Category:
    return load(Category, category_id, admin_policy.can_view_category, what="category", audit_as="category_id")


def managed_school_or_404(school_id: int) -> School:
    return load(School, school_id, admin_policy.can_manage_school, what="school", audit_as="school")


def sign_in_trust_or_403() -> Trust:
    """The trust whose sign-in this trust admin sets up (one of several: the first)."""
    trust_ids = sso_policy.configurable_trust_ids(current_user)
    require(bool(trust_ids))
    return db.session.get(Trust, min(trust_ids))


def sign_in_provider_or_404(provider_id: int) -> SignInProvider:
    return load(SignInProvider, provider_id, sso_policy.can_manage_provider, what="sign-in provider")


# --- the recording guidance -------------------------------------------------------


def guidance_version_or_404(version_id: int) -> GuidanceVersion:
    return load(
        GuidanceVersion,
        version_id,
        guidance_policy.can_read_guidance_version,
        what="guidance version",
        audit_as="version",
    )


def guidance_school_or_404(school_id, allowed) -> School:
    """A school's guidance, when `allowed` (policy.can_read_guidance_of or can_edit_guidance_of) says so."""
    return load(
        School, school_id, lambda user, school: allowed(user, school.id, None), what="guidance", audit_as="school"
    )


def guidance_trust_or_404(trust_id, allowed) -> Trust:
    return load(Trust, trust_id, lambda user, trust: allowed(user, None, trust.id), what="guidance", audit_as="trust")


def date_of_birth_pupil_or_404(pupil_id: int) -> Pupil:
    """A pupil whose changed date of birth a DSL may accept (mis/deletion_routes.py)."""
    return load(Pupil, pupil_id, mis_policy.sees_date_of_birth_change, what="accept_date_of_birth", audit_as="pupil_id")
