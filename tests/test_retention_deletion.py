"""Deleting a pupil's records after the retention review: an admin proposes, a DSL of
the school who did not propose it confirms; only then do the records go, through the
append-only triggers' one opening (retention_deletion_grants)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from cpoms import append_only
from cpoms.adults.models import OWN_RETENTION
from cpoms.keyinfo import operations as keyinfo
from cpoms.keyinfo.models import OWN_RETENTION as KEYINFO_OWN_RETENTION
from cpoms.adults.operations import raise_concern
from cpoms.attachments.models import Attachment, AttachmentBlob
from cpoms.audit import AuditEvent
from cpoms.bodymap.models import BodyMapMark
from cpoms.chronology.models import KeyEvent
from cpoms.common import uk_today as today
from cpoms.drafts import Draft
from cpoms.entries.models import Amendment, EntryCategory, EntryLink
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.hearback.models import RecorderMessage
from cpoms.log.models import EntryShare
from cpoms.mis.models import RetentionDeletion, RetentionDeletionGrant, RetentionDeletionPupilGrant
from cpoms.mis.retention import add_years
from cpoms.models import (
    Alert,
    Entry,
    EntryPupil,
    EntryState,
    FollowUp,
    Kind,
    Pupil,
    Role,
    RoleAssignment,
    School,
    User,
)
from cpoms.monitoring.models import MonitoringEvent, MonitoringState
from cpoms.packs.models import ReceivedPack, ReceivedRecord
from cpoms.tasks.models import Task, TaskCompletion, TaskReminder
from cpoms.timefmt import now_utc
from cpoms.transfers.models import SubjectAccessExport, Transfer, TransferEvent, TransferReminder


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
        db.session.execute(
            update(Pupil).where(Pupil.id == world.pupils[0].id).values(date_of_birth=add_years(today(), -26))
        )
        db.session.commit()
    alone = make_entry(narrative="Amelia said something private.")
    shared = make_entry(pupils=world.pupils[:2], narrative="Amelia and Oliver argued.", category="Behaviour")
    with app.test_request_context():
        follow_up = add_follow_up(
            db.session.get(User, world["dsl"].id), db.session.get(Entry, alone), Kind.ACTION, "Called home."
        )
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
            assert (
                db.session.execute(
                    text("SELECT count(*) FROM search_index WHERE search_index MATCH 'private'")
                ).scalar()
                == 0
            ), "the narrative is gone from the search index too"

    [proposed] = events(app, "retention_deletion_proposed")
    [confirmed] = events(app, "retention_deletion_confirmed")
    assert proposed.user_id == world["admin"].id and proposed.pupil_id == due["pupil"]
    assert confirmed.user_id == world["dsl"].id and confirmed.pupil_id == due["pupil"]
    detail = json.loads(confirmed.detail)
    assert detail["entries"] == 1 and detail["shared_entries_kept"] == 1
    assert detail["deleted"] == {
        "alerts": 2,
        "entries": 1,
        "entry_pupils": 1,
        "entry_states": 1,
        "follow_ups": 1,
        "key_events": 1,
        "pupils": 1,
        "shared_entry_links": 1,
    }
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


# --- everything a pupil's record can hold, on today's schema -------------------------------


def test_every_protected_table_about_an_entry_or_a_pupil_lets_the_deletion_through():
    """A table given triggers and not listed in RETENTION_GRANTED would refuse the deletion."""
    # The audit log, and the records of concerns about adults, which point at no pupil or entry
    # (their own retention rules apply; a child's link to one is granted like a pupil's rows);
    # the keys a trust does not trust (about no pupil at all).
    assert append_only.PROTECTED - set(append_only.RETENTION_GRANTED) == {
        "audit_events",
        "key_distrust_events",
        *OWN_RETENTION,
        *KEYINFO_OWN_RETENTION,
    }
    assert set(append_only.RETENTION_GRANTED) <= append_only.PROTECTED


@pytest.fixture
def everything(app, world, due, make_entry):
    """Amelia (due) with every kind of row the app keeps about a pupil; Oliver with an
    entry of his own that one of hers links to."""
    from datetime import timedelta

    from cpoms.exclusions import operations as exclusions
    from cpoms.monitoring import operations as monitoring
    from cpoms.tasks.operations import complete, give_task
    from cpoms.transfers import operations as transfers

    from sample_files import attach_png

    dsl_id = world["dsl"].id
    second = make_entry(narrative="Amelia again, a week later.")
    olivers = make_entry(pupils=[world.pupils[1]], narrative="Oliver on his own.")
    attach_png(app, due["alone"], dsl_id)
    with app.test_request_context():
        dsl = db.session.get(User, dsl_id)
        amelia = db.session.get(Pupil, due["pupil"])
        entry = db.session.get(Entry, due["alone"])
        task_follow_up = add_follow_up(dsl, entry, Kind.TASK, "Ring the school nurse.")
        task = give_task(dsl, task_follow_up, world["teacher1"].id, today() + timedelta(days=3))
        complete(dsl, task)
        add_follow_up(dsl, db.session.get(Entry, olivers), Kind.ACTION, "Spoke to Oliver.")
        add_follow_up(
            dsl,
            entry,
            Kind.INFO_SHARING,
            "Shared with the health visitor.",
            shared_with="Health visitor",
            shared_what="The concern",
            share_purpose="Support",
            share_basis="Public task",
            consent_sought=True,
        )
        alert_id = db.session.scalar(select(Alert.id).where(Alert.entry_id == entry.id))
        db.session.add_all(
            [
                TaskReminder(task_id=task.id, sent_on=today(), alert_id=alert_id),
                Amendment(entry_id=entry.id, author_id=dsl_id, text="Left arm, not right.", reason="Misremembered."),
                EntryCategory(
                    entry_id=entry.id,
                    category_id=world.categories["Behaviour"].id,
                    added_by_id=dsl_id,
                    reason="Also behaviour.",
                ),
                EntryLink(entry_id=entry.id, other_entry_id=second, linked_by_id=dsl_id, reason="Same week."),
                EntryLink(entry_id=entry.id, other_entry_id=olivers, linked_by_id=dsl_id, reason="Same playtime."),
                EntryShare(entry_id=entry.id, user_id=world["deputy"].id, shared_by_id=dsl_id, alert_id=alert_id),
                Draft(user_id=dsl_id, path=f"/entries/{entry.id}", data='{"text": "Half a follow-up"}'),
                Draft(user_id=dsl_id, path=f"/pupils/{amelia.id}/monitoring", data='{"reason": "Half a reason"}'),
                Draft(user_id=dsl_id, path=f"/entries/{olivers}", data='{"text": "About Oliver"}'),
                BodyMapMark(
                    entry_id=entry.id,
                    number=1,
                    view="front",
                    x=0.3,
                    y=0.4,
                    area="left_forearm",
                    description="Bruise, 2 cm.",
                ),
                RecorderMessage(
                    entry_id=entry.id,
                    school_id=entry.school_id,
                    author_id=dsl_id,
                    recipient_id=world["teacher1"].id,
                    text="Thank you for logging this.",
                ),
            ]
        )
        monitoring.start(dsl, amelia, "Watching attendance.", today(), today() + timedelta(days=14))
        monitoring.review(dsl, amelia, "Better.", today() + timedelta(days=28))
        monitoring.end(dsl, amelia, "Settled.")
        # Someone kept from her record, since allowed back: both go with her records.
        kept = exclusions.exclude(dsl, amelia, world["teacher2"].id, "Is her aunt.")
        exclusions.end(dsl, kept, "Has left the school.")
        transfer = transfers.start(
            dsl,
            amelia,
            to_school=db.session.get(School, world.other_school.id),
            destination_name=None,
            contact_name=None,
            contact_email=None,
            method="cp_system",
            sent_on=today(),
        )
        db.session.flush()
        raise_concern(
            dsl,
            db.session.get(School, world.school.id),
            subject_kind="visitor",
            person=None,
            typed_name="Vic Visitor",
            subject_role="",
            happened_at=now_utc(),
            location="The hall",
            what_happened="Took a photo of Amelia.",
            what_was_said="",
            pupils=[amelia],
        )
        # Key information and a police notification, its check-in done and reminded of.
        status = keyinfo.record_status(dsl, amelia, "cp_plan", today(), category_of_abuse="neglect")
        keyinfo.end_status(dsl, status, today())
        notification, _ = keyinfo.record_police_notification(
            dsl,
            amelia,
            incident_at=now_utc(),
            child_present=True,
            officer="PC Sample",
            force_reference="REF-1",
            shared="Shared.",
            key_adult=db.session.get(User, world["teacher1"].id),
        )
        keyinfo.check_in(dsl, notification)
        keyinfo.record_mis_facts({amelia.id: {"looked_after": False, "eal": True}})
        db.session.add_all(
            [
                TransferReminder(transfer_id=transfer.id, on_date=today()),
                SubjectAccessExport(
                    pupil_id=amelia.id, produced_by_id=dsl_id, entries=2, follow_ups=3, sha256="0" * 64
                ),
            ]
        )
        db.session.commit()
        stored = db.session.scalar(select(Attachment.stored_name))
    with app.test_request_context():
        # A child-protection file received for her from a school outside the trust.
        from pack_support import received_sample

        received_sample(world)
    return {**due, "second": second, "olivers": olivers, "file": StoredFile(app, stored)}


class StoredFile:
    """An attachment's bytes in the database, asked for from another connection each time."""

    def __init__(self, app, stored_name: str):
        self.app, self.stored_name = app, stored_name

    def exists(self) -> bool:
        with self.app.app_context(), db.engine.connect() as conn:
            table = AttachmentBlob.__table__
            return conn.scalar(select(table.c.stored_name).where(table.c.stored_name == self.stored_name)) is not None


def rows_of(app, table: str) -> int:
    with app.app_context():
        return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # nosec B608 (a table name of ours)


def refused(app, statement: str) -> bool:
    with app.app_context():
        try:
            db.session.execute(text(statement))
        except DatabaseError as exc:
            db.session.rollback()
            return "append-only" in str(exc)
        db.session.rollback()
        return False


def test_deleting_a_pupil_with_everything(app, client, auth, world, everything):
    assert everything["file"].exists() and count(app, ReceivedPack) == 1
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    for table in append_only.RETENTION_GRANTED:
        # The fixture really holds a row of each, and no one can remove or change it.
        assert rows_of(app, table) > 0, table
        assert refused(app, f"DELETE FROM {table}"), table
        [key] = db.metadata.tables[table].primary_key.columns
        assert refused(app, f"UPDATE {table} SET {key.name} = {key.name}"), table
        if postgresql:
            assert refused(app, f"TRUNCATE {table} CASCADE"), table
    with app.app_context():
        transfer_alerts = db.session.scalar(
            select(func.count()).select_from(Alert).where(Alert.transfer_id.is_not(None))
        )
    assert transfer_alerts > 0, "the transfer emailed the receiving school"

    auth.as_(world["admin"])
    assert propose(client, everything["pupil"]).status_code == 303
    auth.as_(world["dsl"])
    response = client.post(f"/retention-deletions/{proposal_id(app)}/confirm", follow_redirects=True)
    assert "2 entries about them alone, and their link to 1 entries shared" in response.get_data(as_text=True)

    # Every row about Amelia is gone: hers were the only rows in these tables.
    for model in (
        Transfer,
        TransferEvent,
        TransferReminder,
        SubjectAccessExport,
        MonitoringEvent,
        MonitoringState,
        Task,
        TaskCompletion,
        TaskReminder,
        Amendment,
        EntryCategory,
        EntryLink,
        EntryShare,
        KeyEvent,
        Attachment,
        BodyMapMark,
        RecorderMessage,
        RetentionDeletionGrant,
        RetentionDeletionPupilGrant,
        ReceivedPack,
        ReceivedRecord,
    ):
        assert count(app, model) == 0, model
    assert count(app, Pupil, Pupil.id == everything["pupil"]) == 0
    assert count(app, EntryPupil, EntryPupil.pupil_id == everything["pupil"]) == 0
    assert count(app, Alert, Alert.transfer_id.is_not(None)) == 0
    theirs = [everything["alone"], everything["second"]]
    for model in (Entry, FollowUp, EntryState, Alert):
        column = Entry.id if model is Entry else model.entry_id
        assert count(app, model, column.in_(theirs)) == 0, model
    assert not everything["file"].exists(), "the file went with the deletion"
    assert count(app, ReceivedPack) == 0, "the received pack (its records and its zip) went with its rows"
    # Oliver's entries stay whole: the shared one (about him now) and his own, unlinked.
    with app.app_context():
        kept = {e.id: e for e in db.session.scalars(select(Entry))}
        assert set(kept) == {everything["shared"], everything["olivers"]}
        assert kept[everything["olivers"]].narrative == "Oliver on his own."
        assert [p.id for p in kept[everything["shared"]].pupils] == [world.pupils[1].id]
    assert count(app, EntryState) == 2
    assert count(app, FollowUp, FollowUp.entry_id == everything["olivers"]) == 1
    with app.app_context():
        assert list(db.session.scalars(select(Draft.path))) == [f"/entries/{everything['olivers']}"]
    assert count(app, Alert, Alert.entry_id == everything["olivers"]) > 0
    # A concern about an adult stays (its own record): only Amelia's link to it goes.
    assert rows_of(app, "adult_concerns") == 1 and rows_of(app, "adult_concern_pupils") == 0

    # Outside the deletion the tables are as append-only as before, on the rows left.
    for table in ("entries", "follow_ups", "audit_events"):
        assert rows_of(app, table) > 0
        assert refused(app, f"DELETE FROM {table}"), table
        [key] = db.metadata.tables[table].primary_key.columns
        assert refused(app, f"UPDATE {table} SET {key.name} = {key.name}"), table

    [confirmed] = events(app, "retention_deletion_confirmed")
    detail = json.loads(confirmed.detail)
    assert (
        detail["entries"] == 2
        and detail["deleted"]["attachment_files"] == 1
        and detail["deleted"]["received_packs"] == 1
        and detail["deleted"]["drafts"] == 2
    )
    assert detail["deleted"]["transfer_events"] >= 2 and detail["deleted"]["monitoring_events"] == 3
    assert set(detail) == {"proposal_id", "proposed_by", "entries", "shared_entries_kept", "deleted"}
    for words in ("Amelia", "Hassan", "Bruise", "nurse", "arm.png", "Health visitor"):
        assert words not in confirmed.detail
    with app.app_context():
        from cpoms.audit import verify_chain

        assert verify_chain().intact
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output


def test_a_grant_for_one_entry_lets_no_other_entry_go(app, world, everything):
    with app.app_context():
        db.session.add(RetentionDeletionGrant(entry_id=everything["second"]))
        db.session.add(RetentionDeletionPupilGrant(pupil_id=world.pupils[1].id))
        db.session.flush()
        for statement in (
            f"DELETE FROM follow_ups WHERE entry_id = {everything['alone']}",
            f"DELETE FROM entry_links WHERE entry_id = {everything['alone']} "
            f"AND other_entry_id = {everything['olivers']}",
            "DELETE FROM monitoring_events",
            "DELETE FROM transfer_events",
            "UPDATE entries SET narrative = 'rewritten'",
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                with db.session.begin_nested():
                    db.session.execute(text(statement))
        # The granted entry's link to Amelia's other entry goes from either end.
        db.session.execute(text(f"DELETE FROM entry_links WHERE other_entry_id = {everything['second']}"))
        db.session.rollback()
    assert rows_of(app, "entry_links") == 2


def test_a_deletion_rolled_back_leaves_the_files_and_rows(app, world, everything):
    from cpoms.mis import deletion

    with app.test_request_context():
        proposal = deletion.propose(
            db.session.get(User, world["admin"].id),
            db.session.get(Pupil, everything["pupil"]),
            "Retention period ended.",
        )
        db.session.commit()
        assert deletion.confirm(db.session.get(User, world["dsl"].id), proposal)["attachment_files"] == 1
        assert count(app, Attachment) == 1  # another connection: nothing committed yet
        db.session.rollback()
    assert everything["file"].exists() and count(app, ReceivedPack) == 1
    assert count(app, Attachment) == 1 and count(app, Pupil, Pupil.id == everything["pupil"]) == 1


def test_the_menu_leads_a_dsl_and_nobody_else_to_the_deletions_to_confirm(client, auth, world):
    for who, shown in (("dsl", True), ("deputy", False), ("admin", False), ("teacher1", False)):
        auth.as_(world[who])
        assert ('href="/retention-deletions"' in client.get("/").get_data(as_text=True)) is shown, who
