"""Every way a role changes hands (the users page, the staff import on the web and the
command line, create-user) goes through one rule (policy.grant_refusal) and one operation
(admin/operations.add_role): nobody gives themselves a role, nobody gives one they could
not give on the users page, and each grant is an audit event of its own."""

from __future__ import annotations

import io
import json

from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Role, RoleAssignment, User


def post_staff(client, data: bytes, school: str = "ashgrove"):
    form = {"school": school, "file": FileStorage(io.BytesIO(data), "staff.csv", content_type="text/csv")}
    boundary, body = encode_multipart(form)
    return client.post("/admin/staff/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def roles_of(app, email: str) -> set[tuple]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return {(a.role, a.school_id, a.trust_id) for a in user.roles} if user else set()


def role_events(app, action: str = "role_added") -> list[dict]:
    with app.app_context():
        return [
            json.loads(e.detail) | {"_by": e.user_id, "_school": e.school_id}
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_a_school_admin_cannot_make_themselves_a_dsl_through_the_staff_import(app, client, auth, world, make_entry):
    """The attack: an admin imports a file making themselves a DSL, then reads an entry."""
    entry = make_entry(narrative="Amelia said something at home frightened her.")
    admin = world["admin"]
    auth.as_(admin)
    response = post_staff(client, b"Name,Email,Role\r\nAdmin,admin@ashgrove.example.org,DSL\r\n")
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post(response.headers["Location"]).status_code == 303

    assert client.get(f"/entries/{entry}").status_code == 404
    assert roles_of(app, admin.email) == {(Role.ADMIN, world.school.id, None)}
    assert role_events(app) == []
    assert "Errors: not imported (1)" in preview
    assert "nobody gives themselves a role" in preview


def test_each_role_the_staff_import_gives_is_audited_as_given_by_the_importer(app, client, auth, world):
    auth.as_(world["admin"])
    response = post_staff(
        client,
        b"Name,Email,Role\r\nPriya Shah,priya@ashgrove.example.org,Teacher\r\n"
        b"Teacher2,teacher2@ashgrove.example.org,Deputy DSL\r\n",
    )
    assert client.post(response.headers["Location"]).status_code == 303
    with app.app_context():
        priya = db.session.scalar(select(User).where(User.email == "priya@ashgrove.example.org"))
        given = {
            a.role: a
            for a in db.session.scalars(select(RoleAssignment).where(RoleAssignment.granted_by_id == world["admin"].id))
        }
        assert set(given) == {Role.STAFF, Role.DEPUTY_DSL}
        assert given[Role.STAFF].user_id == priya.id and given[Role.STAFF].granted_at is not None
    events = role_events(app)
    assert [(e["target_user_id"], e["role"], e["_school"], e["_by"], e["via"]) for e in events] == [
        (priya.id, Role.STAFF, world.school.id, world["admin"].id, "staff import"),
        (world["teacher2"].id, Role.DEPUTY_DSL, world.school.id, world["admin"].id, "staff import"),
    ]


def test_the_users_page_refuses_a_grant_to_oneself_and_audits_a_new_accounts_role(app, client, auth, world):
    auth.as_(world["admin"])
    me = world["admin"].id
    role = f"dsl@school:{world.school.id}"
    assert client.post(f"/admin/users/{me}/roles", data={"grant": role}).status_code == 404
    response = client.post(
        "/admin/users/new", data={"name": "Sam Jones", "email": "sam@ashgrove.example.org", "grant": role}
    )
    assert response.status_code == 303
    [event] = role_events(app)
    assert (event["role"], event["_school"], event["_by"], event["via"]) == (
        Role.DSL,
        world.school.id,
        me,
        "users page",
    )


def test_the_import_staff_command_acts_as_a_named_admin_under_the_same_rule(app, world, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        "Name,Email,Role\r\nAdmin,admin@ashgrove.example.org,DSL\r\nPriya Shah,priya@ashgrove.example.org,Teacher\r\n"
    )
    nobody = run(app, "import-staff", str(path), "--school", "ashgrove")
    assert nobody.exit_code == 2 and "--as" in nobody.output
    not_admin = run(app, "import-staff", str(path), "--school", "ashgrove", "--as", "dsl@ashgrove.example.org")
    assert not_admin.exit_code == 2 and "is not an administrator of Ashgrove" in not_admin.output
    elsewhere = run(app, "import-staff", str(path), "--school", "brookfield", "--as", "admin@ashgrove.example.org")
    assert elsewhere.exit_code == 2

    done = run(app, "import-staff", str(path), "--school", "ashgrove", "--as", "admin@ashgrove.example.org")
    assert done.exit_code == 0, done.output
    assert "line 2: Designated safeguarding lead: nobody gives themselves a role" in done.output
    assert roles_of(app, "admin@ashgrove.example.org") == {(Role.ADMIN, world.school.id, None)}
    [event] = role_events(app)
    assert (event["role"], event["_by"], event["via"]) == (Role.STAFF, world["admin"].id, "staff import")
    assert "--as EMAIL" in run(app, "import-staff", "--help").output


def test_create_user_is_the_operators_path_and_audited_as_such(app, world):
    result = run(
        app,
        "create-user",
        "ops@trust.example.org",
        "--name",
        "Trust Admin",
        "--role",
        Role.ADMIN,
        "--school",
        "ashgrove",
        "--password",
        "a long passphrase for ops",
    )
    assert result.exit_code == 0, result.output
    [event] = role_events(app)
    assert (event["role"], event["_by"], event["operator"], event["via"]) == (Role.ADMIN, None, True, "command line")
    with app.app_context():
        [held] = db.session.scalar(select(User).where(User.email == "ops@trust.example.org")).roles
        assert held.granted_by_id is None
    assert "operator" in run(app, "create-user", "--help").output
