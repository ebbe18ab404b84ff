"""Deleting a pupil's records after the retention review: the one deletion the
concern log makes. An admin proposes (with a reason), a DSL of the pupil's school who
is not the proposer confirms, and only then, in the confirming transaction:

* entries about this pupil alone go, with everything that hangs off them (follow-ups,
  key events, alerts, states, and any table added later with a foreign key to
  entries or follow-ups: found from the models' metadata, not listed by hand);
* entries about other pupils too stay whole: only this pupil's link to them goes
  (their narrative may name this pupil; nothing is redacted: it is the other
  children's record as much as this one's);
* the pupil's own row goes last.

Append-only tables let these rows go only for the entries named in
retention_deletion_grants (append_only.RETENTION_GRANTED), which this function fills
and empties again before the commit. The audit log keeps the proposal, the
confirmation and the counts, with the pupil's id, never a name or a narrative."""
from __future__ import annotations

import json

from sqlalchemy import bindparam, delete, insert, select, text, update

from .. import audit
from ..extensions import db
from ..models import Entry, EntryPupil, FollowUp, Pupil, RetentionDeletion, RetentionDeletionGrant, User
from ..timefmt import now_utc


def propose(admin: User, pupil: Pupil, reason: str) -> RetentionDeletion:
    proposal = RetentionDeletion(pupil_id=pupil.id, school_id=pupil.school_id, reason=reason,
                                 proposed_by_id=admin.id, proposed_at=now_utc())
    db.session.add(proposal)
    db.session.flush()
    audit.record(audit.RETENTION_DELETION_PROPOSED, pupil=pupil, user=admin, proposal_id=proposal.id)
    return proposal


def pending_for(pupil_ids) -> dict[int, RetentionDeletion]:
    return {p.pupil_id: p for p in db.session.scalars(select(RetentionDeletion).where(
        RetentionDeletion.pupil_id.in_(pupil_ids), RetentionDeletion.confirmed_at.is_(None)))}


def withdraw(user: User, proposal: RetentionDeletion) -> None:
    audit.record(audit.RETENTION_DELETION_WITHDRAWN, pupil_id=proposal.pupil_id, school_id=proposal.school_id,
                 user=user, proposal_id=proposal.id)
    db.session.delete(proposal)
    db.session.flush()


def confirm(dsl: User, proposal: RetentionDeletion) -> dict[str, int] | None:
    """Delete the pupil's records; returns how many rows of each table went, or None
    when another confirmation got there first (claimed as an upload is: imports.confirm)."""
    claimed = db.session.execute(
        update(RetentionDeletion).where(RetentionDeletion.id == proposal.id, RetentionDeletion.confirmed_at.is_(None))
        .values(confirmed_by_id=dsl.id, confirmed_at=now_utc()).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        return None
    db.session.refresh(proposal)
    pupil_id = proposal.pupil_id
    linked = select(EntryPupil.entry_id).where(EntryPupil.pupil_id == pupil_id)
    shared = select(EntryPupil.entry_id).where(EntryPupil.entry_id.in_(linked), EntryPupil.pupil_id != pupil_id)
    only_theirs = list(db.session.scalars(linked.where(EntryPupil.entry_id.not_in(shared))))
    shared_ids = list(db.session.scalars(linked.where(EntryPupil.entry_id.in_(shared))))
    granted = [*only_theirs, *shared_ids]
    if granted:
        db.session.execute(insert(RetentionDeletionGrant), [{"entry_id": i} for i in granted])
    counts: dict[str, int] = {}
    for table, column, ids in _dependents(only_theirs):
        counts[table.name] = counts.get(table.name, 0) + db.session.execute(
            delete(table).where(column.in_(ids))).rowcount
    if only_theirs and db.session.get_bind().dialect.name == "sqlite":
        # The FTS5 copy of the deleted narratives (cpoms/search/index.py); PostgreSQL's
        # search indexes are over the rows themselves and went with them.
        db.session.execute(text("DELETE FROM search_index WHERE entry_id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": only_theirs})
    counts["shared_entry_links"] = db.session.execute(
        delete(EntryPupil).where(EntryPupil.pupil_id == pupil_id)).rowcount
    for table, column in _pupil_dependents():
        counts[table.name] = counts.get(table.name, 0) + db.session.execute(
            delete(table).where(column == pupil_id)).rowcount
    counts["pupils"] = db.session.execute(delete(Pupil).where(Pupil.id == pupil_id)).rowcount
    db.session.execute(delete(RetentionDeletionGrant))
    counts = {k: v for k, v in counts.items() if v}
    proposal.result = json.dumps(counts, sort_keys=True)
    audit.record(audit.RETENTION_DELETION_CONFIRMED, pupil_id=pupil_id, school_id=proposal.school_id, user=dsl,
                 proposal_id=proposal.id, proposed_by=proposal.proposed_by_id, entries=len(only_theirs),
                 shared_entries_kept=len(shared_ids), deleted=counts)
    db.session.flush()
    db.session.expire_all()
    return counts


def _dependents(entry_ids: list[int]):
    """(table, column, ids) to delete, children before parents: every table whose rows
    hang off these entries, directly or through a follow-up."""
    if not entry_ids:
        return []
    follow_up_ids = list(db.session.scalars(select(FollowUp.id).where(FollowUp.entry_id.in_(entry_ids))))
    parents = {Entry.__table__: entry_ids, FollowUp.__table__: follow_up_ids}
    steps = []
    for table in reversed(db.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table in parents and fk.column.name == "id" and table not in parents:
                steps.append((table, fk.parent, parents[fk.column.table]))
    steps.append((FollowUp.__table__, FollowUp.__table__.c.entry_id, entry_ids))
    steps.append((Entry.__table__, Entry.__table__.c.id, entry_ids))
    return [step for step in steps if step[2]]


def _pupil_dependents():
    """Any other table that points at the pupil (added by later work): its rows go too."""
    return [(table, fk.parent) for table in reversed(db.metadata.sorted_tables) for fk in table.foreign_keys
            if fk.column.table is Pupil.__table__ and table is not EntryPupil.__table__]
