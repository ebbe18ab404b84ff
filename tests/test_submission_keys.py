"""A form that creates a record creates it once, however often the same submission
arrives: at the same moment (a double tap: threads against a live server), later
(Back and Save: the same redirect and "This was already saved."), from htmx (the
same partial), after a validation error (the same key, counted once). A key is its
user's: another user's is refused as a new submission, saying nothing of the record.
Run with TEST_DATABASE_URL set for PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import http.client
import io
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import func, select

from cpoms import submissions
from cpoms.attachments.models import Attachment
from cpoms.common import uk_today
from cpoms.entries.models import Amendment, EntryCategory, EntryLink
from cpoms.extensions import db
from cpoms.log import routes as log_routes
from cpoms.models import Alert, Entry, FollowUp
from cpoms.monitoring.models import MonitoringEvent
from cpoms.submissions import SubmissionKey
from cpoms.tasks.models import Task
from cpoms.transfers.models import Transfer, TransferEvent
from tests.sample_files import png
from tests.test_log import form_data
from tests.test_monitoring import monitor, start_form

from conftest import Auth

HX = {"HX-Request": "true"}
KEY = re.compile(r'<input [^>]*name="submission_key"[^>]*value="([^"]+)"')


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def keys_on(html: str) -> list[str]:
    return KEY.findall(html)


def flashed(client, location: str) -> str:
    return client.get(location).get_data(as_text=True)


# --- every form that creates a record ---------------------------------------------


@dataclass
class Case:
    user: str
    model: type
    # (app, world, make_entry) -> (url, a function giving the form's fields afresh)
    prepare: Callable


def _entry_form(user, make, model):
    def prepare(app, world, make_entry):
        entry_id = make_entry()
        return f"/entries/{entry_id}/{make[0]}", lambda: dict(make[1](world))

    return Case(user, model, prepare)


def _linked(app, world, make_entry):
    first, second = make_entry(), make_entry(narrative="Another bruise.")
    return f"/entries/{first}/links", lambda: {"other": str(second), "reason": "Same week."}


def _monitoring(route, data, already_on):
    def prepare(app, world, make_entry):
        pupil = world.pupils[0]
        if already_on:
            monitor(app, world, pupil)
        return f"/pupils/{pupil.id}/monitoring/{route}", lambda: dict(data)

    return Case("dsl", MonitoringEvent, prepare)


def _transfer(app, world, make_entry):
    return f"/pupils/{world.pupils[0].id}/transfer", lambda: {
        "destination": "outside",
        "destination_name": "St Anne's Primary, Leeds",
        "contact_name": "Ms Patel",
        "contact_email": "dsl@stannes.example.org",
        "method": "secure_email",
        "sent_on": uk_today().isoformat(),
    }


def _receipt(app, world, make_entry):
    client = app.test_client()
    Auth(app, client).as_(world["dsl"])
    url, data = _transfer(app, world, make_entry)
    started = client.post(url, data=data())
    transfer_id = int(started.headers["Location"].rsplit("/", 1)[1])
    return f"/transfers/{transfer_id}/receipt", lambda: {"confirmed_by": "Ms Patel", "on_date": uk_today().isoformat()}


def _attachment(app, world, make_entry):
    entry_id = make_entry()
    return f"/entries/{entry_id}/attachments", lambda: {"attachments": [(io.BytesIO(png()), "bruise.png")]}


CASES = {
    "log form": Case("teacher1", Entry, lambda app, world, make_entry: ("/log", lambda: form_data(world))),
    "follow-up": _entry_form("dsl", ("follow-ups", lambda w: {"kind": "action", "text": "Called mum."}), FollowUp),
    "task": _entry_form(
        "dsl",
        (
            "follow-ups",
            lambda w: {
                "kind": "task",
                "text": "Phone mum about the missed appointment.",
                "assignee": str(w["teacher2"].id),
                "due_on": (uk_today() + timedelta(days=2)).isoformat(),
            },
        ),
        Task,
    ),
    "information sharing": _entry_form(
        "dsl",
        (
            "follow-ups",
            lambda w: {
                "kind": "information_sharing",
                "text": "Phoned the duty social worker.",
                "shared_with": "Children's social care (MASH)",
                "shared_what": "The disclosure of 3 March.",
                "share_purpose": "To ask for a strategy discussion.",
                "share_basis": "Safeguarding: public task, KCSIE.",
                "consent_sought": "no",
                "consent_note": "Asking the parent would place the child at risk.",
            },
        ),
        FollowUp,
    ),
    "amendment": _entry_form(
        "teacher1",
        (
            "amendments",
            lambda w: {
                "target": "narrative",
                "text": "The bruise was on the right arm.",
                "reason": "I wrote the wrong side.",
            },
        ),
        Amendment,
    ),
    "later category": _entry_form(
        "dsl",
        ("categories", lambda w: {"category": str(w.categories["SEN"].id), "reason": "EHCP in progress."}),
        EntryCategory,
    ),
    "entry link": Case("dsl", EntryLink, _linked),
    "monitoring start": _monitoring("start", start_form(), already_on=False),
    "monitoring review": _monitoring(
        "review", {"note": "Attendance better.", "review_on": (uk_today() + timedelta(days=14)).isoformat()}, True
    ),
    "monitoring end": _monitoring("end", {"reason": "Breakfast club in place."}, already_on=True),
    "transfer": Case("dsl", Transfer, _transfer),
    "transfer receipt": Case("dsl", TransferEvent, _receipt),
    "attachment upload": Case("dsl", Attachment, _attachment),
}


@pytest.mark.parametrize("name", CASES)
def test_a_repeated_submission_creates_nothing_and_leads_to_what_was_saved(app, client, auth, world, make_entry, name):
    case = CASES[name]
    url, data = case.prepare(app, world, make_entry)
    auth.as_(world[case.user])
    before = count(app, case.model)
    key = submissions_key()

    first = client.post(url, data={**data(), "submission_key": key})
    assert first.status_code == 303, first.get_data(as_text=True)[:2000]
    assert count(app, case.model) == before + 1
    client.get(first.headers["Location"])  # read the first save's message

    again = client.post(url, data={**data(), "submission_key": key})  # Back, then Save
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, case.model) == before + 1
    assert "This was already saved." in flashed(client, again.headers["Location"])

    other = client.post(url, data={**data(), "submission_key": submissions_key()})
    if name in ("log form", "follow-up", "task", "information sharing", "amendment", "attachment upload"):
        assert other.status_code == 303  # a new submission of a form that may be sent again: saved
        assert count(app, case.model) == before + 2


def submissions_key() -> str:
    return secrets.token_urlsafe(24)  # as a form issues one


@pytest.mark.parametrize("name", CASES)
def test_each_create_form_carries_a_fresh_key(app, client, auth, world, make_entry, name):
    case = CASES[name]
    url, _ = case.prepare(app, world, make_entry)
    auth.as_(world[case.user])
    page = {"/log": "/log"}.get(url) or _page_of(url)
    first, second = (keys_on(client.get(page).get_data(as_text=True)) for _ in range(2))
    assert first and second and not set(first) & set(second)
    assert len(set(first)) == len(first)  # one per form on the page


def _page_of(url: str) -> str:
    """The page that shows the form posting to `url`."""
    return url if url.endswith("/transfer") else url.rsplit("/", 1)[0]


# --- the log form: htmx, validation errors, another user's key, no key ----------------


def test_a_validation_error_keeps_the_key_so_the_corrected_save_counts_once(app, client, auth, world):
    auth.as_(world["teacher1"])
    key = keys_on(client.get("/log").get_data(as_text=True))[0]
    wrong = client.post("/log", data=form_data(world, narrative=" ", submission_key=key))
    assert wrong.status_code == 422
    assert keys_on(wrong.get_data(as_text=True)) == [key]
    saved = client.post("/log", data=form_data(world, submission_key=key))
    again = client.post("/log", data=form_data(world, submission_key=key))
    assert saved.status_code == again.status_code == 303
    assert saved.headers["Location"] == again.headers["Location"]
    assert count(app, Entry) == 1


def test_htmx_gets_the_same_answer_again(app, client, auth, world, make_entry):
    auth.as_(world["teacher1"])
    key = submissions_key()
    first = client.post("/log", data=form_data(world, submission_key=key), headers=HX)
    again = client.post("/log", data=form_data(world, submission_key=key), headers=HX)
    assert first.status_code == again.status_code == 204
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"]
    assert count(app, Entry) == 1

    entry_id = make_entry()
    auth.as_(world["dsl"])
    data = {"kind": "action", "text": "Met the family at the gate.", "submission_key": submissions_key()}
    first = client.post(f"/entries/{entry_id}/follow-ups", data=data, headers=HX)
    again = client.post(f"/entries/{entry_id}/follow-ups", data=data, headers=HX)
    assert first.status_code == again.status_code == 200
    for response in (first, again):  # the activity section, with the one follow-up in it
        html = response.get_data(as_text=True)
        assert 'id="activity"' in html and html.count("Met the family at the gate.") == 1
        assert "<html" not in html
    assert count(app, FollowUp) == 1


def test_a_key_submitted_by_another_user_is_refused_as_a_new_submission(app, client, auth, world):
    auth.as_(world["teacher1"])
    key = submissions_key()
    mine = client.post("/log", data=form_data(world, submission_key=key))
    assert mine.status_code == 303
    entry_id = count(app, Entry)

    auth.as_(world["teacher2"])
    theirs = client.post(
        "/log", data=form_data(world, narrative="Another account of the same lunch.", submission_key=key)
    )
    html = theirs.get_data(as_text=True)
    assert theirs.status_code == 422
    assert "Location" not in theirs.headers and f"/entries/{entry_id}" not in html
    assert "already saved" not in html and "could not be saved as it was sent" in html
    assert 'href="#submission_key"' not in html  # the summary links only to what is on the page
    assert "Another account of the same lunch." in html  # what they typed is kept
    [fresh] = keys_on(html)
    assert fresh != key
    assert count(app, Entry) == 1
    saved = client.post("/log", data=form_data(world, narrative="Another account.", checked="1", submission_key=fresh))
    assert saved.status_code == 303 and count(app, Entry) == 2


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "not a key at all, spaces and ünicode"])
def test_a_missing_or_malformed_key_saves_nothing_and_gives_a_fresh_one(app, client, auth, world, key):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=form_data(world, submission_key=key))
    assert response.status_code == 422
    assert count(app, Entry) == 0
    [fresh] = keys_on(response.get_data(as_text=True))
    assert fresh != key and client.post("/log", data=form_data(world, submission_key=fresh)).status_code == 303


def test_the_claim_records_who_what_and_where(app, client, auth, world):
    auth.as_(world["teacher1"])
    key = submissions_key()
    response = client.post("/log", data=form_data(world, submission_key=key))
    with app.app_context():
        claim = db.session.scalar(select(SubmissionKey).where(SubmissionKey.key == key))
        entry_id = db.session.scalar(select(Entry.id))
    assert (claim.user_id, claim.kind, claim.record_id) == (world["teacher1"].id, "log.new", entry_id)
    assert response.headers["Location"].endswith(claim.target) and claim.claimed_at is not None


# --- at the same moment: threads against a live server ---------------------------------


def _cookie(app, user) -> str:
    client = app.test_client()
    Auth(app, client).as_(user)
    return f"session={client.get_cookie('session').value}"


def _post(base: str, path: str, fields: dict, cookie: str) -> tuple[int, str]:
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields, doseq=True),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()


N = 6


def test_identical_posts_at_once_create_one_entry_and_one_set_of_alerts(app, world, live_server, monkeypatch):
    """N copies of one Safeguarding entry's submission at the same instant. Each is held
    after creating its entry (so every one passes the early check for a repeat and gets
    as far as claiming): the unique key lets one commit and answers the rest as repeats."""
    create = log_routes.operations.create_entry
    held = threading.Barrier(N, timeout=1)

    def slow_create(**kwargs):
        entry = create(**kwargs)
        try:
            held.wait()  # on PostgreSQL every request reaches here; on SQLite the first holds the write lock
        except threading.BrokenBarrierError:
            pass
        return entry

    monkeypatch.setattr(log_routes.operations, "create_entry", slow_create)
    lost = []
    claim = submissions.claim

    def counting_claim(*args):
        try:
            return claim(*args)
        except submissions.AlreadySaved:
            lost.append(1)
            raise

    monkeypatch.setattr(submissions, "claim", counting_claim)
    cookie = _cookie(app, world["teacher1"])
    fields = form_data(
        world, category=str(world.categories["Safeguarding"].id), checked="1", submission_key=submissions_key()
    )
    start = threading.Barrier(N)
    answers: list[tuple[int, str]] = []

    def tap():
        start.wait()
        answers.append(_post(live_server, "/log", fields, cookie))

    threads = [threading.Thread(target=tap) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == N
    assert {status for status, _ in answers} == {303}, answers
    assert len({location for _, location in answers}) == 1  # all to the one entry
    with app.app_context():
        [entry_id] = db.session.scalars(select(Entry.id)).all()
        team = db.session.scalars(select(Alert.recipient_id).where(Alert.entry_id == entry_id)).all()
        assert db.session.scalar(select(func.count()).select_from(Alert)) == len(team) > 0
        assert len(set(team)) == len(team)  # each of the team alerted once
        assert db.session.scalar(select(func.count()).select_from(SubmissionKey)) == 1
    assert answers[0][1].endswith(f"/entries/{entry_id}")
    assert lost  # at least one lost at the unique key, not at the early check


def test_identical_follow_ups_at_once_create_one(app, world, make_entry, live_server):
    entry_id = make_entry()
    cookie = _cookie(app, world["dsl"])
    fields = {"kind": "action", "text": "Called mum.", "submission_key": submissions_key()}
    start = threading.Barrier(N)
    answers = []

    def tap():
        start.wait()
        answers.append(_post(live_server, f"/entries/{entry_id}/follow-ups", fields, cookie))

    threads = [threading.Thread(target=tap) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert {status for status, _ in answers} == {303}, answers
    assert count(app, FollowUp) == 1


def test_picking_a_pupil_on_a_form_already_saved_is_not_a_save(app, client, auth, world):
    """Back to the saved form, then Add (the no-JavaScript picker): the form comes back."""
    auth.as_(world["teacher1"])
    key = submissions_key()
    assert client.post("/log", data=form_data(world, submission_key=key)).status_code == 303
    picked = client.post("/log", data=form_data(world, submission_key=key, add_pupil=str(world.pupils[1].id)))
    assert picked.status_code == 200 and keys_on(picked.get_data(as_text=True)) == [key]
    again = client.post("/log", data=form_data(world, submission_key=key))
    assert again.status_code == 303 and count(app, Entry) == 1


def test_identical_monitoring_starts_at_once_start_it_once(app, world, live_server):
    """A start whose twin got there first runs into the pupil's monitoring (a unique row)
    before its key: it too is answered as the repeat it is, never as an error."""
    pupil = world.pupils[0]
    cookie = _cookie(app, world["dsl"])
    fields = {**start_form(), "submission_key": submissions_key()}
    start = threading.Barrier(N)
    answers = []

    def tap():
        start.wait()
        answers.append(_post(live_server, f"/pupils/{pupil.id}/monitoring/start", fields, cookie))

    threads = [threading.Thread(target=tap) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert {status for status, _ in answers} == {303}, answers
    assert len({location for _, location in answers}) == 1
    assert count(app, MonitoringEvent) == 1
