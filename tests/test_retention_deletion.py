"""Deleting a pupil's records after the retention review: an admin proposes, a DSL of
the school who did not propose it confirms; only then do the records go, through the
append-only triggers' one opening (retention_deletion_grants)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from cpoms import append_only
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.mis.pupils import today
from cpoms.mis.retention import add_years
from cpoms.models import (
    Alert, AuditEvent, Entry, EntryPupil, EntryState, FollowUp, KeyEvent, Kind, Pupil, RetentionDeletion,
    RetentionDeletionGrant, Role, RoleAssignment, User,
)



def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return found


@pytest.fixture
def due(app, world, make_entry):
    """Amelia's records are past the retention period: one entry about her alone (with a
    follow-up marked as a key event, an alert and a state), one shared with Oliver."""
    with app.app_context():
        db.session.execute(update(Pupil).where(Pupil.id == world.pupils[0].id)
                           .values(date_of_birth=add_years(today(), -26)))
        db.session.commit()
    alone = make_entry(narrative="Amelia said something private.")
    shared = make_entry(pupils=world.pupils[:2], narrative="Amelia and Oliver argued.", category="Behaviour")
    with app.test_request_context():
        follow_up = add_follow_up(db.session.get(User, world["dsl"].id), db.session.get(Entry, alone),
                                  Kind.ACTION, "Called home.")
        db.session.flush()
        db.session.add(KeyEvent(follow_up_id=follow_up.id, marked_by_id=world["dsl"].id))
        db.session.commit()
    return {"alone": alone, "shared": shared, "pupil": world.pupils[0].id}


def propose(client, pupil_id: int, reason: str = "Retention period ended; reviewed with the DSL."):
    return client.post(f"/admin/pupils/retention/{pupil_id}/propose", data={f"p{pupil_id}-reason": reason})


def proposal_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(RetentionDeletion.id))


def test_proposed_by_an_admin_confirmed_by_a_dsl_then_deleted(app, client, auth, world, due):
    auth.as_(world["admin"])
    page = client.get("/admin/pupils/retention").get_data(as_text=True)
    assert "Propose deletion" in page
    assert propose(client, due["pupil"]).status_code == 303
    assert "waiting for a DSL" in client.get("/admin/pupils/retention").get_data(as_text=True)
    assert count(app, Entry) == 2, "nothing deleted on a proposal"

    auth.as_(world["dsl"])
    page = client.get("/retention-deletions").get_data(as_text=True)
    assert "Amelia Hassan" in page and "Retention period ended" in page
    response = client.post(f"/retention-deletions/{proposal_id(app)}/confirm")
    assert response.status_code == 303

    assert count(app, Pupil, Pupil.id == due["pupil"]) == 0
    assert count(app, Entry, Entry.id == due["alone"]) == 0
    for model in (FollowUp, EntryState, Alert):
        assert count(app, model, model.entry_id == due["alone"]) == 0, model
    assert count(app, KeyEvent) == 0
    # The shared entry stays whole, about Oliver now; its narrative is not redacted.
    with app.app_context():
        shared = db.session.get(Entry, due["shared"])
        assert [p.id for p in shared.pupils] == [world.pupils[1].id]
        assert shared.narrative == "Amelia and Oliver argued."
        proposal = db.session.scalar(select(RetentionDeletion))
        assert proposal.confirmed_by_id == world["dsl"].id and proposal.confirmed_at is not None
        assert db.session.scalar(select(func.count()).select_from(RetentionDeletionGrant)) == 0
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("SELECT count(*) FROM search_index WHERE search_index MATCH 'private'")
                                      ).scalar() == 0, "the narrative is gone from the search index too"

    [proposed] = events(app, "retention_deletion_proposed")
    [confirmed] = events(app, "retention_deletion_confirmed")
    assert proposed.user_id == world["admin"].id and proposed.pupil_id == due["pupil"]
    assert confirmed.user_id == world["dsl"].id and confirmed.pupil_id == due["pupil"]
    detail = json.loads(confirmed.detail)
    assert detail["entries"] == 1 and detail["shared_entries_kept"] == 1
    assert detail["deleted"] == {"alerts": 2, "entries": 1, "entry_pupils": 1, "entry_states": 1, "follow_ups": 1,
                                 "key_events": 1, "pupils": 1, "shared_entry_links": 1}
    for event in (proposed, confirmed):
        assert "Amelia" not in (event.detail or "") and "private" not in (event.detail or "")
    # The audit chain still holds after the deletion.
    with app.app_context():
        from cpoms.audit import verify_chain
        assert verify_chain().intact


def test_the_append_only_triggers_still_refuse_any_other_deletion(app, world, due):
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(delete(KeyEvent))
        db.session.rollback()
        assert db.session.scalar(select(KeyEvent.id)) is not None
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(update(KeyEvent).values(marked_by_id=world["admin"].id))
        db.session.rollback()


def test_works_when_entries_and_follow_ups_are_append_only_too(app, client, auth, world, due):
    """Another part of the work protects entries, follow-ups and their links: with those
    triggers made through the hook, the deletion still goes through, and nothing else does."""
    with app.app_context():
        dialect = db.engine.dialect.name
        for table in ("entries", "follow_ups", "entry_pupils"):
            for statement in append_only.retention_trigger_statements(table, dialect):
                db.session.execute(text(statement))
        db.session.commit()
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(delete(FollowUp).where(FollowUp.entry_id == due["alone"]))
        db.session.rollback()
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(delete(EntryPupil).where(EntryPupil.entry_id == due["shared"]))
        db.session.rollback()
    auth.as_(world["admin"])
    propose(client, due["pupil"])
    auth.as_(world["dsl"])
    assert client.post(f"/retention-deletions/{proposal_id(app)}/confirm").status_code == 303
    assert count(app, Entry) == 1 and count(app, FollowUp) == 0 and count(app, EntryPupil) == 1
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(delete(Entry))
        db.session.rollback()


def test_the_proposer_cannot_confirm_even_as_a_dsl(app, client, auth, world, due):
    with app.app_context():
        db.session.add(RoleAssignment(user_id=world["dsl"].id, role=Role.ADMIN, school_id=world.school.id))
        db.session.commit()
    auth.as_(world["dsl"])
    assert propose(client, due["pupil"]).status_code == 303
    page = client.get("/retention-deletions").get_data(as_text=True)
    assert "another DSL must confirm" in page and "Delete the records" not in page
    assert client.post(f"/retention-deletions/{proposal_id(app)}/confirm").status_code == 403
    assert count(app, Entry) == 2


@pytest.mark.parametrize("who", ["deputy", "slt", "other_dsl", "teacher1", "governor"])
def test_only_a_dsl_of_the_school_confirms(app, client, auth, world, due, who):
    """To anyone else the proposal looks missing, as a record they may not see does."""
    auth.as_(world["admin"])
    propose(client, due["pupil"])
    auth.as_(world[who])
    assert client.post(f"/retention-deletions/{proposal_id(app)}/confirm").status_code == 404
    assert count(app, Entry) == 2


def test_a_proposal_can_be_withdrawn_and_nothing_is_deleted(app, client, auth, world, due):
    auth.as_(world["admin"])
    propose(client, due["pupil"])
    auth.as_(world["dsl"])
    assert client.post(f"/retention-deletions/{proposal_id(app)}/withdraw").status_code == 303
    assert count(app, RetentionDeletion) == 0 and count(app, Entry) == 2
    assert len(events(app, "retention_deletion_withdrawn")) == 1


def test_not_before_the_retention_period_ends_and_a_reason_is_needed(app, client, auth, world, due):
    auth.as_(world["admin"])
    response = propose(client, due["pupil"], reason="   ")
    assert response.status_code == 422 and "Say why the records may be deleted." in response.get_data(as_text=True)
    oliver = world.pupils[1].id  # born a few years ago
    response = propose(client, oliver)
    assert response.status_code == 303
    assert count(app, RetentionDeletion) == 0
    assert propose(client, world.other_pupils[0].id).status_code == 404  # another school's pupil
    assert propose(client, due["pupil"]).status_code == 303
    assert propose(client, due["pupil"]).status_code == 303
    assert count(app, RetentionDeletion) == 1, "one proposal at a time"


def test_a_second_confirmation_does_nothing(app, client, auth, world, due):
    auth.as_(world["admin"])
    propose(client, due["pupil"])
    with app.test_request_context():
        from cpoms.mis import deletion
        proposal = db.session.get(RetentionDeletion, proposal_id(app))
        stale = db.session.get(RetentionDeletion, proposal.id)
        dsl = db.session.get(User, world["dsl"].id)
        assert deletion.confirm(dsl, proposal)["pupils"] == 1
        db.session.commit()
        assert deletion.confirm(dsl, stale) is None
        db.session.commit()
    assert len(events(app, "retention_deletion_confirmed")) == 1
