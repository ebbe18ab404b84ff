"""The same upload, preview and confirmation serve staff files as pupil files; two
confirmations of one upload at the same moment apply it once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.mis import imports, pupils
from cpoms.mis.models import PupilImport
from cpoms.models import UNUSABLE_PASSWORD, Pupil, Role, RoleAssignment, User

from conftest import Auth
from helpers import post_file

STAFF = (
    b"Name,Email,Role\r\nPriya Shah,priya@ashgrove.example.org,Teacher\r\n"
    b"Teacher1,teacher1@ashgrove.example.org,SLT\r\nNo Email,,staff\r\n"
)


def test_staff_upload_preview_and_confirm(app, client, auth, world):
    auth.as_(world["admin"])
    page = client.get("/admin/staff/import").get_data(as_text=True)
    assert "Import staff" in page and 'name="full"' not in page
    response = post_file(client, "/admin/staff/import", STAFF)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "New accounts (1)" in preview and "priya@ashgrove.example.org" in preview
    assert "adds the role Senior leadership" in preview
    assert "Errors: not imported (1)" in preview and "is not an email address" in preview
    assert '<th scope="col">Email</th>' in preview
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "priya@ashgrove.example.org")) is None
    assert client.post(response.headers["Location"]).status_code == 303
    with app.app_context():
        priya = db.session.scalar(select(User).where(User.email == "priya@ashgrove.example.org"))
        assert priya.password_hash == UNUSABLE_PASSWORD
        assert [(a.role, a.school_id) for a in priya.roles] == [(Role.STAFF, world.school.id)]
        assert (
            db.session.scalar(
                select(func.count()).select_from(RoleAssignment).where(RoleAssignment.user_id == world["teacher1"].id)
            )
            == 2
        )
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff_imported"))
        assert '"new": 1' in event.detail and '"updated": 1' in event.detail
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Staff imported" in result


def test_a_staff_file_with_no_rows_or_wrong_columns(app, client, auth, world):
    auth.as_(world["admin"])
    response = post_file(client, "/admin/staff/import", b"Name,Email\r\n")
    assert response.status_code == 422 and "no staff" in response.get_data(as_text=True)
    response = post_file(client, "/admin/staff/import", b"Forename,Colour\r\nA,b\r\n")
    assert response.status_code == 422 and "no column for Name" in response.get_data(as_text=True)


def test_a_pupil_moving_between_the_trusts_schools_is_an_error_naming_the_other(app, client, auth, world):
    noah = world.other_pupils[0]
    auth.as_(world["admin"])
    data = (
        f"UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\n{noah.upn},Baker,Noah,01/01/2019,3,3Ash\r\n"
    )
    response = post_file(client, "/admin/pupils/import", data.encode())
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is on roll at Brookfield Primary School, another school of the trust" in preview


# --- two confirmations at once ---------------------------------------------------------

CSV = b"UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\nC000000000001,Quinn,Ava,01/09/2019,3,3Ash\r\n"


@pytest.fixture
def stored(app, world) -> str:
    with app.app_context():
        upload = imports.store(
            db.session.get(User, world["admin"].id),
            db.session.get(type(world.school), world.school.id),
            "pupils.csv",
            pupils.parse(CSV),
            full=False,
        )
        db.session.commit()
        return upload.id


def test_two_confirmations_at_once_apply_the_upload_once(app, world, stored, monkeypatch):
    """The first confirmation holds the upload's row while it applies (made slow here);
    the second waits for it, then finds the upload applied and says so."""
    arrived = threading.Barrier(2)
    applying = pupils.apply

    def slow_apply(plan, by):
        counts = applying(plan, by)
        threading.Event().wait(0.5)
        return counts

    monkeypatch.setitem(
        imports.KINDS,
        "pupils",
        imports.KINDS["pupils"].__class__(**{**imports.KINDS["pupils"].__dict__, "apply": slow_apply}),
    )
    responses = {}

    def confirm(name):
        client = app.test_client()
        Auth(app, client).as_(world["admin"])
        arrived.wait()
        response = client.post(f"/admin/pupils/import/{stored}", follow_redirects=True)
        responses[name] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=confirm, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(code for code, _ in responses.values()) == [200, 200], responses
    pages = [html for _, html in responses.values()]
    assert sum("Import done" in p for p in pages) == 1
    assert sum("has not been applied twice" in p for p in pages) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.upn == "C000000000001")) == 1
        assert db.session.get(PupilImport, stored).applied_at is not None
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pupils_imported")
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import_already_applied")
            )
            == 1
        )
