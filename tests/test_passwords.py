"""Passwords: the rules, changing one's own, and the forgotten-password link by
real email (single use, expiring, ending every session)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email import message_from_bytes
from html import unescape

import pytest
from sqlalchemy import select, update

from cpoms.audit import AuditEvent
from cpoms.auth import passwords
from cpoms.auth.models import PasswordResetToken
from cpoms.auth.routes import RESET_SENT
from cpoms.extensions import db
from cpoms.models import Alert, User
from cpoms.timefmt import now_utc

from conftest import PASSWORD, Auth

NEW_PASSWORD = "kettle violin harbour 42"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/login/reset/[A-Za-z0-9_-]+)")


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, why",
    [
        ("short-one", "at least 12 characters"),
        ("password1234", "too common"),
        ("Qwertyuiop123", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("teacher1@ashgrove.example.org", "your own name or email"),
        ("Teacher1 Teacher1", "your own name or email"),
        ("i-am-mrs-hartley!!", "your own name or email"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, why):
    reason = passwords.problem(password, "teacher1@ashgrove.example.org", "Sam Hartley")
    assert reason and why in reason


def test_a_long_uncommon_password_is_accepted():
    assert passwords.problem(NEW_PASSWORD, "teacher1@ashgrove.example.org", "Sam Hartley") is None


def test_the_common_list_ships_with_the_app():
    common = passwords.common_passwords()
    assert len(common) > 2000
    assert {"password1234", "qwertyuiop123", "iloveyou1234"} <= common


# --- changing one's own ----------------------------------------------------------------------------


def test_change_password(app, client, auth, world):
    teacher = world["teacher1"]
    auth.login(teacher)
    elsewhere = Auth(app, app.test_client())
    elsewhere.as_(teacher)
    assert elsewhere.client.get("/").status_code == 200

    wrong = client.post(
        "/account/password", data={"current": "not it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and "That is not your current password." in wrong.get_data(as_text=True)
    weak = client.post(
        "/account/password", data={"current": PASSWORD, "password": "password1234", "confirm": "password1234"}
    )
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    mismatch = client.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 422 and "not the same" in mismatch.get_data(as_text=True)

    done = client.post(
        "/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert client.get("/").status_code == 200  # this session stays
    assert elsewhere.client.get("/").status_code == 302  # the other device is signed out
    client.post("/logout")
    assert auth.login(teacher).status_code == 422
    assert auth.login(teacher, NEW_PASSWORD).status_code == 303


# --- forgotten password, by real email --------------------------------------------------------------


def worker(app) -> str:
    """One pass of the outbox worker, as `flask send-alerts` runs it."""
    result = app.test_cli_runner().invoke(args=["send-alerts"])
    assert result.exit_code == 0, result.output
    return result.output


def reset_link(smtp, app=None) -> str:
    """The link in the one email sent (after a pass of the worker, given the app)."""
    if app is not None:
        assert smtp.inbox.messages == []  # queued, not sent by the request
        worker(app)
    [envelope] = smtp.inbox.messages
    mail = message_from_bytes(envelope.original_content)
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    return LINK.search(body).group(1)


def test_sign_in_page_links_to_the_forgotten_password_page(client):
    assert 'href="/login/forgot"' in client.get("/login").get_data(as_text=True)
    assert "Forgotten your password?" in client.get("/login/forgot").get_data(as_text=True)


def test_the_page_says_the_same_whether_or_not_the_address_exists(mail_app, client, world, smtp):
    known = client.post("/login/forgot", data={"email": world["dsl"].email})
    unknown = client.post("/login/forgot", data={"email": "nobody@ashgrove.example.org"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert RESET_SENT in unescape(client.get("/login").get_data(as_text=True))
    assert smtp.inbox.recipients == []  # the worker sends it
    worker(mail_app)
    assert smtp.inbox.recipients == [world["dsl"].email]


def test_reset_by_email_sets_the_password_once_and_ends_every_session(mail_app, client, world, smtp):
    app = mail_app
    dsl = world["dsl"]
    tablet = Auth(app, app.test_client())
    tablet.as_(dsl)
    assert tablet.client.get("/review").status_code == 200

    client.post("/login/forgot", data={"email": f"  {dsl.email.upper()} "})
    path = reset_link(smtp, app)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalar(select(PasswordResetToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
        assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)

    page = client.get(path)
    assert page.status_code == 200 and "Set a new password" in page.get_data(as_text=True)
    weak = client.post(path, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert tablet.client.get("/review").status_code == 302  # every session of the account ended

    again = client.post(path, data={"password": "another good password 7", "confirm": "another good password 7"})
    assert again.status_code == 404 and "This link no longer works" in again.get_data(as_text=True)
    assert client.get(path).status_code == 404
    auth = Auth(app, client)
    assert auth.login(dsl).status_code == 422
    assert auth.login(dsl, NEW_PASSWORD).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(PasswordResetToken.used_at)) is not None


def test_a_reset_link_expires(mail_app, client, world, smtp):
    client.post("/login/forgot", data={"email": world["teacher1"].email})
    path = reset_link(smtp, mail_app)
    with mail_app.app_context():
        db.session.execute(update(PasswordResetToken).values(expires_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 404
    assert Auth(mail_app, client).login(world["teacher1"]).status_code == 303  # old password unchanged


def test_without_a_mail_server_the_page_says_the_same_and_the_email_waits(app, client, world):
    response = client.post("/login/forgot", data={"email": world["teacher1"].email})
    assert response.status_code == 303
    assert RESET_SENT in unescape(client.get("/login").get_data(as_text=True))
    with app.app_context():
        [alert] = db.session.scalars(select(Alert)).all()
        assert (alert.reason, alert.status, alert.recipient_id, alert.school_id) == (
            "password_reset",
            "pending",
            world["teacher1"].id,
            None,
        )


def test_a_mail_server_that_is_down_changes_nothing_on_the_page_and_the_worker_retries(mail_app, client, world, smtp):
    smtp.stop()
    response = client.post("/login/forgot", data={"email": world["teacher1"].email})
    assert response.status_code == 303
    assert RESET_SENT in unescape(client.get("/login").get_data(as_text=True))
    assert "failed 1" in worker(mail_app)
    with mail_app.app_context():
        alert = db.session.scalar(select(Alert))
        assert alert.status == "pending" and alert.last_error
        db.session.execute(update(Alert).values(next_attempt_at=now_utc()))
        db.session.commit()
    smtp.start()
    path = reset_link(smtp, mail_app)
    assert client.get(path).status_code == 200


def test_a_known_and_an_unknown_address_cost_the_same_work(mail_app, client, world, smtp, count_queries):
    """Timing is not measured (it would flake): the same statements run for an address
    with an account, one without, and an inactive account's, and no mail is sent
    while the person waits. The email is committed with its token before the answer."""
    with mail_app.app_context():
        db.session.execute(update(User).where(User.id == world["teacher2"].id).values(active=False))
        db.session.commit()
    client.post("/login/forgot", data={"email": "warm-up@example.org"})
    runs = {}
    for who, email in [
        ("known", world["dsl"].email),
        ("unknown", "nobody@ashgrove.example.org"),
        ("inactive", world["teacher2"].email),
    ]:
        with count_queries() as statements:
            response = client.post("/login/forgot", data={"email": email})
        assert response.status_code == 303 and response.headers["Location"] == "/login"
        runs[who] = statements
    assert runs["known"] == runs["unknown"] == runs["inactive"]
    assert any(s.startswith("INSERT INTO password_reset_tokens") for s in runs["known"])
    assert any(s.startswith("INSERT INTO alerts") for s in runs["known"])
    assert smtp.inbox.messages == []  # nothing sent inline
    with mail_app.app_context():
        [alert] = db.session.scalars(select(Alert)).all()
        assert (alert.recipient_id, alert.status, alert.reason) == (world["dsl"].id, "pending", "password_reset")
        assert alert.password_reset.user_id == world["dsl"].id and alert.password_reset.used_at is None
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_reset_requested")).all()
        assert len(events) == 4
    # The worker sends the link, and it works.
    path = reset_link(smtp, mail_app)
    assert client.get(path).status_code == 200


def test_the_outbox_row_does_not_hold_the_link(mail_app, client, world, smtp):
    """A copy of the database (a backup) does not open an account: the link is
    rebuilt by the worker with SECRET_KEY."""
    client.post("/login/forgot", data={"email": world["dsl"].email})
    with mail_app.app_context():
        rows = [
            *db.session.execute(select(Alert.__table__)).all(),
            *db.session.execute(select(PasswordResetToken.__table__)).all(),
        ]
    path = reset_link(smtp, mail_app)
    token = path.rsplit("/", 1)[1]
    assert not any(token in str(value) for row in rows for value in row)
