"""The alert worker as it runs in production: several `flask send-alerts --watch`
processes at once, a real SMTP server (aiosmtpd) that is down for a while and
then comes back. Each alert is delivered exactly once. And alerts given up on
are shown to the team and the school's admins, who can queue them again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select, update

from cpoms import alerts
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Alert

from helpers import BASE_URL, entry_ids_in, message_texts

ROOT = Path(__file__).resolve().parent.parent


def statuses(app) -> Counter:
    with app.app_context():
        found = Counter(db.session.scalars(select(Alert.status)))
        db.session.remove()
        return found


def start_worker(app, smtp, tmp_path, n: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CPOMS_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "worker-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_TIMEOUT": "2",
        "ALERT_MAX_ATTEMPTS": "100",
        "ALERT_RETRY_BASE_SECONDS": "0.2",
        "ALERT_RETRY_MAX_SECONDS": "1",
        "APP_BASE_URL": BASE_URL,
        "PYTHONUNBUFFERED": "1",
    }
    with open(tmp_path / f"worker{n}.log", "w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "send-alerts", "--watch", "--interval", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_through_an_outage_deliver_each_alert_exactly_once(app, smtp, world, make_entry, tmp_path):
    smtp.stop()
    entry_ids = [make_entry(narrative=f"Entry {n}") for n in range(12)]
    total = 2 * len(entry_ids)  # the DSL and the deputy
    workers = [start_worker(app, smtp, tmp_path, n) for n in range(2)]
    try:
        # Both workers try while the server is down: every row fails and backs off, none is lost.
        def retried_while_down():
            with app.app_context():
                rows = list(db.session.scalars(select(Alert)))
                db.session.remove()
            return len(rows) == total and all(r.attempts >= 2 and r.status == "pending" for r in rows)

        wait_for(retried_while_down, 30, "every alert to fail at least twice")
        assert smtp.inbox.messages == []
        smtp.start()
        wait_for(lambda: statuses(app) == Counter({"sent": total}), 30, "every alert to be sent")
        time.sleep(1)  # the workers keep polling: nothing more may go out
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=10)
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(2)]
    assert all("Traceback" not in log for log in logs), logs

    delivered = Counter()
    for envelope in smtp.inbox.messages:
        _, text, _ = message_texts(envelope)
        [entry] = set(entry_ids_in(text))
        delivered[(envelope.rcpt_tos[0], int(entry))] += 1
    assert len(delivered) == total
    assert set(delivered.values()) == {1}, [k for k, v in delivered.items() if v > 1]
    assert {entry for _, entry in delivered} == set(entry_ids)


def give_up_on_alerts(app, entry_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Alert)
            .where(Alert.entry_id == entry_id)
            .values(status="failed", attempts=10, last_error="SMTPServerDisconnected")
        )
        db.session.commit()


def test_the_team_sees_failed_alerts_and_sends_them_again(mail_app, smtp, client, auth, world, make_entry):
    entry_id = make_entry()
    give_up_on_alerts(mail_app, entry_id)
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 failed" in page and f'action="/entries/{entry_id}/alerts/retry"' in page
    queue = client.get("/review").get_data(as_text=True)
    assert "2 alert emails could not be sent" in queue and 'action="/alerts/retry"' in queue

    response = client.post(f"/entries/{entry_id}/alerts/retry")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/entries/{entry_id}#activity"
    # Queued again and, the server being up, sent straight after the commit.
    assert statuses(mail_app) == Counter({"sent": 2})
    assert sorted(r for m in smtp.inbox.messages for r in m.rcpt_tos) == [
        "deputy@ashgrove.example.org",
        "dsl@ashgrove.example.org",
    ]
    with mail_app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retry_alerts"))
        assert (event.user_id, event.entry_id, event.detail) == (world["dsl"].id, entry_id, '{"alerts": 2}')
    assert "being sent again" in client.get(f"/entries/{entry_id}").get_data(as_text=True)


def test_admins_see_only_that_alerts_failed_and_can_send_them_again(app, client, auth, world, make_entry):
    entry_id = make_entry(narrative="Nothing of this reaches the admin.")
    other = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    give_up_on_alerts(app, entry_id)
    give_up_on_alerts(app, other)
    auth.as_(world["admin"])
    home = client.get("/").get_data(as_text=True)
    assert "2 alert emails could not be sent" in home  # their school's two, not the other school's one
    assert "Nothing of this" not in home and f"/entries/{entry_id}" not in home
    response = client.post("/alerts/retry", data={"next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    # No mail server here: queued again, waiting for one.
    assert statuses(app) == Counter({"pending": 2, "failed": 1})
    with app.app_context():
        assert alerts.failed_count([world.school.id]) == 0
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retry_alerts"))
        assert event.user_id == world["admin"].id and '"alerts": 2' in event.detail
    assert "could not be sent" not in client.get("/").get_data(as_text=True)
    # An address elsewhere is never followed.
    assert client.post("/alerts/retry", data={"next": "https://evil.example"}).headers["Location"] == "/"
