"""Key information on a pupil (statuses as dated periods, append-only) and police
notifications (Operation Encompass): recorded by the safeguarding team, shown where the
team works, hidden from everyone else on every path, counted in reports without names."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.keyinfo import operations, queries
from cpoms.keyinfo.models import KeyFlag, KeyStatus, KeyStatusEnd, PoliceCheckIn, PoliceNotification
from cpoms.models import Alert, Pupil, User

OFFICER_WORDS = "Sergeant Pemberton-Quill"
SHARED_WORDS = "Shouting heard by neighbours; mother's partner arrested at the address."
FORCE_REF = "ENC-4471-ZX"


def day(offset: int) -> str:
    return (uk_today() + timedelta(days=offset)).isoformat()


def status_form(**changes) -> dict:
    return {
        "kind": "cp_plan",
        "starts_on": day(-30),
        "category_of_abuse": "neglect",
        "authority": "Northshire County Council",
        "contact": "",
        "note": "Initial conference decided the plan.",
        **changes,
    }


def police_form(world, **changes) -> dict:
    return {
        "incident_at": (uk_today() - timedelta(days=1)).isoformat() + "T22:15",
        "child_present": "yes",
        "officer": OFFICER_WORDS,
        "force_reference": FORCE_REF,
        "shared": SHARED_WORDS,
        "key_adult": str(world["teacher1"].id),
        **changes,
    }


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def record_cp_plan(client, world, pupil_id=None, **changes):
    return client.post(
        f"/pupils/{pupil_id or world.pupils[0].id}/key-information/statuses", data=status_form(**changes)
    )


# --- statuses ------------------------------------------------------------------------


def test_a_dsl_records_and_ends_a_status_and_the_team_sees_it_where_it_works(app, client, auth, world, make_entry):
    pupil = world.pupils[0].id
    entry_id = make_entry()
    auth.as_(world["dsl"])
    response = record_cp_plan(client, world)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/pupils/{pupil}/key-information#status-")
    since = (uk_today() - timedelta(days=30)).strftime("%-d %b %Y")
    badge = f"CP plan since {since}"
    page = client.get(f"/pupils/{pupil}/key-information").get_data(as_text=True)
    assert "Child protection plan" in page and "Neglect" in page and "Northshire County Council" in page
    assert "Recorded by Dsl" in page
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert 'id="key-information"' in chronology and badge in chronology
    assert badge in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert badge in client.get("/review?status=all").get_data(as_text=True)

    with app.app_context():
        status_id = db.session.scalar(select(KeyStatus.id))
    response = client.post(f"/key-statuses/{status_id}/end", data={"ends_on": day(0), "note": "Stepped down to CIN."})
    assert response.status_code == 303
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert badge not in chronology and "No active status." in chronology
    page = client.get(f"/pupils/{pupil}/key-information").get_data(as_text=True)
    assert "Ended" in page and "Stepped down to CIN." in page
    # Ended twice (another tab): nothing more is written.
    again = client.post(f"/key-statuses/{status_id}/end", data={"ends_on": day(0)})
    assert again.status_code == 409
    assert count(app, KeyStatusEnd) == 1


def test_statuses_are_append_only_in_the_database(app, client, auth, world):
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    with app.app_context():
        status_id = db.session.scalar(select(KeyStatus.id))
    client.post(f"/key-statuses/{status_id}/end", data={"ends_on": day(0)})
    for statement in (
        "UPDATE key_statuses SET kind = 'cin_plan'",
        "DELETE FROM key_statuses",
        "UPDATE key_status_ends SET ends_on = starts_on",
        "DELETE FROM key_status_ends",
    ):
        with app.app_context():
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement.replace("starts_on", "ends_on")))
            db.session.rollback()


@pytest.mark.parametrize("who", ["teacher1", "governor", "trust_rep", "admin", "other_dsl"])
def test_nobody_outside_the_team_and_slt_reads_or_records_statuses(app, client, auth, world, who, make_entry):
    pupil = world.pupils[0].id
    entry_id = make_entry()
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    with app.app_context():
        status_id = db.session.scalar(select(KeyStatus.id))
    auth.as_(world[who])
    assert client.get(f"/pupils/{pupil}/key-information").status_code == 404
    assert record_cp_plan(client, world).status_code in (403, 404)
    assert client.post(f"/key-statuses/{status_id}/end", data={"ends_on": day(0)}).status_code in (403, 404)
    assert count(app, KeyStatus) == 1 and count(app, KeyStatusEnd) == 0
    for path in (f"/pupils/{pupil}/chronology", f"/entries/{entry_id}", "/review?status=all", "/", "/search?q=bruise"):
        body = client.get(path).get_data(as_text=True)
        assert "CP plan since" not in body and "Northshire" not in body, (who, path)


def test_slt_reads_statuses_but_does_not_record_them(app, client, auth, world):
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    auth.as_(world["slt"])
    page = client.get(f"/pupils/{world.pupils[0].id}/key-information")
    assert page.status_code == 200 and "Child protection plan" in page.get_data(as_text=True)
    assert "Record a status" not in page.get_data(as_text=True)
    assert record_cp_plan(client, world).status_code == 403
    assert count(app, KeyStatus) == 1


def test_the_log_form_tells_staff_to_speak_to_the_team_without_saying_why(app, client, auth, world):
    pupil = world.pupils[0].id
    hint = "has a named contact in the safeguarding team: tell them in person today"
    auth.as_(world["teacher1"])
    assert hint not in client.get(f"/log?pupil={pupil}").get_data(as_text=True)
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    auth.as_(world["teacher1"])
    body = client.get(f"/log?pupil={pupil}").get_data(as_text=True)
    assert hint in body
    assert "protection" not in body.lower().replace("data protection", "") and "CP plan" not in body
    # Another pupil, with no status: no hint.
    assert hint not in client.get(f"/log?pupil={world.pupils[1].id}").get_data(as_text=True)


def test_status_form_refuses_bad_input(app, client, auth, world):
    auth.as_(world["dsl"])
    cases = [
        status_form(kind=""),
        status_form(kind="made_up"),
        status_form(kind="other"),
        status_form(kind="flag-999999"),
        status_form(kind="flag-x"),
        status_form(category_of_abuse=""),
        status_form(category_of_abuse="bad"),
        status_form(authority=""),
        status_form(starts_on=day(3)),
        status_form(starts_on="1899-01-01"),
        status_form(starts_on="not a date"),
        status_form(authority="x" * 201),
        status_form(note="x" * 20001),
    ]
    for data in cases:
        response = record_cp_plan(client, world, **{k: v for k, v in data.items()})
        assert response.status_code == 422, data
    assert count(app, KeyStatus) == 0


def test_a_trust_flag_is_defined_by_the_trust_admin_and_recorded_by_the_team(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    assert client.get("/key-information/flags").status_code == 200
    assert client.post("/key-information/flags", data={"name": "Known to the youth offending team"}).status_code == 303
    assert client.post("/key-information/flags", data={"name": "known to the youth offending team"}).status_code == 422
    assert client.post("/key-information/flags", data={"name": ""}).status_code == 422
    auth.as_(world["dsl"])
    assert client.get("/key-information/flags").status_code == 403
    with app.app_context():
        flag_id = db.session.scalar(select(KeyFlag.id))
    assert f'value="flag-{flag_id}"' in client.get(f"/pupils/{world.pupils[0].id}/key-information").get_data(
        as_text=True
    )
    assert record_cp_plan(client, world, kind=f"flag-{flag_id}").status_code == 303
    assert "Known to the youth offending team since" in client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(
        as_text=True
    )


def test_filters_on_the_review_queue_and_monitoring_list(app, client, auth, world, make_entry):
    from helpers import monitor

    with_plan = make_entry(narrative="Amelia's entry.")
    without = make_entry(pupils=[world.pupils[1]], narrative="Oliver's entry.")
    monitor(app, world, world.pupils[0])
    monitor(app, world, world.pupils[1])
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    body = client.get("/review?status=all&key=cp_plan").get_data(as_text=True)
    assert f"/entries/{with_plan}" in body and f"/entries/{without}" not in body
    assert "Amelia Hassan" in body and "Oliver Nowak" not in body
    body = client.get("/review?status=all&key=looked_after").get_data(as_text=True)
    assert f"/entries/{with_plan}" not in body
    # An unknown filter is no filter.
    body = client.get("/review?status=all&key=%27;drop").get_data(as_text=True)
    assert f"/entries/{with_plan}" in body and f"/entries/{without}" in body


def test_exports_carry_the_statuses_for_readers_of_them(app, client, auth, world, make_entry):
    make_entry()
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    record_cp_plan(client, world, note="=HYPERLINK(1)")
    text_csv = client.get(f"/pupils/{pupil}/chronology.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text_csv)))
    status_rows = [r for r in rows if r[1] == "Status: Child protection plan"]
    assert len(status_rows) == 1 and "Northshire County Council" in status_rows[0][7]
    assert "'=HYPERLINK" in status_rows[0][7] or "=HYPERLINK" not in status_rows[0][7][:1]
    assert client.get(f"/pupils/{pupil}/chronology.pdf").status_code == 200
    with app.test_request_context():
        exported = queries.statuses_for_export(db.session.get(Pupil, pupil))
    assert exported[0]["status"] == "Child protection plan" and exported[0]["ends_on"] == ""
    auth.as_(world["governor"])
    assert "Status:" not in client.get(f"/pupils/{pupil}/chronology.csv").get_data(as_text=True)


def test_subject_access_export_carries_the_statuses(app, client, auth, world, make_entry):
    make_entry()
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    response = client.post(f"/pupils/{pupil}/subject-access", data={"reason": "Parent's request"})
    assert response.status_code == 200 and response.mimetype == "application/zip", response.data[:300]
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("records.json"))
    assert data["key_information"][0]["label"] == "Child protection plan"


def test_reports_count_pupils_with_each_status_without_names(app, client, auth, world):
    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    record_cp_plan(client, world, pupil_id=world.pupils[1].id)
    record_cp_plan(client, world, kind="young_carer")
    auth.as_(world["governor"])
    body = client.get("/reports").get_data(as_text=True)
    assert "Pupils with each status today, by school" in body
    assert "Amelia" not in body and "Oliver" not in body
    with app.app_context():
        counts = queries.status_counts([world.school.id])
    assert counts[world.school.id] == {"cp_plan": 2, "young_carer": 1}


# --- police notifications ------------------------------------------------------------


def test_a_dsl_records_a_police_notification_and_the_key_adult_gets_a_check_in(app, client, auth, world, make_entry):
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    response = client.post(f"/pupils/{pupil}/police-notifications", data=police_form(world))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert SHARED_WORDS.replace("'", "&#39;") in page and FORCE_REF in page and OFFICER_WORDS in page
    assert "Teacher1 is asked to check in with the child today" in page
    with app.app_context():
        notification = db.session.scalars(select(PoliceNotification)).one()
        assert notification.check_in_on == uk_today() and notification.key_adult_id == world["teacher1"].id
        reasons = {(a.reason, a.recipient_id) for a in db.session.scalars(select(Alert))}
    # The rest of the team is alerted; the key adult is told to check in. No narrative in either.
    assert ("police_notification", world["deputy"].id) in reasons
    assert ("police_check_in", world["teacher1"].id) in reasons
    assert ("police_notification", world["dsl"].id) not in reasons

    auth.as_(world["teacher1"])
    home = client.get("/").get_data(as_text=True)
    assert "Check in with Amelia Hassan" in home
    assert FORCE_REF not in home and OFFICER_WORDS not in home and "police" not in home.lower()
    response = client.post(f"/check-ins/{notification.id}/done")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Check in with Amelia Hassan" not in client.get("/").get_data(as_text=True)
    assert count(app, PoliceCheckIn) == 1
    # Once only.
    client.post(f"/check-ins/{notification.id}/done")
    assert count(app, PoliceCheckIn) == 1
    # Someone else cannot mark it.
    auth.as_(world["teacher2"])
    assert client.post(f"/check-ins/{notification.id}/done").status_code == 404


def test_emails_about_police_notifications_hold_nothing_of_them(app, client, auth, world):
    from cpoms import alerts

    auth.as_(world["dsl"])
    client.post(f"/pupils/{world.pupils[0].id}/police-notifications", data=police_form(world))
    with app.test_request_context():
        for alert in db.session.scalars(select(Alert)):
            message = alerts.render(alert)
            for words in (FORCE_REF, OFFICER_WORDS, "Amelia", "Hassan", "domestic", "neighbours"):
                assert words not in message.body and words not in message.html and words not in message.subject


@pytest.mark.parametrize("who", ["teacher1", "teacher2", "slt", "governor", "trust_rep", "admin", "other_dsl"])
def test_only_the_team_reads_police_notifications_on_any_path(app, client, auth, world, who, make_entry):
    pupil = world.pupils[0].id
    entry_id = make_entry(recorder="teacher1")
    auth.as_(world["dsl"])
    client.post(f"/pupils/{pupil}/police-notifications", data=police_form(world))
    before = count(app, PoliceNotification)
    auth.as_(world[who])
    assert client.post(f"/pupils/{pupil}/police-notifications", data=police_form(world)).status_code == 404
    assert count(app, PoliceNotification) == before
    paths = [
        "/",
        f"/pupils/{pupil}/chronology",
        f"/pupils/{pupil}/chronology.csv",
        f"/pupils/{pupil}/chronology.pdf",
        f"/pupils/{pupil}/key-information",
        f"/entries/{entry_id}",
        "/review?status=all",
        "/search?q=Pemberton",
        "/search?q=ENC-4471",
        "/reports",
        "/oversight",
        "/logged",
        "/shared",
        "/audit",
    ]
    for path in paths:
        response = client.get(path)
        body = (
            response.get_data(as_text=True)
            if response.mimetype != "application/pdf"
            else response.data.decode("latin-1")
        )
        for words in (OFFICER_WORDS, FORCE_REF, "neighbours", "<strong>1</strong> police notification"):
            assert words not in body, (who, path, words)
        if who != "other_dsl":  # on the team at another school: that school's count (none)
            assert "police notification" not in body, (who, path)


def test_police_notification_form_refuses_bad_input(app, client, auth, world):
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    cases = [
        police_form(world, incident_at=""),
        police_form(world, incident_at="yesterday"),
        police_form(world, incident_at=day(2) + "T10:00"),
        police_form(world, child_present=""),
        police_form(world, child_present="maybe"),
        police_form(world, officer=""),
        police_form(world, officer="x" * 201),
        police_form(world, force_reference=""),
        police_form(world, force_reference="x" * 101),
        police_form(world, shared=""),
        police_form(world, key_adult=""),
        police_form(world, key_adult="abc"),
        police_form(world, key_adult=str(world["other_teacher"].id)),
        police_form(world, key_adult=str(world["governor"].id)),
        police_form(world, key_adult="99999999999999999999"),
    ]
    for data in cases:
        assert client.post(f"/pupils/{pupil}/police-notifications", data=data).status_code == 422, data
    assert count(app, PoliceNotification) == 0


def test_check_in_reminders_as_for_tasks(app, client, auth, world):
    auth.as_(world["dsl"])
    client.post(f"/pupils/{world.pupils[0].id}/police-notifications", data=police_form(world))
    with app.test_request_context():
        # Told today already: no second email today; tomorrow, one.
        assert operations.queue_check_in_reminders(uk_today()) == []
        assert len(operations.queue_check_in_reminders(uk_today() + timedelta(days=1))) == 1
        assert operations.queue_check_in_reminders(uk_today() + timedelta(days=1)) == []
        db.session.commit()


def test_the_review_queue_and_reports_count_notifications_per_term(app, client, auth, world):
    auth.as_(world["dsl"])
    client.post(f"/pupils/{world.pupils[0].id}/police-notifications", data=police_form(world))
    client.post(f"/pupils/{world.pupils[1].id}/police-notifications", data=police_form(world))
    review = client.get("/review").get_data(as_text=True)
    assert "<strong>2</strong> police notifications this term" in review
    report = client.get("/reports").get_data(as_text=True)
    assert "Police notifications (Operation Encompass), by school and term" in report
    assert OFFICER_WORDS not in report and "Amelia" not in report


# --- the MIS import ------------------------------------------------------------------


def test_the_pupil_import_takes_the_mis_facts_and_never_touches_the_teams_statuses(app, client, auth, world):
    from helpers import upload_pupils as upload

    amelia = world.pupils[0]
    auth.as_(world["dsl"])
    record_cp_plan(client, world, kind="looked_after", category_of_abuse="", authority="Northshire", contact="Ms Vee")
    headings = "UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group,Looked After,SEN Status,EAL,FSM\r\n"
    born = amelia.date_of_birth.strftime("%d/%m/%Y")
    data = (headings + f"{amelia.upn},Hassan,Amelia,{born},4,4Oak,N,K,Y,yes\r\n").encode()
    auth.as_(world["admin"])
    response = upload(client, data, full=False)
    assert response.status_code == 303
    assert client.post(response.headers["Location"], data={}).status_code == 303
    with app.app_context():
        facts = queries.mis_facts(amelia.id)
        assert (facts.looked_after, facts.sen_status, facts.eal, facts.free_school_meals) == (False, "K", True, True)
        # The team's looked-after status stands, whatever the MIS says.
        [status] = queries.active_statuses([amelia.id])[amelia.id]
        assert status.kind == "looked_after" and status.active
    # The same file again: nothing new to record. A file without those columns says nothing of them.
    response = upload(client, data, full=False)
    client.post(response.headers["Location"], data={})
    without = (
        "UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group,EAL\r\n"
        + f"{amelia.upn},Hassan,Amelia,{born},4,4Oak,N\r\n"
    ).encode()
    response = upload(client, without, full=False)
    client.post(response.headers["Location"], data={})
    with app.app_context():
        from cpoms.keyinfo.models import MisFacts

        rows = db.session.scalar(select(func.count()).select_from(MisFacts))
        facts = queries.mis_facts(amelia.id)
    assert rows == 2
    assert (facts.looked_after, facts.sen_status, facts.eal, facts.free_school_meals) == (False, "K", False, True)
    auth.as_(world["dsl"])
    page = client.get(f"/pupils/{amelia.id}/key-information").get_data(as_text=True)
    assert "SEN status: K" in page and "EAL: no" in page


def test_the_receiving_school_sees_the_statuses_once_it_accepts_the_file(app, client, auth, world):
    from cpoms.transfers import operations as transfers
    from cpoms.models import School

    auth.as_(world["dsl"])
    record_cp_plan(client, world)
    pupil = world.pupils[0].id
    auth.as_(world["other_dsl"])
    assert client.get(f"/pupils/{pupil}/key-information").status_code == 404
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        transfer = transfers.start(
            dsl,
            db.session.get(Pupil, pupil),
            to_school=db.session.get(School, world.other_school.id),
            destination_name=None,
            contact_name=None,
            contact_email=None,
            method="cp_system",
            sent_on=uk_today(),
        )
        db.session.commit()
        transfer_id = transfer.id
    response = client.post(f"/transfers/{transfer_id}/accept", data={})
    assert response.status_code == 303, response.data[:500]
    page = client.get(f"/pupils/{pupil}/key-information")
    assert page.status_code == 200 and "Northshire County Council" in page.get_data(as_text=True)
