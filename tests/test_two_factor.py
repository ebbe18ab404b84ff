"""Two-factor sign-in: enrolment, the code step, replay, recovery codes, who must
enrol, and what a member of staff without it may do."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html import unescape

import pyotp
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.auth.models import RecoveryCode
from cpoms.auth.routes import CODE_FAILED
from cpoms.auth.two_factor import CODE_USED
from cpoms.extensions import db
from cpoms.models import Entry, Role, User
from cpoms.timefmt import now_utc, uk_local_input

from conftest import PASSWORD, make_user, totp_code
from helpers import RECOVERY, shown_secret


def fresh(app, user) -> User:
    with app.app_context():
        row = db.session.get(User, user.id)
        db.session.expunge(row)
        return row


def password_step(client, user, next_: str = ""):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": user.email, "password": PASSWORD})


def enrol(app, client, user) -> list[str]:
    """Through the page, as a person does: returns the recovery codes shown."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    secret = shown_secret(page.get_data(as_text=True))
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return RECOVERY.findall(response.get_data(as_text=True))


# --- enrolment -----------------------------------------------------------------------


def test_enrolment_shows_an_inline_qr_code_and_the_secret_and_a_code_confirms_it(app, client, auth, world, make_entry):
    teacher = world["teacher1"]
    entry_id = make_entry(recorder="teacher1")
    assert auth.login(teacher).headers["Location"] == "/"  # optional for staff: straight in
    assert client.get(f"/entries/{entry_id}").status_code == 404  # but reads nothing yet

    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = shown_secret(html)
    # The key is this session's until it is confirmed: the account has none yet.
    assert fresh(app, teacher).totp_secret is None and fresh(app, teacher).totp_enrolled_at is None
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg, "no inline SVG QR code"
    assert "<path" in svg.group(0) and 'role="img"' in svg.group(0)
    assert "data:" not in html and "<script" not in svg.group(0)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    # Each showing is a new attempt with a new key; a wrong code keeps the key shown.
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422 and shown_secret(wrong.get_data(as_text=True)) == secret
    assert fresh(app, teacher).totp_enrolled_at is None

    codes = enrol(app, client, teacher)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert fresh(app, teacher).totp_enrolled_at is not None
    # The code proved it: this session now reads what the teacher recorded.
    assert client.get(f"/entries/{entry_id}").status_code == 200
    # Shown once: the manage page lists none of them.
    manage = client.get("/account/two-factor").get_data(as_text=True)
    assert not any(code in manage for code in codes)
    with app.app_context():
        stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == teacher.id)))
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert not stored & set(codes)


# --- the code step ----------------------------------------------------------------------


def test_sign_in_with_a_code(app, client, world):
    dsl = world["dsl"]
    response = password_step(client, dsl, "%2Freview")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login/two-factor?next=/review"
    # Between the password and the code, nothing else opens.
    for path in ("/", "/review", "/log", "/account/password"):
        assert client.get(path).headers["Location"].startswith("/login/two-factor"), path
    wrong = client.post("/login/two-factor?next=/review", data={"code": "123456"})
    assert wrong.status_code == 422
    assert CODE_FAILED in unescape(wrong.get_data(as_text=True))
    right = client.post("/login/two-factor?next=/review", data={"code": totp_code(app, dsl)})
    assert right.status_code == 303 and right.headers["Location"] == "/review"
    assert client.get("/review").status_code == 200


def test_a_code_works_once(app, client, world):
    dsl = world["dsl"]
    code = totp_code(app, dsl)
    password_step(client, dsl)
    assert client.post("/login/two-factor", data={"code": code}).status_code == 303
    client.post("/logout")
    password_step(client, dsl)
    failures = fresh(app, dsl).failed_sign_ins
    replay = client.post("/login/two-factor", data={"code": code})
    assert replay.status_code == 422
    assert client.get("/review").headers["Location"].startswith("/login/two-factor")
    # Said as it is: the code was right but used; the next one will do.
    said = unescape(replay.get_data(as_text=True))
    assert CODE_USED in said and CODE_FAILED not in said
    assert "already been used" in CODE_USED and "Wait for your app to show the next code" in CODE_USED
    # Counted as a failed attempt, as before: the lock works the same.
    assert fresh(app, dsl).failed_sign_ins == failures + 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "two_factor_failed")
            )
            == 1
        )


def test_a_code_used_a_moment_ago_on_the_account_page_says_so(app, client, auth, world):
    teacher = world["teacher1"]
    auth.login(teacher)
    enrol(app, client, teacher)
    code = totp_code(app, teacher)
    assert client.post("/account/two-factor/recovery-codes", data={"codes-code": code}).status_code == 200
    again = client.post("/account/two-factor/recovery-codes", data={"codes-code": code})
    assert again.status_code == 422 and CODE_USED in unescape(again.get_data(as_text=True))
    wrong = client.post("/account/two-factor/recovery-codes", data={"codes-code": "000000"})
    assert CODE_USED not in unescape(wrong.get_data(as_text=True))


def test_an_older_code_is_refused_after_a_newer_one(app, client, world):
    dsl = world["dsl"]
    totp = pyotp.TOTP(fresh(app, dsl).totp_secret)
    now = now_utc().timestamp()
    password_step(client, dsl)
    assert client.post("/login/two-factor", data={"code": totp.at(now)}).status_code == 303
    client.post("/logout")
    password_step(client, dsl)
    older = client.post("/login/two-factor", data={"code": totp.at(now - 30)})
    assert older.status_code == 422 and CODE_USED in unescape(older.get_data(as_text=True))


# --- recovery codes -------------------------------------------------------------------------


def test_each_recovery_code_works_once(app, client, auth, world):
    teacher = world["teacher1"]
    auth.login(teacher)
    codes = enrol(app, client, teacher)
    client.post("/logout")

    assert password_step(client, teacher).headers["Location"] == "/login/two-factor"
    used = client.post("/login/two-factor", data={"code": codes[0]})
    assert used.status_code == 303
    client.post("/logout")

    password_step(client, teacher)
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 422
    typed_loosely = f"  {codes[1].upper().replace('-', ' ')} "
    assert client.post("/login/two-factor", data={"code": typed_loosely}).status_code == 303
    with app.app_context():
        used_count = db.session.scalar(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
        )
    assert used_count == 2


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(app, client, auth, world):
    teacher = world["teacher1"]
    auth.login(teacher)
    old = enrol(app, client, teacher)
    refused = client.post("/account/two-factor/recovery-codes", data={"codes-code": "000000"})
    assert refused.status_code == 422
    response = client.post("/account/two-factor/recovery-codes", data={"codes-code": totp_code(app, teacher)})
    new = RECOVERY.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    password_step(client, teacher)
    assert client.post("/login/two-factor", data={"code": old[2]}).status_code == 422
    assert client.post("/login/two-factor", data={"code": new[2]}).status_code == 303


# --- who must enrol, who may turn it off -------------------------------------------------------


def test_a_privileged_user_without_two_factor_must_enrol_before_anything_else(app, client, world):
    with app.app_context():
        school = db.session.merge(world.school)
        slt = make_user("New Head", "head@ashgrove.example.org", roles=[(Role.SLT, school, None)], two_factor=False)
        db.session.commit()
        db.session.refresh(slt)
        db.session.expunge(slt)
    response = password_step(client, slt)
    assert response.headers["Location"] == "/account/two-factor"
    for path in ("/", "/review", "/log", "/login/two-factor", "/account/password"):
        assert client.get(path).headers["Location"] == "/account/two-factor", path
    assert client.post("/log", data={"narrative": "x"}).headers["Location"] == "/account/two-factor"
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert "Your role needs two-factor sign-in" in html
    assert 'href="/review"' not in html  # no navigation while enrolment is due
    enrol(app, client, slt)
    assert client.get("/review").status_code == 200
    client.post("/logout")
    assert password_step(client, slt).headers["Location"] == "/login/two-factor"


def test_sign_out_works_before_enrolling(app, client, world):
    with app.app_context():
        school = db.session.merge(world.school)
        user = make_user(
            "New Gov", "gov2@ashgrove.example.org", roles=[(Role.GOVERNOR, school, None)], two_factor=False
        )
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    password_step(client, user)
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/").headers["Location"].startswith("/login")


def test_staff_may_turn_two_factor_off_but_the_safeguarding_team_may_not(app, client, auth, world, make_entry):
    entry_id = make_entry(recorder="teacher1")
    teacher = world["teacher1"]
    auth.login(teacher)
    enrol(app, client, teacher)
    assert client.get(f"/entries/{entry_id}").status_code == 200
    assert client.post("/account/two-factor/off", data={"off-code": "000000"}).status_code == 422
    response = client.post("/account/two-factor/off", data={"off-code": totp_code(app, teacher)})
    assert response.status_code == 303
    assert fresh(app, teacher).totp_enrolled_at is None
    assert client.get(f"/entries/{entry_id}").status_code == 404  # back to logging only

    client.post("/logout")
    dsl = world["dsl"]
    auth.login(dsl)
    assert "Turn off two-factor" not in client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor/off", data={"off-code": totp_code(app, dsl)})
    assert fresh(app, dsl).totp_enrolled_at is not None


# --- staff without two-factor sign-in: log, but read nothing ----------------------------------------


def test_unenrolled_staff_can_log_but_not_read(app, client, auth, world, make_entry):
    earlier = make_entry(recorder="teacher1")
    auth.login(world["teacher1"])
    home = client.get("/").get_data(as_text=True)
    assert f'href="/entries/{earlier}"' not in home
    assert "turn on two-factor sign-in" in home

    form = client.get("/log")
    assert form.status_code == 200
    response = client.post(
        "/log",
        data={
            "pupil_ids": str(world.pupils[1].id),
            "category": str(world.categories["Safeguarding"].id),
            "source": "staff_observation",
            "occurred_at": uk_local_input(now_utc() - timedelta(minutes=5)),
            "narrative": "Bruise on the arm at PE.",
            "checked": "1",  # past the gentle check on a short narrative
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"  # not the entry page they cannot read
    with app.app_context():
        new_id = db.session.scalar(select(func.max(Entry.id)))
    confirmation = client.get("/").get_data(as_text=True)
    assert f"Your entry has been saved (reference: entry {new_id})" in confirmation
    assert "safeguarding team (2 people) will be alerted: the emails are queued" in confirmation
    for path in (f"/entries/{new_id}", f"/entries/{earlier}", f"/pupils/{world.pupils[0].id}/chronology"):
        assert client.get(path).status_code == 404, path
    assert client.get("/review").status_code == 403
