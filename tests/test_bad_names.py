"""A name with a line break in it: refused wherever a name is typed, and an old
row that already holds one cannot stop the alert worker.

The mailer refuses a header with a line break in it. A recorder's name is in the
subject of the email to the colleagues they chose, so a name like that once left
its alert "sending" for ever, stopped `send-alerts` with exit 1, and stranded the
safeguarding alerts claimed in the same batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from cpoms import alerts
from cpoms.extensions import db
from cpoms.models import Alert, Entry, User

from helpers import post_file

# (A NUL is dropped by every form before validation, so it is not among them.)
BAD_NAMES = [
    "Sam\r\nBcc: everyone@example.org",
    "Sam\nTaylor",
    "Sam\rTaylor",
    "Sam\tTaylor",
    "Sam\x1bTaylor",
    "Sam\u2028Taylor",
    "Sam\x85Taylor",
]


def test_a_bad_name_in_the_database_fails_its_own_alert_only(mail_app, smtp, world, make_entry):
    mail_app.config["ALERT_MAX_ATTEMPTS"] = 1
    with mail_app.app_context():
        # As an account created before names were checked would be.
        db.session.execute(
            update(User).where(User.id == world["teacher1"].id).values(name="Sam\r\nBcc: everyone@example.org")
        )
        db.session.commit()
    quiet = make_entry(recorder="teacher1", category="Behaviour")
    with mail_app.app_context():
        entry = db.session.get(Entry, quiet)
        teacher2 = db.session.get(User, world["teacher2"].id)
        # The colleague the recorder chose: the first row the worker claims.
        alerts.queue_for_staff(entry, [teacher2], {})
        db.session.commit()
    safeguarding = make_entry(recorder="teacher2", category="Safeguarding")

    result = mail_app.test_cli_runner().invoke(args=["send-alerts"])

    # A message that failed is reported like an outage is: the worker itself did its job.
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 1" in result.output
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    with mail_app.app_context():
        rows = {a.entry_id: a for a in db.session.scalars(select(Alert))}
        bad = rows[quiet]
        assert (bad.status, bad.attempts) == (alerts.FAILED, 1)
        assert "BadHeaderError" in bad.last_error
        assert [a.status for a in db.session.scalars(select(Alert).where(Alert.entry_id == safeguarding))] == [
            alerts.SENT,
            alerts.SENT,
        ]


def test_a_bad_message_is_retried_like_an_outage(mail_app, smtp, world, make_entry):
    mail_app.config["ALERT_MAX_ATTEMPTS"] = 3
    with mail_app.app_context():
        db.session.execute(update(User).where(User.id == world["teacher1"].id).values(name="Sam\nTaylor"))
        db.session.commit()
    entry_id = make_entry(recorder="teacher1", category="Behaviour")
    with mail_app.app_context():
        alerts.queue_for_staff(db.session.get(Entry, entry_id), [db.session.get(User, world["teacher2"].id)], {})
        db.session.commit()
        assert alerts.send_pending() == {"sent": 0, "failed": 1, "skipped": 0}
        row = db.session.scalar(select(Alert))
        assert (row.status, row.attempts) == (alerts.PENDING, 1)
        assert row.next_attempt_at > row.created_at and row.last_error


# --- names are refused where they are typed -----------------------------------


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_new_user_form_refuses_a_name_with_a_control_character(app, client, auth, world, name):
    auth.as_(world["admin"])
    page = client.get("/admin/users/new")
    assert page.status_code == 200
    response = client.post(
        "/admin/users/new",
        data={
            "name": name,
            "email": "sam.taylor@ashgrove.example.org",
            "grant": f"staff@school:{world.school.id}",
        },
    )
    assert response.status_code == 422
    assert "cannot contain a line break" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "sam.taylor@ashgrove.example.org")) is None


def test_the_new_user_form_still_takes_an_ordinary_name(app, client, auth, world):
    auth.as_(world["admin"])
    response = client.post(
        "/admin/users/new",
        data={
            "name": "  Siân O'Connor-Nguyễn ",
            "email": "sian@ashgrove.example.org",
            "grant": f"staff@school:{world.school.id}",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sian@ashgrove.example.org"))
        assert user.name == "Siân O'Connor-Nguyễn"


def test_the_staff_import_refuses_a_name_with_a_line_break(app, client, auth, world):
    auth.as_(world["admin"])
    data = (
        b'Name,Email,Role\r\n"Sam\r\nBcc: everyone@example.org",sam.taylor@ashgrove.example.org,staff\r\n'
        b"Priya Shah,priya@ashgrove.example.org,staff\r\n"
    )
    response = post_file(client, "/admin/staff/import", data)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Errors: not imported (1)" in preview and "cannot contain a line break" in preview
    assert client.post(response.headers["Location"]).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "sam.taylor@ashgrove.example.org")) is None
        assert db.session.scalar(select(User).where(User.email == "priya@ashgrove.example.org")) is not None


def test_create_user_refuses_a_name_with_a_line_break(app, world):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "sam@ashgrove.example.org",
            "--name",
            "Sam\nTaylor",
            "--role",
            "staff",
            "--school",
            "ashgrove",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code != 0 and "line break" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "sam@ashgrove.example.org")) is None
