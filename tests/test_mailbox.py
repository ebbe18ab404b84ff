"""Alerts under the default set-up (`make run` with no mail server): the local mailbox,
the home page saying when alerts are not going out and why, links built from the
address the app is served on, and the entry page's "try again" for every email.

Real HTTP requests through the app, real files in the mailbox folder, a real SMTP
server (aiosmtpd) where mail is sent; the worker is the `send-alerts` command."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cpoms import mailbox
from cpoms.extensions import db
from cpoms.models import Alert
from cpoms.timefmt import now_utc

from conftest import make_app
from helpers import entry_id_from, message_texts, run_cli
from helpers import log_data

TEAM = ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
SERVED_AT = "http://localhost:8123"  # not :5000: the links must follow the address really used


@pytest.fixture
def config_overrides(tmp_path):
    return {"MAIL_BACKEND": "mailbox", "MAILBOX_DIR": str(tmp_path / "mailbox"), "APP_BASE_URL": ""}


def eml_files(app) -> list[Path]:
    return sorted(Path(app.config["MAILBOX_DIR"]).glob("*.eml"))


def parsed(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def text_of(path: Path) -> str:
    return parsed(path).get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


# --- the mailbox ---------------------------------------------------------------------------------


def test_an_alert_is_written_to_the_mailbox_and_the_teacher_told_it_went(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=log_data(world, category="Safeguarding"), base_url=SERVED_AT)
    entry_id = entry_id_from(response)
    message = client.get(response.headers["Location"], base_url=SERVED_AT).get_data(as_text=True)
    assert "The safeguarding team (2 people) has been alerted by email." in message

    files = eml_files(app)
    assert sorted(str(parsed(f)["To"]) for f in files) == TEAM
    body = text_of(files[0])
    assert f"{SERVED_AT}/entries/{entry_id}" in body  # the port it is served on, not 5000
    assert "Primary School.\n\nThis email deliberately" in body  # was "School.This email"
    assert "Primary School.\n\nPupil(s): " in body
    with app.app_context():
        assert {a.status for a in db.session.scalars(select(Alert))} == {"sent"}
        assert {a.base_url for a in db.session.scalars(select(Alert))} == {SERVED_AT}


def test_the_mailbox_page_lists_newest_first_and_opens_each_as_text(app, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id_from(client.post("/log", data=log_data(world, category="Safeguarding")))
    auth.as_(None)
    client.post("/login/forgot", data={"email": world["teacher2"].email})  # queued; the worker sends it
    assert run_cli(app, "send-alerts").exit_code == 0

    page = client.get("/mailbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td><a href="(/mailbox/[^"]+)">(.*?)</a>', html, re.S)
    listed = [(to, subject) for to, _, subject in rows]
    assert listed[0] == (world["teacher2"].email, "Set a new password for the concern log")  # the newest first
    assert sorted(listed[1:]) == [(e, "New safeguarding entry at Ashgrove Primary School: please review") for e in TEAM]
    assert str(Path(app.config["MAILBOX_DIR"])) in html

    letter = client.get(rows[0][1])
    assert letter.status_code == 200
    text = letter.get_data(as_text=True)
    assert "Set a new password here" in text and world["teacher2"].email in text
    assert re.search(r'<a href="http://[^"]+/login/reset/[^"]+"', text)  # a link to follow, not text to copy


@pytest.mark.parametrize(
    "name", ["nothing-here", "..%2F..%2Fsecret_key", "20260101T000000000000-0000000g", "20260101T000000000000-00000000"]
)
def test_a_message_that_is_not_there_is_a_404(client, name):
    assert client.get(f"/mailbox/{name}").status_code == 404


@pytest.mark.parametrize(
    "environ, headers",
    [
        ({"REMOTE_ADDR": "192.168.1.20"}, {}),  # another computer on the network (HOST=0.0.0.0)
        ({}, {"X-Forwarded-For": "203.0.113.9"}),  # through a proxy: not "this computer" whatever the address
        ({}, {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_the_mailbox_answers_only_the_computer_running_the_app(app, client, environ, headers):
    with app.test_request_context(), mailbox.Connection() as connection:
        from flask_mail import Message

        name = connection.send(Message("Private", recipients=["dsl@ashgrove.example.org"], body="x"))
    assert client.get("/mailbox").status_code == 200
    for path in ("/mailbox", f"/mailbox/{name}"):
        assert client.get(path, environ_base=environ, headers=headers).status_code == 404


def test_a_password_reset_link_is_not_built_from_a_forged_host(app, client, auth, world):
    """The forgotten-password page is anonymous: its Host header is whatever the asker
    sends, so the link comes from the address a signed-in person last used."""
    auth.as_(world["teacher1"])
    entry_id_from(client.post("/log", data=log_data(world, category="Safeguarding"), base_url=SERVED_AT))
    auth.as_(None)
    client.post("/login/forgot", data={"email": world["dsl"].email}, base_url="http://evil.example")
    assert run_cli(app, "send-alerts").exit_code == 0
    [reset] = [f for f in eml_files(app) if "new password" in str(parsed(f)["Subject"])]
    body = text_of(reset)
    assert "evil.example" not in body
    assert f"{SERVED_AT}/login/reset/" in body


def test_the_worker_delivers_what_waits_to_the_mailbox_on_its_own(app, client, auth, world, make_entry):
    """Rows queued with nobody sending them (made by a command, or a request that died) go
    out at the worker's next pass: `make run` runs it with --watch."""
    entry_id = make_entry()  # queued, not sent
    assert eml_files(app) == []
    result = run_cli(app, "send-alerts")
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert len(eml_files(app)) == 2
    # A row the command queued, with no request: the link falls back to the launcher's address.
    assert "http://127.0.0.1:5000/entries/" + str(entry_id) in text_of(eml_files(app)[0])


def test_the_demo_accounts_say_where_to_read_the_emails(app):
    app.config["DEV_SERVER_URL"] = "http://127.0.0.1:5000"
    result = run_cli(app, "demo", "--password", "concern-log-demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "every email the app sends" in result.output
    assert "http://127.0.0.1:5000/mailbox" in result.output
    assert app.config["MAILBOX_DIR"] in result.output


def test_the_home_page_points_the_team_to_the_mailbox(client, auth, world):
    auth.as_(world["dsl"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/mailbox"' in html and "not to anyone's inbox" in html
    assert "not going out" not in html


# --- outside the local mailbox's mode --------------------------------------------------------


class TestWithoutTheMailbox:
    @pytest.fixture
    def config_overrides(self, tmp_path):
        return {"MAILBOX_DIR": str(tmp_path / "mailbox"), "APP_BASE_URL": ""}

    def test_there_is_no_mailbox_route(self, app, client, auth, world):
        assert not [r for r in app.url_map.iter_rules() if r.rule.startswith("/mailbox")]
        assert client.get("/mailbox").status_code == 404
        auth.as_(world["dsl"])
        assert client.get("/mailbox").status_code == 404
        assert 'href="/mailbox"' not in client.get("/").get_data(as_text=True)

    def test_a_mail_server_replaces_the_mailbox(self, tmp_path):
        app = make_app(
            "sqlite://", MAIL_BACKEND="mailbox", MAIL_SERVER="127.0.0.1", MAILBOX_DIR=str(tmp_path / "mailbox")
        )
        assert not mailbox.enabled(app)
        assert not [r for r in app.url_map.iter_rules() if r.rule.startswith("/mailbox")]

    def test_links_follow_the_address_served_on_and_go_by_real_smtp(self, mail_app, smtp, client, auth, world):
        auth.as_(world["teacher1"])
        entry_id = entry_id_from(client.post("/log", data=log_data(world, category="Safeguarding"), base_url=SERVED_AT))
        assert smtp.inbox.recipients == TEAM
        for envelope in smtp.inbox.messages:
            _, text, html = message_texts(envelope)
            assert f"{SERVED_AT}/entries/{entry_id}" in text
            assert f'href="{SERVED_AT}/entries/{entry_id}"' in html
        assert eml_files(mail_app) == []  # a real mail server: nothing in the mailbox

    def test_app_base_url_wins_over_the_address_served_on(self, mail_app, smtp, client, auth, world):
        mail_app.config["APP_BASE_URL"] = "https://concerns.example.org/"
        auth.as_(world["teacher1"])
        entry_id = entry_id_from(client.post("/log", data=log_data(world, category="Safeguarding"), base_url=SERVED_AT))
        _, text, _ = message_texts(smtp.inbox.messages[0])
        assert f"https://concerns.example.org/entries/{entry_id}" in text and SERVED_AT not in text

    # --- the home page says when alerts are not going out, and why ---

    @pytest.mark.parametrize("who", ["dsl", "admin"])
    def test_no_mail_server_is_said_plainly(self, client, auth, world, make_entry, who):
        make_entry()
        auth.as_(world[who])
        html = client.get("/").get_data(as_text=True)
        assert "Alert emails are not going out: no mail server is configured." in html
        assert "(2 waiting now)" in html

    def test_a_teacher_is_not_shown_the_mail_set_up(self, client, auth, world, make_entry):
        make_entry()
        auth.as_(world["teacher1"])
        assert "not going out" not in client.get("/").get_data(as_text=True)

    @pytest.mark.parametrize("who", ["dsl", "admin"])
    def test_alerts_due_long_ago_mean_the_worker_is_not_running(
        self, mail_app, smtp, client, auth, world, make_entry, who
    ):
        make_entry()  # queued; nobody sends it
        auth.as_(world[who])
        assert "worker is not running" not in client.get("/").get_data(as_text=True)  # due just now
        with mail_app.app_context():
            db.session.execute(update(Alert).values(next_attempt_at=now_utc() - timedelta(minutes=11)))
            db.session.commit()
        html = client.get("/").get_data(as_text=True)
        assert "Alert emails are not going out: the alert worker is not running." in html
        assert "2 alert emails have been due for more than\n    10 minutes" in html
        assert run_cli(mail_app, "send-alerts").exit_code == 0
        assert "worker is not running" not in client.get("/").get_data(as_text=True)

    def test_a_refusing_mail_server_is_shown_with_its_error(self, mail_app, smtp, client, auth, world, make_entry):
        smtp.stop()
        make_entry()
        assert run_cli(mail_app, "send-alerts").exit_code == 0  # tries, fails, schedules a retry
        auth.as_(world["dsl"])
        html = client.get("/").get_data(as_text=True)
        assert "2 alert emails could not be sent</strong>\n    and will be tried again automatically." in html
        assert "The latest error: ConnectionRefusedError" in html

    # --- "try again" on the entry page covers every email about the entry ---

    def test_try_again_covers_the_colleagues_emails_too(self, mail_app, smtp, client, auth, world):
        auth.as_(world["teacher1"])
        smtp.stop()
        entry_id = entry_id_from(
            client.post("/log", data=log_data(world, category="Behaviour", alert_staff=[str(world["teacher2"].id)]))
        )
        with mail_app.app_context():
            db.session.execute(update(Alert).values(status="failed"))
            db.session.commit()
        auth.as_(world["dsl"])
        page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
        assert "1 email about this entry could not be sent after every try." in page
        assert "Try sending the failed email again" in page
        smtp.start()
        response = client.post(f"/entries/{entry_id}/alerts/retry", follow_redirects=True)
        assert "1 alert email is being sent again." in response.get_data(as_text=True)
        assert smtp.inbox.recipients == [world["teacher2"].email]
        with mail_app.app_context():
            assert [a.status for a in db.session.scalars(select(Alert))] == ["sent"]

    def test_a_teacher_sees_no_try_again(self, client, auth, world, make_entry, app):
        entry_id = make_entry()
        with app.app_context():
            db.session.execute(update(Alert).values(status="failed"))
            db.session.commit()
        auth.as_(world["teacher1"])
        assert "could not be sent after every try" not in client.get(f"/entries/{entry_id}").get_data(as_text=True)
