"""Server-side sessions on shared tablets: timeouts, rotation, sign-out that kills
the cookie, and what was typed kept across a timeout (drafts)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from cpoms.auth.models import UserSession
from cpoms.auth.sessions import hash_token
from cpoms.drafts import Draft
from cpoms.extensions import db
from cpoms.models import Entry
from cpoms.timefmt import now_utc, uk_local_input

from conftest import PASSWORD, totp_code

HX = {"HX-Request": "true"}


def cookie_token(client) -> str:
    with client.session_transaction() as session:
        return session.get("_user_id")


def row_for(app, token: str) -> UserSession:
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
        db.session.expunge(row)
        return row


def age_session(app, token: str, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    """Move time: the session was last seen `idle` ago and began `age` ago."""
    now = now_utc()
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token))
            .values(last_seen_at=now - idle, created_at=now - max(age, idle))
        )
        db.session.commit()


# --- timeouts ------------------------------------------------------------------------


def test_idle_timeout_ends_the_session(app, client, auth, world):
    auth.as_(world["dsl"])
    token = cookie_token(client)
    assert client.get("/review").status_code == 200
    age_session(app, token, idle=timedelta(minutes=14))
    assert client.get("/review").status_code == 200  # 14 minutes idle: still alive
    age_session(app, token, idle=timedelta(minutes=16))
    response = client.get("/review")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Freview"
    row = row_for(app, token)
    assert row.ended_at is not None and row.end_reason == "idle"
    assert "Your session ended" in client.get("/login").get_data(as_text=True)


def test_absolute_timeout_ends_a_busy_session(app, client, auth, world):
    auth.as_(world["dsl"])
    token = cookie_token(client)
    age_session(app, token, idle=timedelta(seconds=5), age=timedelta(hours=9, minutes=59))
    assert client.get("/").status_code == 200
    age_session(app, token, idle=timedelta(seconds=5), age=timedelta(hours=10, minutes=1))
    assert client.get("/").status_code == 302
    assert row_for(app, token).end_reason == "absolute"


@pytest.fixture
def config_overrides():
    return {"SESSION_IDLE_MINUTES": 15, "SESSION_ABSOLUTE_HOURS": 10}


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, world):
    auth.as_(world["teacher1"])
    token = cookie_token(client)
    age_session(app, token, idle=timedelta(seconds=30))
    before = row_for(app, token).last_seen_at
    client.get("/")
    assert row_for(app, token).last_seen_at == before  # no write for a request within the minute
    age_session(app, token, idle=timedelta(minutes=2))
    client.get("/")
    assert now_utc() - row_for(app, token).last_seen_at < timedelta(seconds=10)


# --- rotation and sign-out ----------------------------------------------------------------


def test_sign_in_and_the_code_step_each_issue_a_new_session(app, client, world):
    user = world["dsl"]
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    after_password = cookie_token(client)
    first = row_for(app, after_password)
    assert first.two_factor_at is None and first.ended_at is None
    assert client.get("/review").headers["Location"].startswith("/login/two-factor")

    assert client.post("/login/two-factor", data={"code": totp_code(app, user)}).status_code == 303
    after_code = cookie_token(client)
    assert after_code != after_password
    assert row_for(app, after_password).end_reason == "rotated"
    second = row_for(app, after_code)
    assert second.two_factor_at is not None and second.ended_at is None and second.user_id == user.id
    assert client.get("/review").status_code == 200


def test_signing_in_over_an_old_session_replaces_it(app, client, auth, world):
    auth.as_(world["teacher1"], verified=False)
    old = cookie_token(client)
    client.post("/logout")
    client.post("/login", data={"email": world["teacher2"].email, "password": PASSWORD})
    new = cookie_token(client)
    assert new and new != old
    assert row_for(app, new).user_id == world["teacher2"].id


def test_sign_out_ends_the_session_on_the_server(app, client, auth, world):
    auth.login(world["dsl"])
    token = cookie_token(client)
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.get("/review").status_code == 200
    assert client.post("/logout").status_code == 303
    assert row_for(app, token).end_reason == "signed_out"
    with client.session_transaction() as session:
        assert dict(session) == {"_flashes": [("info", "You have signed out.")]}

    # Someone who copied the cookie before sign-out replays it: the sign-in page.
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/review")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert thief.get("/").status_code == 302


def test_one_query_loads_the_session_and_its_user(app, client, auth, world, count_queries):
    auth.as_(world["teacher1"])
    client.get("/account/password")
    with count_queries() as statements:
        assert client.get("/account/password").status_code == 200
    loads = [s for s in statements if "user_sessions" in s]
    assert len(loads) == 1 and "JOIN users" in loads[0]


# --- what was typed survives a timeout ----------------------------------------------------------


def log_form(world, narrative: str) -> dict:
    return {
        "form_name": "LogEntryForm",
        "pupil_ids": [str(world.pupils[0].id), str(world.pupils[1].id)],
        "category": str(world.categories["Behaviour"].id),
        "source": "pupil_disclosure",
        "occurred_at": uk_local_input(now_utc() - timedelta(hours=2)),
        "narrative": narrative,
        "child_words": "He said <it> was fine & then cried.",
    }


def expire_while_typing(app, client, auth, user) -> None:
    auth.as_(user)
    assert client.get("/log").status_code == 200
    age_session(app, cookie_token(client), idle=timedelta(minutes=20))


def test_text_typed_when_the_session_timed_out_comes_back_after_signing_in(app, client, auth, world):
    narrative = "Amelia was upset at lunch and said someone at home shouts at her."
    expire_while_typing(app, client, auth, world["teacher1"])
    response = client.post("/log", data=log_form(world, narrative), headers={"Referer": "http://localhost/log"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Flog"
    with app.app_context():
        assert db.session.scalar(select(Entry.id)) is None
        [draft] = db.session.scalars(select(Draft)).all()
        assert (draft.user_id, draft.path) == (world["teacher1"].id, "/log")
    assert "What you typed has been kept" in client.get("/login").get_data(as_text=True)

    signed_in = client.post("/login?next=%2Flog", data={"email": world["teacher1"].email, "password": PASSWORD})
    assert signed_in.headers["Location"] == "/log"
    page = client.get("/log")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert narrative in html
    assert "He said <it> was fine & then cried." in html
    assert "What you had typed is back in the form" in html
    assert "There is a problem" not in html  # filled as data, not re-validated
    assert "Amelia Hassan" in html and "Oliver Nowak" in html  # both pupils are back on it
    assert re.search(r"<input checked [^>]*value=\"pupil_disclosure\">", html)
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []  # handed back once
    assert narrative not in unescape(client.get("/log").get_data(as_text=True))


def test_another_person_signing_in_never_sees_the_draft(app, client, auth, world):
    narrative = "Private words about a child."
    expire_while_typing(app, client, auth, world["teacher1"])
    client.post("/log", data=log_form(world, narrative), headers={"Referer": "http://localhost/log"})
    client.post("/login?next=%2Flog", data={"email": world["teacher2"].email, "password": PASSWORD})
    html = client.get("/log").get_data(as_text=True)
    assert "Private words" not in html and "is back in the form" not in html
    with app.app_context():
        assert db.session.scalar(select(Draft.user_id)) == world["teacher1"].id  # still theirs


def test_a_draft_older_than_a_day_is_not_given_back(app, client, auth, world):
    expire_while_typing(app, client, auth, world["teacher1"])
    client.post("/log", data=log_form(world, "Typed yesterday."), headers={"Referer": "http://localhost/log"})
    with app.app_context():
        db.session.execute(update(Draft).values(saved_at=now_utc() - timedelta(hours=25)))
        db.session.commit()
    client.post("/login?next=%2Flog", data={"email": world["teacher1"].email, "password": PASSWORD})
    assert "Typed yesterday." not in client.get("/log").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []  # dropped at sign-in


def test_a_signed_out_session_keeps_no_draft(app, client, auth, world):
    """Only a timeout keeps text: a copied cookie of a signed-out session cannot plant a draft."""
    auth.as_(world["teacher1"])
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    thief.post("/log", data=log_form(world, "Planted."))
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []


def test_a_follow_up_typed_through_htmx_comes_back_on_the_entry_page(app, client, auth, world, make_entry):
    entry_id = make_entry()
    page = f"/entries/{entry_id}"
    auth.as_(world["dsl"])
    assert client.get(page).status_code == 200
    age_session(app, cookie_token(client), idle=timedelta(minutes=20))
    text = "Rang mum; she will come in tomorrow at 9."
    response = client.post(
        f"{page}/follow-ups",
        data={"form_name": "FollowUpForm", "kind": "action", "text": text},
        headers={**HX, "HX-Current-URL": f"http://localhost{page}"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == f"/login?next=%2Fentries%2F{entry_id}"

    auth.login(world["dsl"])
    html = unescape(client.get(page).get_data(as_text=True))
    assert text in html
    assert "What you had typed is back in the form" in html
    # Only the form it came from is filled: the reopen/close/review forms stay empty.
    assert html.count(text) == 1
