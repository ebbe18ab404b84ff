"""Deleting a pupil's records after the retention review: the one deletion the
concern log makes. An admin proposes (with a reason), a DSL of the pupil's school who
is not the proposer confirms, and only then, in the confirming transaction:

* entries about this pupil alone go, with everything that hangs off them (follow-ups,
  key events, amendments, links, shares, tasks, attachments and body-map marks, alerts,
  states, and any table added later: found from the models' foreign keys, not listed
  by hand);
* the pupil's own rows go too: monitoring, transfers with their events, reminders and
  alerts, subject-access exports; drafts typed on their pages; attachment files on
  disk once the deletion is committed (never before);
* entries about other pupils too stay whole: only this pupil's link to them goes
  (their narrative may name this pupil; nothing is redacted: it is the other
  children's record as much as this one's);
* the pupil's own row goes last.

Append-only tables let these rows go only for the entries named in
retention_deletion_grants, or the pupil named in retention_deletion_pupil_grants
(append_only.RETENTION_GRANTED), which this function fills and empties again before
the commit. The audit log keeps the proposal, the
confirmation and the counts, with the pupil's id, never a name or a narrative."""

from __future__ import annotations

import json

from sqlalchemy import Column, Table, bindparam, delete, insert, or_, select, text

from .. import audit
from ..attachments import storage
from ..attachments.models import Attachment
from ..drafts import delete_under
from ..common import claim_confirmation
from ..extensions import db
from ..models import Entry, EntryPupil, Pupil, User
from ..reports import counters
from ..timefmt import now_utc
from .models import RetentionDeletion, RetentionDeletionGrant, RetentionDeletionPupilGrant


def propose(admin: User, pupil: Pupil, reason: str) -> RetentionDeletion:
    proposal = RetentionDeletion(
        pupil_id=pupil.id, school_id=pupil.school_id, reason=reason, proposed_by_id=admin.id, proposed_at=now_utc()
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(audit.RETENTION_DELETION_PROPOSED, pupil=pupil, user=admin, proposal_id=proposal.id)
    return proposal


def pending_for(pupil_ids) -> dict[int, RetentionDeletion]:
    return {
        p.pupil_id: p
        for p in db.session.scalars(
            select(RetentionDeletion).where(
                RetentionDeletion.pupil_id.in_(pupil_ids), RetentionDeletion.confirmed_at.is_(None)
            )
        )
    }


def withdraw(user: User, proposal: RetentionDeletion) -> None:
    audit.record(
        audit.RETENTION_DELETION_WITHDRAWN,
        pupil_id=proposal.pupil_id,
        school_id=proposal.school_id,
        user=user,
        proposal_id=proposal.id,
    )
    db.session.delete(proposal)
    db.session.flush()


def confirm(dsl: User, proposal: RetentionDeletion) -> dict[str, int] | None:
    """Delete the pupil's records; returns how many rows of each table went, or None
    when another confirmation got there first (claimed as an upload is: imports.confirm)."""
    if not claim_confirmation(proposal, dsl.id):
        return None
    pupil_id = proposal.pupil_id
    linked = select(EntryPupil.entry_id).where(EntryPupil.pupil_id == pupil_id)
    shared = select(EntryPupil.entry_id).where(EntryPupil.entry_id.in_(linked), EntryPupil.pupil_id != pupil_id)
    only_theirs = list(db.session.scalars(linked.where(EntryPupil.entry_id.not_in(shared))))
    shared_ids = list(db.session.scalars(linked.where(EntryPupil.entry_id.in_(shared))))
    if only_theirs:
        db.session.execute(insert(RetentionDeletionGrant), [{"entry_id": i} for i in only_theirs])
    db.session.execute(insert(RetentionDeletionPupilGrant), [{"pupil_id": pupil_id}])
    doomed = _doomed(pupil_id, only_theirs)
    counters.entries_deleted(only_theirs)
    files = _delete_files(doomed.get(Attachment.__table__, []))
    counts: dict[str, int] = {}
    for table in reversed(db.metadata.sorted_tables):  # children before their parents
        if table in doomed:
            counts[table.name] = sum(
                db.session.execute(delete(table).where(_key(table).in_(ids))).rowcount for ids in _chunks(doomed[table])
            )
    if only_theirs and db.session.get_bind().dialect.name == "sqlite":
        # The FTS5 copy of the deleted narratives (cpoms/search/index.py); PostgreSQL's
        # search indexes are over the rows themselves and went with them.
        db.session.execute(
            text("DELETE FROM search_index WHERE entry_id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": only_theirs},
        )
    counts["drafts"] = _delete_drafts(pupil_id, only_theirs)
    # Of the entry_pupils rows, the pupil's one link (entry, pupil is unique) to each entry kept for others.
    counts["entry_pupils"] = counts.get("entry_pupils", 0) - len(shared_ids)
    counts["shared_entry_links"] = len(shared_ids)
    db.session.execute(delete(RetentionDeletionGrant))
    db.session.execute(delete(RetentionDeletionPupilGrant))
    counts = {k: v for k, v in counts.items() if v}
    if files:
        counts["attachment_files"] = files
    proposal.result = json.dumps(counts, sort_keys=True)
    audit.record(
        audit.RETENTION_DELETION_CONFIRMED,
        pupil_id=pupil_id,
        school_id=proposal.school_id,
        user=dsl,
        proposal_id=proposal.id,
        proposed_by=proposal.proposed_by_id,
        entries=len(only_theirs),
        shared_entries_kept=len(shared_ids),
        deleted=counts,
    )
    db.session.flush()
    db.session.expire_all()
    return counts


def _key(table: Table) -> Column:
    [column] = table.primary_key.columns
    return column


def _doomed(pupil_id: int, entry_ids: list[int]) -> dict[Table, list]:
    """The primary keys to delete, per table: the pupil, the entries about them alone,
    and every row that points at one of those, directly or through another (a transfer's
    events and its alerts, a task's completion, an alert's share...), found from the
    models' foreign keys, so a table added later is found too. Entries about other pupils
    as well are not among them: only this pupil's link to them (entry_pupils) and links
    from their entries (entry_links) go."""
    doomed: dict[Table, list] = {Pupil.__table__: [pupil_id], Entry.__table__: entry_ids}
    for table in db.metadata.sorted_tables:  # parents before their children
        pointing = [
            fk.parent.in_(doomed[fk.column.table])
            for fk in table.foreign_keys
            if doomed.get(fk.column.table) and fk.column is _key(fk.column.table)
        ]
        if table not in doomed and pointing:
            doomed[table] = list(db.session.scalars(select(_key(table)).where(or_(*pointing))))
    return {table: ids for table, ids in doomed.items() if ids}


def _chunks(ids: list, size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _delete_files(attachment_ids: list[int]) -> int:
    """The files go in the deletion's transaction, before the rows that name them (the
    database allows it while those rows are there, granted): rolled back, all stay."""
    names = list(db.session.scalars(select(Attachment.stored_name).where(Attachment.id.in_(attachment_ids))))
    storage.delete_for_retention(names)
    return len(names)


def _delete_drafts(pupil_id: int, entry_ids: list[int]) -> int:
    """Text someone was typing on the pupil's or these entries' pages (cpoms/drafts.py)."""
    return delete_under([f"/pupils/{pupil_id}", f"/log/pupils/{pupil_id}", *(f"/entries/{i}" for i in entry_ids)])
