"""Child-protection file transfers and subject-access exports (cpoms/transfers/):
the states, who sees the records before and after a transfer, the transfer pack,
the 5-school-day overdue rule, the reminders, and real SMTP for the emails."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Alert, Entry, Kind, Pupil, Role, School, User
from cpoms.timefmt import now_utc, to_uk
from cpoms.transfers.models import SubjectAccessExport, Transfer, TransferEvent, TransferReminder
from cpoms.transfers.reminders import queue_reminders
from cpoms.transfers.schooldays import BANK_HOLIDAYS, add_school_days, is_overdue, receipt_due

from conftest import make_user

BASE_URL = "https://concerns.example.org"
NARRATIVE = "Came in with a bruise marmalade-pelican."
SHARED = "Amelia and Oliver Nowak argued; Oliver cried."


@pytest.fixture
def config_overrides():
    return {"APP_BASE_URL": BASE_URL}


def today() -> date:
    return to_uk(now_utc()).date()


@pytest.fixture
def records(app, world, make_entry) -> dict:
    """Amelia's record at ashgrove: her own entry with a follow-up, and one shared with Oliver."""
    own = make_entry(narrative=NARRATIVE)
    shared = make_entry(pupils=world.pupils[:2], narrative=SHARED, category="Behaviour")
    with app.test_request_context():
        add_follow_up(
            db.session.get(User, world["dsl"].id), db.session.get(Entry, own), Kind.ACTION, "Spoke to mum at pick-up."
        )
        db.session.commit()
    return {"own": own, "shared": shared, "pupil": world.pupils[0].id}


@pytest.fixture
def cedar(app, world) -> dict:
    """A third school of the trust, with its own safeguarding lead and senior leader."""
    with app.app_context():
        school = School(slug="cedar", name="Cedar Primary School", trust_id=world.trust.id)
        db.session.add(school)
        db.session.flush()
        people = {
            key: make_user(f"Cedar {key}", f"{key}@cedar.example.org", roles=[(role, school, None)])
            for key, role in (("dsl", Role.DSL), ("slt", Role.SLT))
        }
        db.session.commit()
        for user in people.values():
            db.session.refresh(user)
        db.session.expunge_all()
    return people


@pytest.fixture
def brookfield_people(app, world) -> dict:
    """Brookfield's deputy, senior leader and governor (the world gives it a DSL and a teacher)."""
    with app.app_context():
        school = db.session.get(School, world.other_school.id)
        people = {
            key: make_user(f"Brookfield {key}", f"{key}@brookfield.example.org", roles=[(role, school, None)])
            for key, role in (("deputy", Role.DEPUTY_DSL), ("slt", Role.SLT), ("governor", Role.GOVERNOR))
        }
        db.session.commit()
        for user in people.values():
            db.session.refresh(user)
        db.session.expunge_all()
    return people


def start_in_trust(client, world, pupil_id, sent_on=None):
    sent = (sent_on or today()).isoformat()
    return client.post(
        f"/pupils/{pupil_id}/transfer",
        data={"destination": str(world.other_school.id), "method": "cp_system", "sent_on": sent},
    )


def start_outside(client, pupil_id, sent_on=None, **changes):
    data = {
        "destination": "outside",
        "destination_name": "St Anne's Primary, Leeds",
        "contact_name": "Ms Patel",
        "contact_email": "dsl@stannes.example.org",
        "method": "secure_email",
        "sent_on": (sent_on or today()).isoformat(),
        **changes,
    }
    return client.post(f"/pupils/{pupil_id}/transfer", data=data)


def transfer_id_from(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def accepted(client, auth, world, pupil_id) -> int:
    """The pupil's file sent from ashgrove to brookfield, and accepted there (signed in as brookfield's DSL)."""
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, pupil_id))
    auth.as_(world["other_dsl"])
    assert client.post(f"/transfers/{transfer_id}/accept").status_code == 303
    return transfer_id


def the_transfer(app, transfer_id) -> Transfer:
    with app.app_context():
        transfer = db.session.get(Transfer, transfer_id)
        db.session.expunge(transfer)
        return transfer


def event_kinds(app, transfer_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TransferEvent.kind).where(TransferEvent.transfer_id == transfer_id).order_by(TransferEvent.id)
            )
        )


def actions(app, action) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- school days ----------------------------------------------------------------------------------


def test_the_bank_holidays_are_weekdays_eight_a_year():
    assert all(day.weekday() < 5 for day in BANK_HOLIDAYS)
    for year in (2025, 2026, 2027, 2028):
        assert len([d for d in BANK_HOLIDAYS if d.year == year]) == 8


def test_sent_on_a_friday_is_overdue_the_next_friday():
    friday = date(2026, 11, 20)
    assert receipt_due(friday) == date(2026, 11, 27)
    assert not is_overdue(friday, date(2026, 11, 26))  # Thursday: 4 school days
    assert is_overdue(friday, date(2026, 11, 27))


def test_a_bank_holiday_does_not_count():
    friday = date(2026, 8, 28)  # Monday 31 August 2026 is the summer bank holiday
    assert receipt_due(friday) == date(2026, 9, 7)
    assert not is_overdue(friday, date(2026, 9, 4))  # the following Friday: only 4 school days
    assert is_overdue(friday, date(2026, 9, 7))


def test_christmas_and_its_substitute_days_do_not_count():
    assert add_school_days(date(2026, 12, 24), 1) == date(2026, 12, 29)  # 25th, the weekend, 28th substitute
    assert add_school_days(date(2027, 12, 24), 1) == date(2027, 12, 29)


def test_nothing_sent_is_never_overdue():
    assert not is_overdue(None, date(2030, 1, 1))


# --- within the trust ------------------------------------------------------------------------------


def test_in_trust_transfer_emails_the_receiving_team_by_real_smtp(
    mail_app, smtp, client, auth, world, records, brookfield_people
):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, records["pupil"]))
    assert sorted(smtp.inbox.recipients) == ["deputy@brookfield.example.org", "other_dsl@brookfield.example.org"]
    message = email.message_from_bytes(smtp.inbox.messages[0].original_content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for text in (body, html, message["Subject"]):
        assert "Amelia" not in text and "Hassan" not in text and "marmalade" not in text
    assert "A.H." in body and "Brookfield Primary School" in message["Subject"]
    assert f"{BASE_URL}/transfers/{transfer_id}" in body
    assert event_kinds(mail_app, transfer_id) == ["started", "sent"]


def test_receiving_school_reads_the_file_only_after_accepting(
    app, client, auth, world, records, cedar, brookfield_people
):
    pupil = records["pupil"]
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, pupil))
    chronology, entry = f"/pupils/{pupil}/chronology", f"/entries/{records['own']}"
    for who in (world["other_dsl"], brookfield_people["slt"], cedar["dsl"], cedar["slt"]):
        auth.as_(who)
        assert client.get(chronology).status_code == 404
        assert client.get(entry).status_code == 404
    auth.as_(world["other_dsl"])
    response = client.post(f"/transfers/{transfer_id}/accept")
    assert response.status_code == 303 and response.headers["Location"] == chronology
    page = client.get(chronology).get_data(as_text=True)
    assert NARRATIVE in page and "Spoke to mum at pick-up." in page
    assert "Accepted by the receiving school" in page  # the transfer on the chronology
    assert client.get(entry).status_code == 200
    auth.as_(brookfield_people["slt"])
    assert NARRATIVE in client.get(chronology).get_data(as_text=True)
    # Brookfield's governors, and every other school, still see none of it.
    auth.as_(brookfield_people["governor"])
    assert NARRATIVE not in client.get(chronology).get_data(as_text=True)
    assert client.get(entry).status_code == 404
    for who in (cedar["dsl"], cedar["slt"]):
        auth.as_(who)
        assert client.get(chronology).status_code == 404
        assert client.get(entry).status_code == 404
    # The sending school keeps its records.
    auth.as_(world["dsl"])
    assert NARRATIVE in client.get(chronology).get_data(as_text=True)
    assert client.get(entry).status_code == 200
    with app.app_context():
        moved = db.session.get(Pupil, pupil)
        assert moved.school_id == world.other_school.id and moved.active
        assert db.session.get(Entry, records["own"]).school_id == world.school.id  # entries never move
    assert event_kinds(app, transfer_id) == ["started", "sent", "accepted"]
    assert len(actions(app, "accept_transfer")) == 1


def test_the_receiving_review_queue_does_not_take_the_old_entries(app, client, auth, world, records):
    accepted(client, auth, world, records["pupil"])
    assert f"/entries/{records['own']}" not in client.get("/review").get_data(as_text=True)
    auth.as_(world["dsl"])
    assert f"/entries/{records['own']}" in client.get("/review").get_data(as_text=True)


def test_the_receiving_team_reads_but_does_not_write_on_old_entries(app, client, auth, world, records):
    accepted(client, auth, world, records["pupil"])
    response = client.post(f"/entries/{records['own']}/follow-ups", data={"kind": "note", "text": "Hello"})
    assert response.status_code in (403, 404, 405)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 2


def test_a_declined_file_stays_with_the_sender(app, client, auth, world, records):
    pupil = records["pupil"]
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, pupil))
    auth.as_(world["other_dsl"])
    assert client.post(f"/transfers/{transfer_id}/decline", data={"reason": ""}).status_code == 422
    response = client.post(f"/transfers/{transfer_id}/decline", data={"reason": "Not joining us after all."})
    assert response.status_code == 303
    assert client.get(f"/pupils/{pupil}/chronology").status_code == 404
    assert the_transfer(app, transfer_id).status == "declined"
    auth.as_(world["dsl"])
    page = client.get(f"/transfers/{transfer_id}").get_data(as_text=True)
    assert "Not joining us after all." in page
    assert "Declined" in client.get("/transfers").get_data(as_text=True)
    assert start_in_trust(client, world, pupil).status_code == 303  # a new transfer may start


def test_a_decline_emails_the_sending_team_without_the_reason(mail_app, smtp, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, records["pupil"]))
    smtp.inbox.messages.clear()
    auth.as_(world["other_dsl"])
    client.post(f"/transfers/{transfer_id}/decline", data={"reason": "Mum says she is moving to Leeds instead."})
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    message = email.message_from_bytes(smtp.inbox.messages[0].original_content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "declined" in message["Subject"] and "A.H." in body
    assert "Leeds" not in body and "Amelia" not in body and f"{BASE_URL}/transfers/{transfer_id}" in body


def test_the_transfer_page_runs_a_fixed_number_of_queries(app, client, auth, world, records, count_queries):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_outside(client, records["pupil"], sent_on=None))
    client.get(f"/transfers/{transfer_id}")
    with count_queries() as few:
        assert client.get(f"/transfers/{transfer_id}").status_code == 200
    client.post(f"/transfers/{transfer_id}/receipt", data={"confirmed_by": "Ms Patel", "on_date": today().isoformat()})
    with count_queries() as many:
        assert client.get(f"/transfers/{transfer_id}").status_code == 200
    assert len(few) == len(many)


def test_states_move_only_forwards(app, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, records["pupil"]))
    assert client.post(f"/transfers/{transfer_id}/accept").status_code == 403  # the sender cannot accept
    auth.as_(world["other_dsl"])
    assert client.post(f"/transfers/{transfer_id}/accept").status_code == 303
    again = client.post(f"/transfers/{transfer_id}/accept")
    assert again.status_code == 409 and "nothing was changed" in again.get_data(as_text=True)
    assert client.post(f"/transfers/{transfer_id}/decline", data={"reason": "x"}).status_code == 409
    assert event_kinds(app, transfer_id) == ["started", "sent", "accepted"]


def test_events_cannot_be_changed_or_deleted(app, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, records["pupil"]))
    with app.app_context():
        for statement in (
            f"UPDATE transfer_events SET kind = 'accepted' WHERE transfer_id = {transfer_id}",
            f"DELETE FROM transfer_events WHERE transfer_id = {transfer_id}",
        ):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(db.text(statement))
            db.session.rollback()


def test_a_started_transfer_is_pending_until_sent(app, mail_app, smtp, client, auth, world, records):
    auth.as_(world["dsl"])
    response = client.post(
        f"/pupils/{records['pupil']}/transfer",
        data={"destination": str(world.other_school.id), "method": "in_person", "sent_on": ""},
    )
    transfer_id = transfer_id_from(response)
    assert smtp.inbox.messages == []  # nobody is asked to accept a file not yet sent
    board = client.get("/transfers").get_data(as_text=True)
    assert "Started, not sent" in board
    assert client.post(f"/transfers/{transfer_id}/sent", data={"sent_on": ""}).status_code == 422
    assert client.post(f"/transfers/{transfer_id}/sent", data={"sent_on": today().isoformat()}).status_code == 303
    assert the_transfer(app, transfer_id).status == "sent"
    assert len(smtp.inbox.messages) == 1


def test_only_one_open_transfer_per_pupil(client, auth, world, records):
    auth.as_(world["dsl"])
    start_in_trust(client, world, records["pupil"])
    response = start_outside(client, records["pupil"])
    assert response.status_code == 409 and "already open" in response.get_data(as_text=True)


# --- outside the trust --------------------------------------------------------------------------------


def open_zip(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def check_pack(files: dict[str, bytes], records: dict) -> dict:
    assert set(files) == {
        "pack.json",
        "records.json",
        "signing-key.pem",
        "chronology.pdf",
        "manifest.sha256",
        "manifest.sha256.sig",
    }
    manifest = dict(reversed(line.split("  ")) for line in files["manifest.sha256"].decode().splitlines())
    for name in ("pack.json", "records.json", "signing-key.pem", "chronology.pdf"):
        assert manifest[name] == hashlib.sha256(files[name]).hexdigest()
    data = json.loads(files["records.json"])
    assert sorted(e["id"] for e in data["entries"]) == sorted([records["own"], records["shared"]])
    assert sum(len(e["follow_ups"]) for e in data["entries"]) == 1
    text = pdf_text(files["chronology.pdf"])
    json_text = files["records.json"].decode()
    for body in (text, json_text):
        assert "marmalade-pelican" in body and "another pupil" in body
        assert "Oliver" not in body and "Nowak" not in body
    assert "Amelia Hassan" in text
    own = next(e for e in data["entries"] if e["id"] == records["own"])
    assert own["narrative"] == NARRATIVE and own["follow_ups"][0]["text"] == "Spoke to mum at pick-up."
    return data


def test_outside_transfer_pack_and_receipt(app, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_outside(client, records["pupil"]))
    page = client.get(f"/transfers/{transfer_id}").get_data(as_text=True)
    assert "Download the transfer pack" in page and "St Anne&#39;s Primary, Leeds" in page
    data = check_pack(open_zip(client.get(f"/transfers/{transfer_id}/pack.zip")), records)
    assert data["transfers"][0]["to"] == "St Anne's Primary, Leeds"
    [event] = actions(app, "export_transfer_pack")
    assert event.pupil_id == records["pupil"] and json.loads(event.detail)["entries"] == 2
    assert client.post(f"/transfers/{transfer_id}/receipt", data={"confirmed_by": "", "on_date": ""}).status_code == 422
    response = client.post(
        f"/transfers/{transfer_id}/receipt",
        data={"confirmed_by": "Ms Patel (DSL)", "on_date": today().isoformat(), "note": "Signed for by the office."},
    )
    assert response.status_code == 303
    assert the_transfer(app, transfer_id).status == "received"
    page = client.get(f"/transfers/{transfer_id}").get_data(as_text=True)
    assert "Confirmed by Ms Patel (DSL)" in page and "Signed for by the office." in page
    assert event_kinds(app, transfer_id) == ["started", "sent", "received"]
    with app.app_context():
        assert db.session.get(Pupil, records["pupil"]).school_id == world.school.id  # nobody else's pupil now


def test_an_outside_school_needs_its_name_and_contact(client, auth, world, records):
    auth.as_(world["dsl"])
    response = start_outside(client, records["pupil"], destination_name="", contact_name=" ", contact_email="nope")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter the name of the school", "Enter who at that school", "Enter an email address like"):
        assert message in html
    assert 'value="nope"' in html  # what was typed is kept


def test_a_date_sent_in_the_future_is_refused(client, auth, world, records):
    auth.as_(world["dsl"])
    response = start_in_trust(client, world, records["pupil"], sent_on=today() + timedelta(days=2))
    assert response.status_code == 422 and "cannot be in the future" in response.get_data(as_text=True)


def test_no_pack_for_a_trust_school_and_no_receipt_there(client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_in_trust(client, world, records["pupil"]))
    assert client.get(f"/transfers/{transfer_id}/pack.zip").status_code == 403
    assert client.post(f"/transfers/{transfer_id}/receipt", data={"confirmed_by": "x"}).status_code == 403


# --- the dashboard and overdue reminders ---------------------------------------------------------------


def backdate(app, transfer_id, sent_on: date):
    """The state row is the one writable row: move its sent date back as if sent then."""
    with app.app_context():
        db.session.get(Transfer, transfer_id).sent_on = sent_on
        db.session.commit()


def test_dashboard_groups(app, client, auth, world, records):
    auth.as_(world["dsl"])
    overdue_id = transfer_id_from(start_outside(client, records["pupil"]))
    backdate(app, overdue_id, today() - timedelta(days=21))
    transfer_id_from(start_in_trust(client, world, world.pupils[1].id))
    html = client.get("/transfers").get_data(as_text=True)
    overdue_part = html.split('id="overdue-heading"')[1].split("</section>")[0]
    sent_part = html.split('id="sent-heading"')[1].split("</section>")[0]
    assert "Amelia Hassan" in overdue_part and "Overdue since" in overdue_part
    assert "Oliver Nowak" in sent_part and "Due by" in sent_part
    assert len(actions(app, "view_transfers")) == 1
    auth.as_(world["other_dsl"])
    html = client.get("/transfers").get_data(as_text=True)
    incoming = html.split('id="incoming-heading"')[1].split("</section>")[0]
    assert "Oliver Nowak" in incoming and "Amelia" not in html


def test_dashboard_runs_a_fixed_number_of_queries(app, client, auth, world, make_entry, count_queries):
    auth.as_(world["dsl"])
    client.get("/transfers")
    with count_queries() as few:
        assert client.get("/transfers").status_code == 200
    with app.app_context():
        school = db.session.get(School, world.school.id)
        more = [
            Pupil(
                school=school,
                first_name=f"P{n}",
                last_name="Test",
                upn=f"Z{n:012d}",
                year_group=3,
                class_name="3Oak",
                date_of_birth=date(2019, 1, 1),
            )
            for n in range(12)
        ]
        db.session.add_all(more)
        db.session.commit()
        ids = [p.id for p in more]
    for n, pupil_id in enumerate(ids):
        if n % 2:
            start_in_trust(client, world, pupil_id)
        else:
            start_outside(client, pupil_id)
    with count_queries() as many:
        assert client.get("/transfers").status_code == 200
    assert len(few) == len(many)


def test_reminders_email_the_sending_team_once_a_day(mail_app, smtp, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_outside(client, records["pupil"]))
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["send-transfer-reminders"])
    assert result.exit_code == 0 and "0 reminder" in result.output  # sent today: not overdue
    backdate(mail_app, transfer_id, today() - timedelta(days=14))
    result = runner.invoke(args=["send-transfer-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 reminder email(s) queued: 2 sent" in result.output
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    message = email.message_from_bytes(smtp.inbox.messages[0].original_content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "Overdue" in message["Subject"] and "A.H." in body and "Amelia" not in body
    assert "marmalade" not in body and f"{BASE_URL}/transfers/{transfer_id}" in body
    result = runner.invoke(args=["send-transfer-reminders"])
    assert "0 reminder" in result.output and len(smtp.inbox.messages) == 2
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransferReminder)) == 1
        assert queue_reminders(today() + timedelta(days=1)) != []  # another day, another reminder
    assert len(actions(mail_app, "transfer_reminders_queued")) == 2


def test_no_reminder_once_received(app, client, auth, world, records):
    auth.as_(world["dsl"])
    transfer_id = transfer_id_from(start_outside(client, records["pupil"]))
    backdate(app, transfer_id, today() - timedelta(days=14))
    client.post(f"/transfers/{transfer_id}/receipt", data={"confirmed_by": "Ms Patel", "on_date": today().isoformat()})
    with app.app_context():
        assert queue_reminders(today()) == []
        assert db.session.scalar(select(func.count()).select_from(Alert)) == 2  # only the entry's own alerts


# --- subject access --------------------------------------------------------------------------------------


def test_subject_access_export_is_produced_recorded_and_listed(app, client, auth, world, records):
    auth.as_(world["dsl"])
    files = open_zip(client.post(f"/pupils/{records['pupil']}/subject-access"))
    data = check_pack(files, records)
    assert json.loads(files["pack.json"])["purpose"] == "subject-access"
    assert data["pupil"]["upn"] == "A204210010001"
    with app.app_context():
        [made] = db.session.scalars(select(SubjectAccessExport)).all()
        assert (made.pupil_id, made.produced_by_id, made.entries, made.follow_ups) == (
            records["pupil"],
            world["dsl"].id,
            2,
            1,
        )
    [event] = actions(app, "export_subject_access")
    assert event.pupil_id == records["pupil"]
    page = client.get(f"/pupils/{records['pupil']}/chronology").get_data(as_text=True)
    assert "Subject-access exports produced" in page and "by Dsl: 2 entries, 1 follow-up" in page


@pytest.mark.parametrize("who", ["slt", "governor", "teacher1", "other_dsl"])
def test_subject_access_is_for_the_pupils_safeguarding_team(app, client, auth, world, records, who):
    auth.as_(world[who])
    response = client.post(f"/pupils/{records['pupil']}/subject-access")
    assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubjectAccessExport)) == 0
    assert actions(app, "denied")


def test_the_chronology_lists_every_transfer_and_export_once(app, client, auth, world, records):
    auth.as_(world["dsl"])
    pupil = records["pupil"]
    first = transfer_id_from(start_in_trust(client, world, pupil))
    auth.as_(world["other_dsl"])
    client.post(f"/transfers/{first}/decline", data={"reason": "Not joining us."})
    auth.as_(world["dsl"])
    transfer_id_from(start_outside(client, pupil))
    for _ in range(3):
        open_zip(client.post(f"/pupils/{pupil}/subject-access"))
    page = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    transfers = page.split('class="transfers-of-pupil"')[1].split("</ul>")[0]
    exports = page.split('class="subject-access-exports"')[1].split("</ul>")[0]
    assert transfers.count("<li>") == 2 and transfers.index("Declined") < transfers.index("St Anne")
    assert exports.count("<li>") == 3


def test_other_pupils_of_a_received_file_are_another_pupil(app, client, auth, world, records):
    pupil = records["pupil"]
    accepted(client, auth, world, pupil)
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "Also about: another pupil" in chronology
    entry = client.get(f"/entries/{records['shared']}").get_data(as_text=True)
    heading = entry.split('id="entry-heading">')[1].split("</h1>")[0]
    assert "Amelia Hassan" in heading and "another pupil" in heading
    for page in (chronology, entry):  # the narrative reads as recorded in the app (the exports redact it)
        rest = page.replace(SHARED, "")
        assert "Oliver" not in rest and "Nowak" not in rest and "O.N." not in rest
    # The recording school still names the pupils of its own entry, the one who left too.
    auth.as_(world["dsl"])
    entry = client.get(f"/entries/{records['shared']}").get_data(as_text=True)
    heading = entry.split('id="entry-heading">')[1].split("</h1>")[0]
    assert "Amelia Hassan" in heading and "Oliver Nowak" in heading


def test_the_sending_school_still_names_the_pupil_who_left(app, client, auth, world, records):
    pupil = records["pupil"]
    accepted(client, auth, world, pupil)
    auth.as_(world["dsl"])
    page = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "<h1>Amelia Hassan</h1>" in page and "A204210010001" in page
    assert "Transfer the file to a new school" not in page  # no longer theirs to transfer
    auth.as_(world["governor"])
    page = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "<h1>A.H.</h1>" in page and "Amelia" not in page.replace(SHARED, "") and NARRATIVE in page
