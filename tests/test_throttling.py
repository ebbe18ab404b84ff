"""Guessing passwords: a per-address limit on the sign-in, code and reset posts
(Flask-Limiter), and a per-account lock that grows with each further failure."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from cpoms.audit import AuditEvent
from cpoms.auth import routes as auth_routes
from cpoms.auth.routes import FAILED
from cpoms.extensions import db
from cpoms.models import User
from cpoms.timefmt import now_utc

from conftest import PASSWORD, totp_code
from sweep import strip_tokens

UNKNOWN = "nobody@ashgrove.example.org"


def attempt(client, email: str, password: str = "wrong password here"):
    return client.post("/login", data={"email": email, "password": password})


def account(app, user) -> User:
    with app.app_context():
        row = db.session.get(User, user.id)
        db.session.expunge(row)
        return row


def lock_minutes_left(app, user) -> float:
    return (account(app, user).locked_until - now_utc()).total_seconds() / 60


def let_the_lock_pass(app, user) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(locked_until=now_utc() - timedelta(seconds=1)))
        db.session.commit()


# --- per address -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("/login", {"email": UNKNOWN, "password": "x"}),
        ("/login/forgot", {"email": UNKNOWN}),
    ],
)
def test_too_many_posts_from_one_address_get_a_clear_429(app, client, path, body):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post(path, data=body).status_code in (303, 422)
    response = client.post(path, data=body)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and "wait a minute" in html
    assert client.get(path).status_code == 200  # reading the page is not limited
    other_address = client.post(path, data=body, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code in (303, 422)


def test_the_code_step_is_limited_too(app, client, world):
    app.config["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    client.post("/login", data={"email": world["dsl"].email, "password": PASSWORD})
    statuses = [client.post("/login/two-factor", data={"code": "000000"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_the_sign_in_provider_routes_are_limited_too(app, client):
    # Both legs of signing in with a provider are GETs: limited like the password's POST.
    app.config["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    for path in ("/login/sso/nowhere", "/login/sso/nowhere/callback?state=x&code=y"):
        statuses = [client.get(path).status_code for _ in range(3)]
        assert statuses == [404, 404, 429]


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "SIGN_IN_RATE_LIMIT": "100 per minute"}


# --- per account ------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_and_each_further_one_doubles_the_lock(app, client, world):
    teacher = world["teacher1"]
    for _ in range(4):
        attempt(client, teacher.email)
    assert account(app, teacher).locked_until is None
    attempt(client, teacher.email)
    assert 0.9 < lock_minutes_left(app, teacher) <= 1

    # Locked: even the right password is refused, with the same words as a wrong one.
    locked = attempt(client, teacher.email, PASSWORD)
    assert locked.status_code == 422 and FAILED in unescape(locked.get_data(as_text=True))
    assert client.get("/").status_code == 302
    assert account(app, teacher).failed_sign_ins == 5  # attempts while locked do not add

    let_the_lock_pass(app, teacher)
    attempt(client, teacher.email)
    assert 1.9 < lock_minutes_left(app, teacher) <= 2
    let_the_lock_pass(app, teacher)
    attempt(client, teacher.email)
    assert 3.9 < lock_minutes_left(app, teacher) <= 4

    with app.app_context():
        db.session.execute(update(User).where(User.id == teacher.id).values(failed_sign_ins=40))
        db.session.commit()
    let_the_lock_pass(app, teacher)
    attempt(client, teacher.email)
    assert 59 < lock_minutes_left(app, teacher) <= 60  # capped

    let_the_lock_pass(app, teacher)
    assert attempt(client, teacher.email, PASSWORD).status_code == 303
    assert account(app, teacher).failed_sign_ins == 0


def test_unknown_wrong_and_locked_look_the_same(app, client, world):
    teacher = world["teacher1"]
    for _ in range(5):
        attempt(client, teacher.email)
    pages = {
        "unknown": attempt(client, UNKNOWN),
        "wrong": attempt(client, world["teacher2"].email),
        "locked": attempt(client, teacher.email, PASSWORD),
    }
    bodies = set()
    for name, response in pages.items():
        assert response.status_code == 422, name
        # The form token is signed with the time in seconds: it differs across a second's turn.
        html = strip_tokens(response.get_data(as_text=True))
        for email in (UNKNOWN, world["teacher2"].email, teacher.email):
            html = html.replace(email, "EMAIL")
        # The CSRF token carries the second it was signed: requests a second apart differ there only.
        html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)
        bodies.add(html)
    assert len(bodies) == 1


def test_every_failure_costs_one_password_hash(app, client, world, monkeypatch):
    """The time taken does not tell the cases apart: each does the same hashing."""
    calls = []
    real = auth_routes.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth_routes, "check_password_hash", counting)
    monkeypatch.setattr("cpoms.models.check_password_hash", counting)
    teacher = world["teacher1"]
    for _ in range(5):
        attempt(client, teacher.email)
    with app.app_context():
        db.session.execute(update(User).where(User.id == world["teacher2"].id).values(password_hash="!"))
        db.session.commit()
    for name, email, password in [
        ("unknown", UNKNOWN, "x"),
        ("wrong", world["dsl"].email, "x"),
        ("locked", teacher.email, PASSWORD),
        ("unusable", world["teacher2"].email, "x"),
    ]:
        calls.clear()
        attempt(client, email, password)
        assert len(calls) == 1, name
        assert calls[0].startswith(("scrypt:", "pbkdf2:")), name


def test_wrong_codes_count_and_lock_too(app, client, world):
    dsl = world["dsl"]
    client.post("/login", data={"email": dsl.email, "password": PASSWORD})
    for _ in range(4):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 422
    fifth = client.post("/login/two-factor", data={"code": "000000"})
    assert fifth.status_code == 303 and fifth.headers["Location"] == "/login"
    assert FAILED in unescape(client.get("/login").get_data(as_text=True))
    assert client.get("/").status_code == 302  # the half-signed-in session is gone
    # The password alone does not clear the count: it still needs the lock to pass.
    assert client.post("/login", data={"email": dsl.email, "password": PASSWORD}).status_code == 422
    let_the_lock_pass(app, dsl)
    client.post("/login", data={"email": dsl.email, "password": PASSWORD})
    assert client.post("/login/two-factor", data={"code": totp_code(app, dsl)}).status_code == 303
    assert account(app, dsl).failed_sign_ins == 0
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == dsl.id)))
    assert actions.count("two_factor_failed") == 5 and "sign_in_locked" in actions
