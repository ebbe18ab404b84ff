"""The admin users page: 2FA and lock status, and forcing a password reset,
resetting two-factor sign-in and unlocking, for the admin's own school only."""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from sqlalchemy import select, update

from cpoms.audit import AuditEvent
from cpoms.auth.models import RecoveryCode
from cpoms.extensions import db
from cpoms.models import Role, User
from cpoms.timefmt import now_utc

from conftest import PASSWORD, Auth, make_user


def account(app, user) -> User:
    with app.app_context():
        row = db.session.get(User, user.id)
        db.session.expunge(row)
        return row


def audited(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def lock(app, user) -> None:
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_sign_ins=7, locked_until=now_utc().replace(year=now_utc().year + 1))
        )
        db.session.commit()


@pytest.fixture
def other_admin(app, world) -> User:
    with app.app_context():
        school = db.session.merge(world.other_school)
        user = make_user("Other Admin", "admin@brookfield.example.org", roles=[(Role.ADMIN, school, None)])
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def test_users_page_lists_the_school_with_two_factor_and_lock_status(app, client, auth, world):
    lock(app, world["teacher2"])
    auth.as_(world["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    for key in ("teacher1", "teacher2", "dsl", "deputy", "slt", "governor", "admin"):
        assert world[key].email in html, key
    for key in ("other_dsl", "other_teacher", "trust_rep"):
        assert world[key].email not in html, key
    row = re.search(r"teacher2@ashgrove.*?</tr>", html, re.S).group(0)
    assert "Locked until" in row and "Unlock" in row and ">Off<" in row
    assert ">On<" in re.search(r"dsl@ashgrove.*?</tr>", html, re.S).group(0)
    assert "Never" in row  # last signed in


def test_force_reset_ends_sessions_kills_the_password_and_emails_a_link(mail_app, client, auth, world, smtp):
    app = mail_app
    teacher = world["teacher1"]
    tablet = Auth(app, app.test_client())
    tablet.as_(teacher)
    auth.as_(world["admin"])
    response = confirm_on_its_page(client, f"/admin/users/{teacher.id}/force-reset")
    assert response.status_code == 303
    assert tablet.client.get("/").status_code == 302
    assert Auth(app, app.test_client()).login(teacher).status_code == 422  # old password no longer works
    [envelope] = smtp.inbox.messages
    assert envelope.rcpt_tos == [teacher.email]
    mail = message_from_bytes(envelope.original_content)
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    assert "administrator has asked you" in body
    path = re.search(r"http://localhost(/login/reset/\S+)", body).group(1)  # the address the admin used
    fresh_client = app.test_client()
    assert (
        fresh_client.post(
            path, data={"password": "pebble lantern orchard", "confirm": "pebble lantern orchard"}
        ).status_code
        == 303
    )
    assert Auth(app, fresh_client).login(teacher, "pebble lantern orchard").status_code == 303
    [event] = audited(app, "admin_forced_password_reset")
    assert event.user_id == world["admin"].id and f'"target_user_id": {teacher.id}' in event.detail


def test_reset_two_factor_makes_them_enrol_again(app, client, auth, world):
    dsl = world["dsl"]
    tablet = Auth(app, app.test_client())
    tablet.as_(dsl)
    auth.as_(world["admin"])
    assert confirm_on_its_page(client, f"/admin/users/{dsl.id}/reset-two-factor").status_code == 303
    fresh = account(app, dsl)
    assert fresh.totp_secret is None and fresh.totp_enrolled_at is None
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == dsl.id)).all() == []
    assert tablet.client.get("/review").status_code == 302
    again = app.test_client()
    response = again.post("/login", data={"email": dsl.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account/two-factor"
    assert len(audited(app, "admin_reset_two_factor")) == 1


def confirm_on_its_page(client, path: str):
    """What an admin does: open the confirm page and press its button (the form as the page has it)."""
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{path}">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)))
    return client.post(path, data=fields)


@pytest.mark.parametrize(
    "action, consequence",
    [
        ("force-reset", "their password no longer works"),
        ("reset-two-factor", "set up two-factor sign-in again"),
    ],
)
def test_one_tap_does_not_sign_anyone_out(app, client, auth, world, action, consequence):
    dsl = world["dsl"]
    tablet = Auth(app, app.test_client())
    tablet.as_(dsl)
    before = account(app, dsl)
    auth.as_(world["admin"])
    users = client.get("/admin/users").get_data(as_text=True)
    row = re.search(r"dsl@ashgrove.*?</tr>", users, re.S).group(0)
    # The list offers a link to the confirm page, not a button that acts.
    assert f'href="/admin/users/{dsl.id}/{action}"' in row and f'action="/admin/users/{dsl.id}/{action}"' not in row
    page = client.get(f"/admin/users/{dsl.id}/{action}").get_data(as_text=True)
    assert consequence in page and "signed out at once on every device" in page and "cannot be undone" in page
    # A post without the confirmation (what the old one-tap button sent) changes nothing.
    tapped = client.post(f"/admin/users/{dsl.id}/{action}", data={})
    assert tapped.status_code == 422 and "Nothing has changed yet" in tapped.get_data(as_text=True)
    after = account(app, dsl)
    assert (after.password_hash, after.totp_secret, after.totp_enrolled_at) == (
        before.password_hash,
        before.totp_secret,
        before.totp_enrolled_at,
    )
    assert tablet.client.get("/review").status_code == 200  # still signed in
    assert audited(app, "admin_forced_password_reset") == audited(app, "admin_reset_two_factor") == []
    # Confirmed on its page, it acts.
    assert confirm_on_its_page(client, f"/admin/users/{dsl.id}/{action}").status_code == 303
    assert tablet.client.get("/review").status_code == 302


def test_unlock(app, client, auth, world):
    teacher = world["teacher1"]
    lock(app, teacher)
    assert Auth(app, app.test_client()).login(teacher).status_code == 422
    auth.as_(world["admin"])
    assert client.post(f"/admin/users/{teacher.id}/unlock").status_code == 303
    assert account(app, teacher).locked_until is None and account(app, teacher).failed_sign_ins == 0
    assert Auth(app, app.test_client()).login(teacher).status_code == 303
    assert len(audited(app, "admin_unlocked_account")) == 1


@pytest.mark.parametrize("action", ["force-reset", "reset-two-factor", "unlock"])
def test_an_admin_of_another_school_cannot(app, client, auth, world, other_admin, action):
    teacher = world["teacher1"]
    lock(app, teacher)
    before = account(app, teacher)
    auth.as_(other_admin)
    assert teacher.email not in client.get("/admin/users").get_data(as_text=True)
    assert client.post(f"/admin/users/{teacher.id}/{action}").status_code == 404
    after = account(app, teacher)
    assert (after.password_hash, after.locked_until, after.totp_secret) == (
        before.password_hash,
        before.locked_until,
        before.totp_secret,
    )
    [denied] = audited(app, "denied")
    assert denied.user_id == other_admin.id
    # ... and on their own school, they can.
    assert client.post(f"/admin/users/{world['other_teacher'].id}/unlock").status_code == 303


def test_an_admin_does_not_act_on_their_own_account_here(app, client, auth, world):
    auth.as_(world["admin"])
    assert client.post(f"/admin/users/{world['admin'].id}/reset-two-factor").status_code == 404
    assert account(app, world["admin"]).totp_enrolled_at is not None


def test_a_trust_admin_administers_every_school_of_the_trust(app, client, auth, world):
    with app.app_context():
        trust_admin = make_user(
            "Trust Admin", "admin@trust.example.org", roles=[(Role.ADMIN, None, db.session.merge(world.trust))]
        )
        db.session.commit()
        db.session.refresh(trust_admin)
        db.session.expunge(trust_admin)
    auth.as_(trust_admin)
    html = client.get("/admin/users").get_data(as_text=True)
    for key in ("teacher1", "other_teacher", "trust_rep"):
        assert world[key].email in html
    assert client.post(f"/admin/users/{world['other_dsl'].id}/unlock").status_code == 303


def test_admin_pages_need_a_verified_session(app, client, auth, world):
    auth.as_(world["admin"], verified=False)
    assert client.get("/admin/users").headers["Location"].startswith("/login/two-factor")


def test_an_admins_home_leads_to_their_pages(client, auth, world):
    auth.as_(world["admin"])
    html = client.get("/").get_data(as_text=True)
    assert "no pages to show" not in html
    for path in ("/admin/users", "/admin/pupils", "/admin/pupils/retention"):
        assert f'href="{path}' in html, path
