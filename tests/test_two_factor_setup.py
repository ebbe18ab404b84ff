"""Planting a two-factor key: someone who knows a colleague's password opens the
set-up page before the colleague does and notes the key. The key they saw must
never sign in as the colleague, nor be confirmable from the colleague's session;
each showing of a key is audited."""

from __future__ import annotations

import json
import time

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.auth.models import UserSession
from cpoms.extensions import db
from cpoms.models import Role, User

from conftest import PASSWORD, make_user
from helpers import RECOVERY, shown_secret


def new_head(app, world) -> User:
    """An SLT member who has not set up two-factor sign-in yet (their role needs it)."""
    with app.app_context():
        school = db.session.merge(world.school)
        head = make_user("New Head", "head@ashgrove.example.org", roles=[(Role.SLT, school, None)], two_factor=False)
        db.session.commit()
        db.session.refresh(head)
        db.session.expunge(head)
    return head


def signed_in(app, user) -> FlaskClient:
    """A browser of its own, past the password."""
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account/two-factor"
    return browser


def code_for(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def test_a_key_noted_before_the_real_person_enrols_never_signs_in(app, world):
    head = new_head(app, world)
    attacker = signed_in(app, head)
    planted = shown_secret(attacker.get("/account/two-factor").get_data(as_text=True))

    # The real person signs in later and enrols with the key their own page shows.
    person = signed_in(app, head)
    theirs = shown_secret(person.get("/account/two-factor").get_data(as_text=True))
    assert theirs != planted
    response = person.post("/account/two-factor", data={"code": pyotp.TOTP(theirs).now()})
    assert response.status_code == 200 and len(RECOVERY.findall(response.get_data(as_text=True))) == 10

    # The noted key's codes are refused at sign-in, now and in the next time steps.
    for ahead in (0, 1):
        browser = app.test_client()
        assert (
            browser.post("/login", data={"email": head.email, "password": PASSWORD}).headers["Location"]
            == "/login/two-factor"
        )
        refused = browser.post("/login/two-factor", data={"code": code_for(planted, ahead)})
        assert refused.status_code == 422
        assert browser.get("/review").status_code != 200
    # Nor can the attacker's own session confirm it now.
    late = attacker.post("/account/two-factor", data={"code": pyotp.TOTP(planted).now()})
    # (the account is enrolled now: that session is sent to the code step first)
    assert late.status_code == 302 and late.headers["Location"].startswith("/login/two-factor")
    with app.app_context():
        assert db.session.get(User, head.id).totp_secret == theirs


def test_a_key_shown_in_one_session_cannot_be_confirmed_from_another(app, world):
    head = new_head(app, world)
    attacker = signed_in(app, head)
    planted = shown_secret(attacker.get("/account/two-factor").get_data(as_text=True))

    # The person is tricked into typing a code from the attacker's key into their own page.
    person = signed_in(app, head)
    person.get("/account/two-factor")
    refused = person.post("/account/two-factor", data={"code": pyotp.TOTP(planted).now()})
    assert refused.status_code == 422
    assert "That code did not work" in refused.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, head.id)
        assert user.totp_enrolled_at is None and user.totp_secret is None


def test_a_confirmed_key_cannot_be_confirmed_again_and_a_new_attempt_gets_a_new_key(app, world):
    head = new_head(app, world)
    person = signed_in(app, head)
    first = shown_secret(person.get("/account/two-factor").get_data(as_text=True))
    second = shown_secret(person.get("/account/two-factor").get_data(as_text=True))
    assert first != second
    # Only the newest key shown to this session is confirmable.
    assert person.post("/account/two-factor", data={"code": pyotp.TOTP(first).now()}).status_code == 422
    assert person.post("/account/two-factor", data={"code": pyotp.TOTP(second).now()}).status_code == 200
    with app.app_context():
        assert all(
            row.totp_setup_secret is None
            for row in db.session.scalars(select(UserSession).where(UserSession.user_id == head.id))
        )


def test_each_showing_of_a_key_is_audited_with_the_session(app, world):
    head = new_head(app, world)
    attacker = signed_in(app, head)
    attacker.get("/account/two-factor")
    person = signed_in(app, head)
    person.get("/account/two-factor")
    person.post("/account/two-factor", data={"code": "000000"})
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.TWO_FACTOR_SETUP_SHOWN).order_by(AuditEvent.seq)
        ).all()
        sessions = [json.loads(e.detail)["session_id"] for e in events]
        assert [e.user_id for e in events] == [head.id] * 3
        assert sessions[0] != sessions[1] == sessions[2]
        assert [json.loads(e.detail)["again"] for e in events] == [False, False, True]
        assert all(e.ip for e in events)
