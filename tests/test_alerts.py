"""Safeguarding alerts, end to end: a real HTTP post of the log form, a real SMTP
server (aiosmtpd), the outbox rows in the real database, and the worker command.

Nothing is mocked. An outage is the SMTP server really stopped; a retry is the
`send-alerts` command really run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cpoms import alerts
from cpoms.extensions import db
from cpoms.models import Alert, Entry, User
from cpoms.timefmt import now_utc
from helpers import BASE_URL, entry_id_from, entry_ids_in, message_texts, run_cli, uk_now_input


NARRATIVE = "Noticed a purple mark on the forearm during PE zebraquartz"
CHILD_WORDS = "It happened at the weekend marmalade-pelican"

TEAM = ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]


@pytest.fixture
def config_overrides():
    return {"APP_BASE_URL": BASE_URL}


# --- helpers ---------------------------------------------------------------


def post_log(client, world, category="Safeguarding", pupils=None):
    pupils = pupils or world.pupils[:1]
    return client.post(
        "/log",
        data={
            "pupil_ids": [str(p.id) for p in pupils],
            "category": str(world.categories[category].id),
            "source": "pupil_disclosure",
            "occurred_at": uk_now_input(),
            "narrative": NARRATIVE,
            "child_words": CHILD_WORDS,
            "checked": "1",  # past the gentle check on save (tests/test_record_check.py)
        },
    )


def alert_rows(app, entry_id=None) -> list[Alert]:
    with app.app_context():
        query = select(Alert).order_by(Alert.email)
        if entry_id is not None:
            query = query.where(Alert.entry_id == entry_id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def make_due_now(app) -> None:
    """Move every retry time into the past: the backoff has elapsed."""
    with app.app_context():
        db.session.execute(update(Alert).values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()


# --- the happy path ----------------------------------------------------------


def test_safeguarding_entry_alerts_exactly_the_team(mail_app, smtp, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(post_log(client, world))

    assert len(smtp.inbox.messages) == 2
    assert smtp.inbox.recipients == TEAM
    for envelope in smtp.inbox.messages:
        assert len(envelope.rcpt_tos) == 1  # one message each, not one message to both
    not_alerted = [
        "slt@ashgrove.example.org",
        "other_dsl@brookfield.example.org",
        "teacher1@ashgrove.example.org",
        "teacher2@ashgrove.example.org",
        "governor@ashgrove.example.org",
        "trust_rep@trust.example.org",
    ]
    for address in not_alerted:
        assert address not in smtp.inbox.recipients

    rows = alert_rows(mail_app, entry_id)
    assert [(r.email, r.status, r.attempts, r.last_error) for r in rows] == [
        (TEAM[0], "sent", 1, None),
        (TEAM[1], "sent", 1, None),
    ]
    assert all(r.sent_at is not None for r in rows)

    # The team member's entry page says the alerts went.
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 sent" in page
    assert "waiting to be sent" not in page


def test_alert_email_carries_no_details_of_the_concern(mail_app, smtp, client, auth, world):
    auth.as_(world["teacher1"])
    pupils = world.pupils[:2]  # Amelia Hassan and Oliver Nowak
    entry_id = entry_id_from(post_log(client, world, pupils=pupils))

    assert len(smtp.inbox.messages) == 2
    link = f"{BASE_URL}/entries/{entry_id}"
    for envelope in smtp.inbox.messages:
        subject, text, html = message_texts(envelope)
        assert text and html, "both a text and an HTML part"
        for part in (text, html):
            assert "A.H." in part and "O.N." in part  # initials
            assert "Safeguarding" in part
            assert world["teacher1"].name in part  # the recorder
            assert link in part
        everything = "\n".join([subject, text, html])
        raw = envelope.original_content.decode("utf-8", "replace")
        for secret in ["zebraquartz", "purple mark", "marmalade-pelican", "at the weekend"]:
            assert secret not in everything and secret not in raw
        for pupil in pupils:
            for name in (pupil.first_name, pupil.last_name):
                assert name not in everything and name not in raw
            assert pupil.upn not in raw


def test_behaviour_entry_sends_nothing(mail_app, smtp, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(post_log(client, world, category="Behaviour"))
    assert smtp.inbox.messages == []
    assert alert_rows(mail_app) == []
    with mail_app.app_context():
        assert db.session.get(Entry, entry_id) is not None


def test_inactive_dsl_is_not_alerted(mail_app, smtp, client, auth, world):
    with mail_app.app_context():
        db.session.get(User, world["dsl"].id).active = False
        db.session.commit()
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(post_log(client, world))
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org"]
    assert [r.email for r in alert_rows(mail_app, entry_id)] == ["deputy@ashgrove.example.org"]


def test_other_school_entry_alerts_only_its_own_team(mail_app, smtp, client, auth, world):
    auth.as_(world["other_teacher"])
    entry_id_from(post_log(client, world, pupils=world.other_pupils))
    assert smtp.inbox.recipients == ["other_dsl@brookfield.example.org"]


# --- outages and retries -----------------------------------------------------


def test_outage_keeps_the_entry_and_retries_deliver_once(mail_app, smtp, client, auth, world):
    smtp.stop()
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(post_log(client, world))

    with mail_app.app_context():
        entry = db.session.get(Entry, entry_id)
        assert entry is not None and entry.narrative == NARRATIVE
    rows = alert_rows(mail_app, entry_id)
    assert [r.email for r in rows] == TEAM
    for row in rows:
        assert row.status == "pending"
        assert row.attempts == 1
        assert row.last_error
        assert row.next_attempt_at > now_utc()  # backing off

    # The team can see the alert has not gone (and a mail server is configured).
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 waiting to be sent" in page
    assert "no mail server is configured" not in page

    smtp.start()
    # Before the backoff has elapsed the worker leaves the rows alone.
    result = run_cli(mail_app, "send-alerts")
    assert result.exit_code == 0, result.output
    assert smtp.inbox.messages == []

    make_due_now(mail_app)
    result = run_cli(mail_app, "send-alerts")
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert smtp.inbox.recipients == TEAM
    rows = alert_rows(mail_app, entry_id)
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [("sent", 2, None)] * 2

    # Running it again delivers nothing more, even with every row "due".
    make_due_now(mail_app)
    result = run_cli(mail_app, "send-alerts")
    assert result.exit_code == 0, result.output
    assert "sent 0, failed 0" in result.output
    assert len(smtp.inbox.messages) == 2


def test_without_a_mail_server_alerts_stay_queued_and_say_so(app, client, auth, world):
    assert not app.config["MAIL_SERVER"]
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(post_log(client, world))

    rows = alert_rows(app, entry_id)
    assert [(r.email, r.status, r.attempts) for r in rows] == [(e, "pending", 0) for e in TEAM]

    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "waiting to be sent" in page
    assert "no mail server is configured" in page.lower()
    home = client.get("/").get_data(as_text=True)
    assert "not been delivered yet" in home
    assert "no mail server is configured" in home.lower()

    result = run_cli(app, "send-alerts")
    assert result.exit_code != 0
    assert "MAIL_SERVER is not set" in result.output
    assert [r.status for r in alert_rows(app, entry_id)] == ["pending", "pending"]


def test_gives_up_after_max_attempts(mail_app, smtp, client, auth, world, make_entry):
    mail_app.config["ALERT_MAX_ATTEMPTS"] = 3
    entry_id = make_entry()
    smtp.stop()
    for attempt in range(1, 4):
        make_due_now(mail_app)
        with mail_app.app_context():
            assert alerts.send_pending() == {"sent": 0, "failed": 2, "skipped": 0}
        rows = alert_rows(mail_app, entry_id)
        expected = "failed" if attempt == 3 else "pending"
        assert [(r.status, r.attempts) for r in rows] == [(expected, attempt)] * 2
        assert all(r.last_error for r in rows)

    # A failed row is not tried again, even once the server is back.
    smtp.start()
    make_due_now(mail_app)
    with mail_app.app_context():
        assert alerts.send_pending()["sent"] == 0
        assert alerts.undelivered_count([world.school.id]) == 2
    assert smtp.inbox.messages == []

    # The team sees that it failed.
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 failed" in page


def test_concurrent_workers_never_send_a_row_twice(mail_app, smtp, world, make_entry):
    entry_ids = [make_entry(narrative=f"Entry {n}") for n in range(8)]
    with mail_app.app_context():
        total = db.session.scalar(select(func.count(Alert.id)).where(Alert.status == "pending"))
    assert total == 2 * len(entry_ids)

    start = threading.Barrier(2)
    results: list = [None, None]
    errors: list = []

    def worker(n: int):
        try:
            with mail_app.app_context():
                start.wait(timeout=10)
                results[n] = alerts.send_pending()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]

    print("worker results", results)
    assert results[0]["failed"] == results[1]["failed"] == 0
    assert results[0]["sent"] + results[1]["sent"] == total
    delivered = []
    for envelope in smtp.inbox.messages:
        _, text, _ = message_texts(envelope)
        linked = next(int(e) for e in entry_ids_in(text))
        delivered.append((envelope.rcpt_tos[0], linked))
    assert len(delivered) == total
    assert len(set(delivered)) == total  # nobody got the same alert twice
    assert {entry for _, entry in delivered} == set(entry_ids)
    with mail_app.app_context():
        rows = list(db.session.scalars(select(Alert)))
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


def test_a_silent_mail_server_delays_the_save_by_the_timeout_only(app, client, auth, world):
    """A server that accepts the connection and never speaks: the entry is saved
    within MAIL_TIMEOUT and its alerts wait for the worker."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.5)
        app.extensions["mail"].server = "127.0.0.1"
        app.extensions["mail"].port = silent.getsockname()[1]
        auth.as_(world["teacher1"])
        started = time.monotonic()
        response = post_log(client, world)
        took = time.monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 303
    assert took < 3, took
    rows = alert_rows(app, entry_id_from(response))
    assert len(rows) == 2 and {r.status for r in rows} == {"pending"}
    assert all("timed out" in (r.last_error or "") for r in rows)
