"""Keeping a child's record from named staff: the safeguarding team excludes a member of
staff from one pupil's record and ends it (append-only, audited); the excluded person
reads nothing about that pupil on any route, whatever their roles (the sweep below asks
every GET route of the app as them), is offered to nobody to alert or give a task to about
the pupil, is emailed none of its alerts, and can still log a concern about the pupil."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from cpoms.audit import AuditEvent
from cpoms.entries.operations import add_follow_up
from cpoms.exclusions.models import RecordExclusion, RecordExclusionEnd
from cpoms.extensions import db
from cpoms.models import Alert, Entry, Kind, Pupil, Role, RoleAssignment, User
from cpoms.monitoring import operations as monitoring
from cpoms.tasks.models import Task
from cpoms.tasks.operations import give_task
from cpoms.timefmt import now_utc
from cpoms.transfers.models import Transfer

from conftest import make_user
from page_crawl import sweep_get
from sweep import ROLES

# Every route as every role: the sweep's configuration (conftest.config_overrides).
pytestmark = pytest.mark.sweep

SECRET = "zqkeptqz"
# Everyone who may be excluded: every role of the sweep's world but the DSL who decides.
EXCLUDABLE = [r for r in ROLES if r not in ("anonymous", "dsl", "other_dsl", "other_teacher")]
# The pickers of pupils on the forms anyone who logs uses (a concern about a pupil, or about
# an adult and the pupils involved): they show every logger the school's pupils by name, year,
# class and UPN, to choose from, and nothing of any record; so they show the excluded too.
PICKERS = {"log.pupil_search", "log.pupil_chip", "adults.new", "adults.pupil_search", "adults.pupil_chip"}


def exclusions_page(client, pupil_id: int):
    return client.get(f"/pupils/{pupil_id}/exclusions")


def exclude(client, pupil_id: int, person_id, reason="Is the child's aunt."):
    return client.post(f"/pupils/{pupil_id}/exclusions/new", data={"person": str(person_id), "reason": reason})


def end(client, pupil_id: int, exclusion_id: int, reason="No longer works here with the family."):
    return client.post(f"/pupils/{pupil_id}/exclusions/{exclusion_id}/end", data={"reason": reason})


def exclude_directly(app, world, role: str, pupil_id: int) -> int:
    """An exclusion recorded by the DSL (the rules of who may be excluded are tested below)."""
    with app.app_context():
        exclusion = RecordExclusion(
            pupil_id=pupil_id,
            user_id=world[role].id,
            school_id=world.school.id,
            reason="Is the child's parent.",
            by_id=world["dsl"].id,
            at=now_utc(),
        )
        db.session.add(exclusion)
        db.session.commit()
        return exclusion.id


@pytest.fixture
def about_amelia(app, world, sample, make_entry) -> dict:
    """The sweep's ids, every one about Amelia (world.pupils[0]) where it can be: the sample
    entry, its follow-up, file and task; an entry about her and Oliver naming the secret,
    on which each excludable person was alerted or given a task (so only the exclusion
    keeps it from them); her monitoring; a transfer of her file."""
    amelia, oliver = world.pupils[0], world.pupils[1]
    shared = make_entry(recorder="teacher1", pupils=[amelia, oliver], narrative=f"Amelia said {SECRET} at home.")
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        entry = db.session.get(Entry, shared)
        for role in EXCLUDABLE:
            follow_up = add_follow_up(dsl, entry, Kind.TASK, f"Check in with her {SECRET}.")
            give_task(dsl, follow_up, world[role].id, now_utc().date() + timedelta(days=2))
        today = now_utc().date()
        monitoring.start(dsl, db.session.get(Pupil, amelia.id), f"Watching {SECRET}", today, today + timedelta(days=7))
        transfer = Transfer(
            pupil_id=amelia.id,
            from_school_id=world.school.id,
            to_school_id=world.other_school.id,
            method="cp_system",
            started_by_id=dsl.id,
            status="sent",
            sent_on=today,
        )
        db.session.add(transfer)
        db.session.commit()
        return {**sample, "pupil_id": amelia.id, "transfer_id": transfer.id, "shared_entry": shared}


def shows_amelia(endpoint: str, url: str, shown: str, ids: dict) -> list[str]:
    """What of Amelia's record a page shows."""
    found = [s for s in (SECRET, f"/pupils/{ids['pupil_id']}/") if s in shown]
    if endpoint not in PICKERS:
        found += [s for s in ("Amelia", "Hassan", "A.H.", "A204210010001") if s in shown]
    for entry_id in (ids["entry_id"], ids["shared_entry"]):
        if re.search(rf'/entries/{entry_id}["/?#]', shown):
            found.append(f"entry {entry_id}")
    return found


@pytest.mark.parametrize("role", EXCLUDABLE)
def test_the_excluded_person_finds_nothing_of_the_pupil_on_any_route(app, client, auth, world, about_amelia, role):
    ids = about_amelia
    auth.as_(world[role])
    before = {
        endpoint for endpoint, url, shown in sweep_get(app, client, ids) if shows_amelia(endpoint, url, shown, ids)
    }
    assert before, f"{role} sees nothing of Amelia even before the exclusion: the sweep would prove nothing"
    exclude_directly(app, world, role, ids["pupil_id"])
    auth.as_(world[role])
    leaks = {
        url: found
        for endpoint, url, shown in sweep_get(app, client, ids)
        if (found := shows_amelia(endpoint, url, shown, ids))
    }
    assert not leaks, (role, before, leaks)
    # Oliver's record stays open to them as before, except the entry about both of them.
    if role in ("slt", "deputy"):
        chronology = client.get(f"/pupils/{world.pupils[1].id}/chronology").get_data(as_text=True)
        assert "Oliver" in chronology and SECRET not in chronology


@pytest.mark.parametrize("role", ["slt", "teacher1"])
def test_the_excluded_person_can_still_log_a_concern_about_the_pupil(app, client, auth, world, role):
    pupil = world.pupils[0]
    exclude_directly(app, world, role, pupil.id)
    auth.as_(world[role])
    search = client.get("/log/pupils?q=Ame", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Amelia Hassan" in search and f"/pupils/{pupil.id}/chronology" not in search
    page = client.get(f"/log?pupil={pupil.id}")
    assert page.status_code == 200 and "Amelia" in page.get_data(as_text=True)
    from sweep import valid_log_form

    safeguarding = str(world.categories["Safeguarding"].id)
    response = client.post(
        "/log", data=valid_log_form(world, pupil, narrative=f"Worried {SECRET}.", category=safeguarding)
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    with app.app_context():
        entry = db.session.scalar(select(Entry).where(Entry.narrative.contains(SECRET)))
        assert entry is not None and entry.recorded_by_id == world[role].id
        # It goes to the team as usual.
        alerted = set(db.session.scalars(select(Alert.recipient_id).where(Alert.entry_id == entry.id)))
        assert {world["dsl"].id, world["deputy"].id} <= alerted
        entry_id = entry.id
    # ... and what they wrote is not theirs to read back about this pupil.
    assert client.get(f"/entries/{entry_id}").status_code == 404
    assert SECRET not in client.get("/logged").get_data(as_text=True)


def test_a_dsl_excludes_a_colleague_and_ends_it_all_audited(app, client, auth, world):
    pupil_id = world.pupils[0].id
    auth.as_(world["dsl"])
    page = exclusions_page(client, pupil_id).get_data(as_text=True)
    assert "Teacher1 (Staff)" in page or "Teacher1" in page
    response = exclude(client, pupil_id, world["teacher1"].id)
    assert response.status_code == 303 and response.headers["Location"].endswith("#exclusions")
    chronology = client.get(f"/pupils/{pupil_id}/chronology").get_data(as_text=True)
    assert "Who may not read this record" in chronology and "Is the child&#39;s aunt." in chronology
    with app.app_context():
        exclusion = db.session.scalar(select(RecordExclusion))
        assert (exclusion.user_id, exclusion.by_id) == (world["teacher1"].id, world["dsl"].id)
        exclusion_id = exclusion.id
    # Not offered again while in force.
    assert f'value="{world["teacher1"].id}"' not in exclusions_page(client, pupil_id).get_data(as_text=True)
    assert exclude(client, pupil_id, world["teacher1"].id).status_code == 422
    assert end(client, pupil_id, exclusion_id).status_code == 303
    assert end(client, pupil_id, exclusion_id).status_code == 409  # a second end: already ended
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordExclusionEnd)) == 1
        actions = list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.pupil_id == pupil_id).order_by(AuditEvent.id))
        )
        assert "exclude_from_record" in actions and "end_record_exclusion" in actions
        assert "view_record_exclusions" in actions
    # Ended: they read the pupil's record again as their role allows.
    auth.as_(world["teacher1"])
    assert client.get("/logged").status_code == 200


def test_nobody_may_exclude_themselves(app, client, auth, world):
    auth.as_(world["dsl"])
    response = exclude(client, world.pupils[0].id, world["dsl"].id)
    assert response.status_code == 422
    assert "You cannot exclude yourself" in response.get_data(as_text=True) or "from the list" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordExclusion)) == 0


def test_a_dsl_cannot_exclude_the_last_other_member_of_the_team(app, client, auth, world):
    """The record stays open to two of the team: the one deciding and at least one other."""
    pupil_id = world.pupils[0].id
    auth.as_(world["dsl"])
    response = exclude(client, pupil_id, world["deputy"].id)
    assert response.status_code == 422 and "last other member" in response.get_data(as_text=True)
    # With a second deputy, the first may be excluded; then the second may not.
    with app.app_context():
        second = make_user("Second Deputy", "deputy2@ashgrove.example.org", two_factor=True)
        second.roles.append(RoleAssignment(role=Role.DEPUTY_DSL, school_id=world.school.id))
        db.session.commit()
        second_id = second.id
    assert exclude(client, pupil_id, world["deputy"].id).status_code == 303
    response = exclude(client, pupil_id, second_id)
    assert response.status_code == 422 and "last other member" in response.get_data(as_text=True)
    # Staff who are not on the team may be excluded whatever the team's size.
    assert exclude(client, pupil_id, world["slt"].id).status_code == 303
    # A deactivated team member does not count as one who reads it.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordExclusion)) == 2


def test_people_of_another_school_and_unknown_ids_are_refused(app, client, auth, world):
    pupil_id = world.pupils[0].id
    auth.as_(world["dsl"])
    for person in (world["other_teacher"].id, 999_999, "x", "", "-1"):
        response = exclude(client, pupil_id, person)
        assert response.status_code == 422, person
    assert exclude(client, pupil_id, world["teacher1"].id, reason="  ").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordExclusion)) == 0


def test_only_the_pupils_safeguarding_team_manages_exclusions(app, client, auth, world):
    pupil_id = world.pupils[0].id
    for role in ("teacher1", "slt", "governor", "admin", "trust_rep", "other_dsl"):
        auth.as_(world[role])
        assert exclusions_page(client, pupil_id).status_code == 404, role
        assert exclude(client, pupil_id, world["teacher2"].id).status_code == 404, role
    auth.as_(world["deputy"])
    assert exclusions_page(client, pupil_id).status_code == 200


def test_an_exclusion_of_another_pupil_cannot_be_ended_through_this_one(app, client, auth, world):
    exclusion_id = exclude_directly(app, world, "teacher1", world.pupils[1].id)
    auth.as_(world["dsl"])
    assert end(client, world.pupils[0].id, exclusion_id).status_code == 404
    assert end(client, world.pupils[1].id, exclusion_id).status_code == 303


def test_exclusions_are_append_only(app, world):
    exclusion_id = exclude_directly(app, world, "teacher1", world.pupils[0].id)
    with app.app_context():
        db.session.add(RecordExclusionEnd(exclusion_id=exclusion_id, reason="Ended.", by_id=world["dsl"].id))
        db.session.commit()
    for statement in (
        "UPDATE record_exclusions SET reason = 'x'",
        "DELETE FROM record_exclusions",
        "UPDATE record_exclusion_ends SET reason = 'x'",
        "DELETE FROM record_exclusion_ends",
    ):
        with app.app_context():
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()


def assignees(page: str) -> set[int]:
    """The people the entry page's task form offers."""
    picker = re.search(r'<select[^>]*name="assignee".*?</select>', page, re.S)
    return {int(i) for i in re.findall(r'value="(\d+)"', picker.group(0))} if picker else set()


def test_the_excluded_are_not_alerted_nor_offered_to_alert_or_give_a_task(app, client, auth, world, make_entry):
    pupil = world.pupils[0]
    with app.app_context():
        third = make_user("Third Deputy", "deputy3@ashgrove.example.org", two_factor=True)
        third.roles.append(RoleAssignment(role=Role.DEPUTY_DSL, school_id=world.school.id))
        db.session.commit()
    exclude_directly(app, world, "deputy", pupil.id)
    exclude_directly(app, world, "teacher2", pupil.id)
    # The team's alert emails for a new safeguarding entry about her: not to the deputy.
    entry_id = make_entry(recorder="teacher1", pupils=[pupil])
    with app.app_context():
        alerted = set(db.session.scalars(select(Alert.recipient_id).where(Alert.entry_id == entry_id)))
    assert world["dsl"].id in alerted and world["deputy"].id not in alerted
    # About Oliver, as before.
    other = make_entry(recorder="teacher1", pupils=[world.pupils[1]])
    with app.app_context():
        assert world["deputy"].id in set(db.session.scalars(select(Alert.recipient_id).where(Alert.entry_id == other)))
    # The task picker on her entry offers neither of them; on Oliver's entry both.
    auth.as_(world["dsl"])
    offered = assignees(client.get(f"/entries/{entry_id}").get_data(as_text=True))
    assert offered and not offered & {world["teacher2"].id, world["deputy"].id}
    assert {world["teacher2"].id, world["deputy"].id} <= assignees(
        client.get(f"/entries/{other}").get_data(as_text=True)
    )
    # Giving teacher2 a task on her entry anyway is refused as a choice not offered.
    response = client.post(
        f"/entries/{entry_id}/follow-ups",
        data={"kind": "task", "text": "Call home.", "assignee": str(world["teacher2"].id), "due_on": "2099-01-01"},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Task).where(Task.entry_id == entry_id)) == 0


def test_the_log_form_alerts_no_excluded_colleague_about_the_pupil(app, client, auth, world):
    from sweep import valid_log_form

    pupil = world.pupils[0]
    exclude_directly(app, world, "teacher2", pupil.id)
    auth.as_(world["teacher1"])
    response = client.post(
        "/log", data=valid_log_form(world, pupil, narrative=f"Worried {SECRET}.", alert_staff=str(world["teacher2"].id))
    )
    assert response.status_code == 422, response.status_code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry).where(Entry.narrative.contains(SECRET))) == 0


def test_the_excluded_take_no_part_in_deleting_the_pupils_records(app, client, auth, world):
    """Proposing and confirming the deletion of a child's records after the retention review
    (and accepting an earlier date of birth) are decisions about that child: not for
    someone kept from their record."""
    from cpoms.mis.models import RetentionDeletion

    amelia = world.pupils[0]
    with app.app_context():
        proposal = RetentionDeletion(
            pupil_id=amelia.id, school_id=world.school.id, reason="Reviewed.", proposed_by_id=world["admin"].id
        )
        db.session.add(proposal)
        db.session.commit()
        proposal_id = proposal.id
    auth.as_(world["dsl"])
    assert "Amelia" in client.get("/retention-deletions").get_data(as_text=True)
    exclude_directly(app, world, "dsl", amelia.id)
    exclude_directly(app, world, "admin", amelia.id)
    auth.as_(world["dsl"])
    assert "Amelia" not in client.get("/retention-deletions").get_data(as_text=True)
    assert client.post(f"/retention-deletions/{proposal_id}/confirm").status_code == 404
    auth.as_(world["admin"])
    assert client.post(f"/admin/pupils/retention/{amelia.id}/propose", data={"reason": "Reviewed."}).status_code == 404
    with app.app_context():
        assert db.session.get(RetentionDeletion, proposal_id).confirmed_at is None


def test_the_team_cannot_message_a_recorder_kept_from_the_pupils_record(app, client, auth, world, make_entry):
    from cpoms.hearback.models import RecorderMessage

    entry_id = make_entry(recorder="teacher1")
    exclude_directly(app, world, "teacher1", world.pupils[0].id)
    auth.as_(world["dsl"])
    response = client.post(f"/entries/{entry_id}/recorder-messages", data={"text": "Thank you."})
    assert response.status_code == 422
    assert "excluded from the record of a pupil it names" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecorderMessage)) == 0
