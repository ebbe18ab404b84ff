"""The person who logged a concern hears what happened: their "What I logged" list (without
two-factor sign-in too), an email and a home-page line when the team reviews it, and the
team's messages. Real SMTP (aiosmtpd), the outbox in the real database, real requests."""

from __future__ import annotations

import email
import json
import re

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from cpoms import alerts
from cpoms.audit import AuditEvent
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.hearback.models import RecorderMessage
from cpoms.models import Alert, Entry, Kind, RoleAssignment, User
from cpoms.timefmt import now_utc, uk_date

from conftest import keep_screenshot
from helpers import add_entries, assert_flat, queries_for

NARRATIVE = "Saw a bruise on Amelia Hassan's left arm at 9:10."
TEACHER1 = "teacher1@ashgrove.example.org"


def logged_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'id="logged-(\d+)"', html)}


def body_of(envelope) -> str:
    message = email.message_from_bytes(envelope.original_content)
    parts = [message] if not message.is_multipart() else [p for p in message.walk() if not p.is_multipart()]
    text_parts = [p.get_payload(decode=True).decode() for p in parts]
    return message["Subject"] + "\n" + "\n".join(text_parts)


def follow_up(app, world, who: str, entry_id: int, kind: str, words: str = "", **fields) -> None:
    with app.test_request_context():
        add_follow_up(db.session.get(User, world[who].id), db.session.get(Entry, entry_id), kind, words, **fields)
        db.session.commit()


@pytest.fixture
def logged(app, world, make_entry) -> dict[str, int]:
    """teacher1's waiting, reviewed and closed entries; one of teacher2's."""
    ids = {
        "waiting": make_entry("teacher1", [world.pupils[0]], "Safeguarding", narrative=NARRATIVE),
        "reviewed": make_entry("teacher1", [world.pupils[1]], "Behaviour", narrative="Pushed Isla in the queue."),
        "closed": make_entry("teacher1", world.pupils[:2], "General welfare", narrative="No coat in the rain."),
        "theirs": make_entry("teacher2", [world.pupils[2]], "Behaviour", narrative="Isla Hartley shouted."),
    }
    follow_up(app, world, "dsl", ids["reviewed"], Kind.REVIEWED)
    follow_up(app, world, "dsl", ids["closed"], Kind.REVIEWED)
    follow_up(app, world, "dsl", ids["closed"], Kind.CLOSED, "Coat given.", reason="Parents spoken to.")
    return ids


def test_staff_without_two_factor_see_what_they_logged_and_where_it_stands(client, auth, world, logged):
    auth.as_(world["teacher1"], verified=False)
    response = client.get("/logged")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert logged_ids(html) == {logged["waiting"], logged["reviewed"], logged["closed"]}
    today = uk_date(now_utc())
    assert "Waiting for the safeguarding team to review it" in html
    assert f"Reviewed by the safeguarding team on {today}" in html
    assert f"Closed on {today}" in html
    assert "A.H." in html and "O.N." in html and "Safeguarding" in html
    # No narrative, no follow-up, no full name, no link into a record they may not read.
    for secret in ("bruise", "Isla", "coat", "Coat", "Parents spoken", "Amelia", "Hassan", "Oliver", "Nowak"):
        assert secret not in html, secret
    assert "/entries/" not in html
    # The rule for reading records is unchanged: the entry itself stays closed to them.
    assert client.get(f"/entries/{logged['waiting']}").status_code == 404
    # Home leads there, and so does the menu.
    home = client.get("/").get_data(as_text=True)
    assert 'href="/logged"' in home


def test_another_teachers_entries_are_not_on_the_list(client, auth, world, logged):
    auth.as_(world["teacher2"], verified=False)
    assert logged_ids(client.get("/logged").get_data(as_text=True)) == {logged["theirs"]}
    auth.as_(world["other_teacher"])
    assert logged_ids(client.get("/logged").get_data(as_text=True)) == set()


def test_the_list_is_not_for_those_who_log_nothing(client, auth, world):
    for who in ("governor", "admin", "trust_rep"):
        auth.as_(world[who])
        assert client.get("/logged").status_code == 403


def test_the_view_is_audited_without_record_content(app, client, auth, world, logged):
    auth.as_(world["teacher1"], verified=False)
    client.get("/logged")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_logged"))
        assert event.user_id == world["teacher1"].id
        assert set(json.loads(event.detail)["entries"]) == {logged["waiting"], logged["reviewed"], logged["closed"]}
        # Not a view of a child's record: nothing is added to the pupils' "who has viewed" lists.
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_excerpt")) is None


def test_review_emails_the_recorder_once_with_no_narrative(mail_app, smtp, app, client, auth, world, make_entry):
    entry_id = make_entry("teacher1", [world.pupils[0]], "Behaviour", narrative=NARRATIVE)
    auth.as_(world["dsl"])
    assert client.post(f"/entries/{entry_id}/review", data={"note": "Spoke to Amelia's mother."}).status_code == 303
    assert client.post(f"/entries/{entry_id}/review", data={}).status_code == 303  # a further review: no email
    with app.app_context():
        assert alerts.send_pending() == {"sent": 0, "failed": 0, "skipped": 0}  # the worker finds nothing left
    assert smtp.inbox.recipients == [TEACHER1]
    body = body_of(smtp.inbox.messages[0])
    today = uk_date(now_utc())
    assert f"Your concern of {today} was reviewed by the safeguarding team" in body
    assert "A.H." in body and "Behaviour" in body and "/logged" in body
    for secret in ("bruise", "Amelia", "Hassan", "mother", "Dsl"):
        assert secret not in body, secret
    # Their home page says so, without two-factor sign-in.
    auth.as_(world["teacher1"], verified=False)
    home = client.get("/").get_data(as_text=True)
    assert f"Your concern of {today} about A.H. was reviewed by the safeguarding team" in home


def test_no_email_when_the_recorder_reviews_their_own_entry_or_has_left(
    mail_app, smtp, app, client, auth, world, make_entry
):
    own = make_entry("dsl", [world.pupils[0]], "Behaviour")
    left = make_entry("teacher2", [world.pupils[1]], "Behaviour")
    with app.app_context():
        db.session.execute(update(User).where(User.id == world["teacher2"].id).values(active=False))
        db.session.commit()
    auth.as_(world["dsl"])
    client.post(f"/entries/{own}/review")
    client.post(f"/entries/{left}/review")
    assert smtp.inbox.messages == []


def test_the_team_messages_the_recorder_end_to_end(mail_app, smtp, app, client, auth, world, make_entry):
    entry_id = make_entry("teacher1", [world.pupils[0]], "Behaviour", narrative=NARRATIVE)
    other = make_entry("teacher1", [world.pupils[1]], "Behaviour")
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Write nothing of the concern" in page and "Send the message" in page
    # Bad input: said clearly, nothing saved, nothing sent.
    assert client.post(f"/entries/{entry_id}/recorder-messages", data={"text": "  "}).status_code == 422
    too_long = client.post(f"/entries/{entry_id}/recorder-messages", data={"text": "x" * 501})
    assert too_long.status_code == 422
    assert "Keep the message to 500 characters." in too_long.get_data(as_text=True)
    words = "Thank you for logging this. Amelia is fine now; please come and see me at lunch."
    sent = client.post(f"/entries/{entry_id}/recorder-messages", data={"text": words})
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/entries/{entry_id}#recorder-messages")
    # On the entry, for the team, as written.
    assert words in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    # One email to the recorder: neither the message nor the concern in it.
    assert smtp.inbox.recipients == [TEACHER1]
    body = body_of(smtp.inbox.messages[0])
    assert "The safeguarding team has sent you a message about your concern of" in body
    assert "sign in to read it" in body and "/logged" in body
    for secret in ("Thank you", "lunch", "bruise", "Amelia", "Hassan"):
        assert secret not in body, secret
    # The recorder reads it beside that entry, without two-factor sign-in, names as initials.
    auth.as_(world["teacher1"], verified=False)
    html = client.get("/logged").get_data(as_text=True)
    assert "Thank you for logging this. A.H. is fine now" in html
    assert "Amelia" not in html and "bruise" not in html
    row = html[html.index(f'id="logged-{entry_id}"') :]
    assert row.index("Thank you") < row.index("</li>")
    assert "Thank you" not in html[html.index(f'id="logged-{other}"') : html.index(f'id="logged-{entry_id}"')]
    assert "sent you a message about your concern" in client.get("/").get_data(as_text=True)
    # Nobody else sees it on their list.
    auth.as_(world["teacher2"], verified=False)
    assert "Thank you" not in client.get("/logged").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message_recorder"))
        assert event.user_id == world["dsl"].id and event.entry_id == entry_id
        assert "Thank" not in event.detail
        message_id = db.session.scalar(select(RecorderMessage.id))
        assert (
            db.session.scalar(select(Alert.reason).where(Alert.recipient_id == world["teacher1"].id))
            == "recorder_message"
        )
    # Append-only: the database refuses to change or remove it.
    with app.app_context():
        for statement in (
            f"UPDATE recorder_messages SET text = 'changed' WHERE id = {message_id}",
            f"DELETE FROM recorder_messages WHERE id = {message_id}",
        ):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()


def test_who_may_send_a_message(app, client, auth, world, make_entry):
    entry_id = make_entry("teacher1", [world.pupils[0]], "Behaviour")
    own = make_entry("dsl", [world.pupils[0]], "Behaviour")
    data = {"text": "Thank you."}
    auth.as_(world["teacher1"])
    assert client.post(f"/entries/{entry_id}/recorder-messages", data=data).status_code == 403
    auth.as_(world["slt"])
    assert client.post(f"/entries/{entry_id}/recorder-messages", data=data).status_code == 403
    auth.as_(world["teacher1"], verified=False)
    assert client.post(f"/entries/{entry_id}/recorder-messages", data=data).status_code == 404
    auth.as_(world["dsl"])
    assert client.post(f"/entries/{own}/recorder-messages", data=data).status_code == 403
    # A recorder who has left the school could not read it: the team is told, nothing is saved.
    with app.app_context():
        db.session.execute(
            update(RoleAssignment)
            .where(RoleAssignment.user_id == world["teacher1"].id)
            .values(school_id=world.other_school.id)
        )
        db.session.commit()
    refused = client.post(f"/entries/{entry_id}/recorder-messages", data=data)
    assert refused.status_code == 422
    assert "no longer works at the school" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RecorderMessage.id)) is None


def test_the_list_is_paged_with_a_fixed_number_of_queries(app, client, auth, world, count_queries, make_entry):
    add_entries(app, world, 5, recorders=("teacher1",))
    auth.as_(world["dsl"])
    for entry_id in add_entries(app, world, 3, recorders=("teacher1",)):
        client.post(f"/entries/{entry_id}/recorder-messages", data={"text": "Thank you."})
    auth.as_(world["teacher1"], verified=False)
    small = queries_for(client, count_queries, "/logged")
    ids = add_entries(app, world, 60, recorders=("teacher1",))
    auth.as_(world["dsl"])
    for entry_id in ids[-10:]:
        client.post(f"/entries/{entry_id}/recorder-messages", data={"text": "Thank you."})
    auth.as_(world["teacher1"], verified=False)
    large = queries_for(client, count_queries, "/logged")
    assert_flat(small, large, "what I logged")
    first = client.get("/logged").get_data(as_text=True)
    assert len(logged_ids(first)) == 25 and "Older" in first
    assert_flat(large, queries_for(client, count_queries, "/logged?page=3"), "what I logged, page 3")
    assert len(logged_ids(client.get("/logged?page=3").get_data(as_text=True))) == 68 - 50
    assert client.get("/logged?page=abc").status_code == 200


@pytest.mark.browser
def test_what_i_logged_at_tablet_width(app, live_server, world, make_entry, logged, browser):
    follow_up_text = "Thank you for telling us. Please pop in to see me after school."
    with app.test_request_context():
        db.session.add(
            RecorderMessage(
                entry_id=logged["reviewed"],
                school_id=world.school.id,
                author_id=world["dsl"].id,
                recipient_id=world["teacher1"].id,
                text=follow_up_text,
            )
        )
        db.session.commit()
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(TEACHER1)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(f"{live_server}/logged")
    assert page.get_by_role("heading", name="What I logged", level=1).is_visible()
    assert page.get_by_text(follow_up_text).is_visible()
    # Nothing runs off the side at 768 px.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768
    keep_screenshot(page, "logged-768")
    context.close()


def test_a_message_sent_twice_is_saved_once(app, client, auth, world, make_entry):
    from cpoms.hearback.models import RecorderMessage

    entry_id = make_entry(recorder="teacher1")
    auth.as_(world["dsl"])
    data = {"text": "Thank you for telling us.", "submission_key": "same-key-for-both-taps-0001"}
    first = client.post(f"/entries/{entry_id}/recorder-messages", data=data)
    again = client.post(f"/entries/{entry_id}/recorder-messages", data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.query(RecorderMessage).count() == 1
