"""The flask commands: the demo trust and creating users.

The demo tests use the bare `app` fixture: the `world` fixture creates schools
called ashgrove and brookfield itself, which would meet the demo's own."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from cpoms import demo
from cpoms.alerts import safeguarding_team
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Alert, Entry, Pupil, Role, RoleAssignment, School, Trust, User
from cpoms.policy import SAFEGUARDING_TEAM

DEMO_PASSWORD = "demo-password-for-tests"
SLUGS = ["ashgrove", "brookfield", "cedar-park"]


def run(app, *args):
    """As `flask --app app ...` runs a command (each pushes its own app context)."""
    return app.test_cli_runner().invoke(args=list(args))


def demo_emails() -> list[str]:
    staff = [f"{local}@{slug}.example.org" for slug, _ in demo.SCHOOLS for local, _, _ in demo.STAFF]
    return staff + ["trust@westlondon.example.org", demo.TRUST_ADMIN[0]]


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: conn.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
            }


def printed_secret(output: str, email: str) -> str:
    match = re.search(rf"{re.escape(email)}[^\n]*\n\s+TOTP secret ([A-Z2-7]+)", output)
    assert match, f"no TOTP secret printed for {email}"
    return match.group(1)


# --- demo ---------------------------------------------------------------------


def test_demo_creates_the_trust_and_is_idempotent(app, client, auth):
    # --if-empty on an empty database loads (as `make run` does on first start).
    result = run(app, "demo", "--password", DEMO_PASSWORD, "--if-empty")
    assert result.exit_code == 0, result.output

    # It prints every account, and the password to use.
    assert DEMO_PASSWORD in result.output
    for email in demo_emails():
        assert email in result.output
    assert "trust@westlondon.example.org" in result.output

    with app.app_context():
        schools = {s.slug: s for s in db.session.scalars(select(School))}
        assert sorted(schools) == SLUGS
        trust = db.session.scalar(select(Trust))
        assert {s.trust_id for s in schools.values()} == {trust.id}
        for slug, school in schools.items():
            pupils = db.session.scalar(select(func.count(Pupil.id)).where(Pupil.school_id == school.id))
            assert 50 <= pupils <= 70, (slug, pupils)
            assert db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == school.id)) > 0
        emails = set(db.session.scalars(select(User.email)))
        assert emails == set(demo_emails())

        # The safeguarding team is the DSL and the deputy, and nobody else.
        for slug, school in schools.items():
            team = [u.email for u in safeguarding_team(school.id)]
            assert sorted(team) == [f"deputy@{slug}.example.org", f"dsl@{slug}.example.org"]
        team_roles = db.session.execute(
            select(User.email, RoleAssignment.role)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role.in_(SAFEGUARDING_TEAM))
        ).all()
        assert sorted(team_roles) == sorted(
            [(f"dsl@{slug}.example.org", Role.DSL) for slug in SLUGS]
            + [(f"deputy@{slug}.example.org", Role.DEPUTY_DSL) for slug in SLUGS]
        )
        rep = db.session.scalar(select(User).where(User.email == "trust@westlondon.example.org"))
        assert [(a.role, a.school_id, a.trust_id) for a in rep.roles] == [(Role.TRUST_REP, None, trust.id)]

    # Running it again changes nothing; nor does --if-empty now that it is loaded.
    before = table_counts(app)
    again = run(app, "demo", "--password", DEMO_PASSWORD)
    assert again.exit_code == 0, again.output
    assert table_counts(app) == before
    skipped = run(app, "demo", "--password", DEMO_PASSWORD, "--if-empty")
    assert skipped.exit_code == 0, skipped.output
    assert "not loaded" in skipped.output
    assert table_counts(app) == before

    # The printed password and TOTP secret sign in, through the real forms; staff have no secret.
    assert not re.search(r"teacher1@ashgrove\.example\.org.*\n\s+TOTP secret", result.output)
    response = auth.login("dsl@cedar-park.example.org", DEMO_PASSWORD, code=False)
    assert response.status_code == 303, response.data[:2000]
    assert response.headers["Location"] == "/login/two-factor"
    code = pyotp.TOTP(printed_secret(result.output, "dsl@cedar-park.example.org")).now()
    response = client.post("/login/two-factor", data={"code": code})
    assert response.status_code == 303, response.data[:2000]
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Fiona Campbell" in home.get_data(as_text=True)

    client.post("/logout")
    response = auth.login("trust@westlondon.example.org", DEMO_PASSWORD, code=False)
    assert response.headers["Location"] == "/login/two-factor"
    code = pyotp.TOTP(printed_secret(result.output, "trust@westlondon.example.org")).now()
    assert client.post("/login/two-factor", data={"code": code}).headers["Location"] == "/"
    client.post("/logout")
    assert auth.login("teacher1@ashgrove.example.org", DEMO_PASSWORD, code=False).headers["Location"] == "/"
    client.post("/logout")
    assert auth.login("teacher1@ashgrove.example.org", "not the password", code=False).status_code == 422


def test_the_demo_records_its_entries_and_accounts_through_the_apps_operations(app):
    """As the log form and the operator's create-user do: each entry and each account has
    its audit row, while the demo's history (a month back) alerts nobody."""
    assert run(app, "demo", "--password", DEMO_PASSWORD).exit_code == 0
    with app.app_context():
        entries = db.session.execute(select(Entry.id, Entry.recorded_by_id)).all()
        logged = db.session.execute(
            select(AuditEvent.entry_id, AuditEvent.user_id).where(AuditEvent.action == "create_entry")
        ).all()
        assert entries and sorted(logged) == sorted(entries)
        users = set(db.session.scalars(select(User.id)))
        created = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "user_created")).all()
        assert len(created) == len(users) and all("command line" in detail for detail in created)
        roles = db.session.scalar(select(func.count(RoleAssignment.id)))
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "role_added")) == roles
        assert db.session.scalar(select(func.count(Alert.id))) == 0


def test_demo_if_empty_leaves_a_database_with_schools_alone(app, world):
    before = table_counts(app)
    result = run(app, "demo", "--password", DEMO_PASSWORD, "--if-empty")
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert table_counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(School).where(School.slug == "cedar-park")) is None


def test_demo_refuses_a_short_password(app):
    result = run(app, "demo", "--password", "short")
    assert result.exit_code != 0
    assert "8 characters" in result.output
    assert table_counts(app)["schools"] == 0


def test_demo_rerun_does_not_claim_a_password_that_does_not_work(app, client, auth):
    assert run(app, "demo", "--password", DEMO_PASSWORD).exit_code == 0
    result = run(app, "demo", "--password", "a-different-password")
    assert result.exit_code == 0, result.output
    # The accounts still have the first password (a re-run changes nothing) ...
    assert auth.login("dsl@ashgrove.example.org", DEMO_PASSWORD, code=False).status_code == 303
    client.post("/logout")
    # ... so the output must not say every account now has the new one.
    new_one_works = auth.login("dsl@ashgrove.example.org", "a-different-password", code=False).status_code == 303
    assert new_one_works or "Every account's password: a-different-password" not in result.output


# --- create-user -------------------------------------------------------------


def test_create_user_can_sign_in(app, client, auth, world):
    result = run(
        app,
        "create-user",
        "New.Teacher@Ashgrove.example.org",
        "--name",
        "Nia Teacher",
        "--role",
        "staff",
        "--school",
        "ashgrove",
        "--password",
        "a-good-long-password",
    )
    assert result.exit_code == 0, result.output
    assert "new.teacher@ashgrove.example.org" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.teacher@ashgrove.example.org"))
        assert user is not None and user.name == "Nia Teacher" and user.active
        assert [(a.role, a.school_id) for a in user.roles] == [(Role.STAFF, world.school.id)]

    response = auth.login("new.teacher@ashgrove.example.org", "a-good-long-password", code=False)
    assert response.status_code == 303, response.data[:2000]
    assert client.get("/log").status_code == 200  # staff may log


def test_create_user_trust_rep_needs_no_school(app, client, auth, world):
    result = run(
        app,
        "create-user",
        "rep@trust.example.org",
        "--name",
        "Rhys Rep",
        "--role",
        "trust_rep",
        "--password",
        "a-good-long-password",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rep@trust.example.org"))
        assert [(a.role, a.school_id, a.trust_id) for a in user.roles] == [(Role.TRUST_REP, None, world.trust.id)]
    assert auth.login("rep@trust.example.org", "a-good-long-password", code=False).status_code == 303


def test_create_user_adds_a_role_to_an_existing_user(app, world):
    result = run(
        app,
        "create-user",
        "teacher1@ashgrove.example.org",
        "--name",
        "Teacher1",
        "--role",
        "governor",
        "--school",
        "brookfield",
        "--password",
        "a-good-long-password",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.get(User, world["teacher1"].id)
        assert sorted((a.role, a.school_id) for a in user.roles) == sorted(
            [(Role.STAFF, world.school.id), (Role.GOVERNOR, world.other_school.id)]
        )
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "teacher1@ashgrove.example.org")) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "staff", "--school", "nowhere"], "no school with slug 'nowhere'"),
        (["--role", "staff"], "this role needs a school"),
        (["--role", "dsl"], "this role needs a school"),
        (["--role", "admin"], "this role needs a school"),
        (["--role", "wizard", "--school", "ashgrove"], "'wizard' is not one of"),
    ],
)
def test_create_user_refuses_bad_input(app, world, args, message):
    before = table_counts(app)
    result = run(
        app,
        "create-user",
        "someone@ashgrove.example.org",
        "--name",
        "Some One",
        "--password",
        "a-good-long-password",
        *args,
    )
    assert result.exit_code != 0
    assert message in result.output
    assert table_counts(app) == before


def test_create_user_trust_rep_without_a_trust_is_refused(app):
    result = run(
        app,
        "create-user",
        "rep@trust.example.org",
        "--name",
        "Rhys Rep",
        "--role",
        "trust_rep",
        "--password",
        "a-good-long-password",
    )
    assert result.exit_code != 0
    assert "no trust yet" in result.output
    assert table_counts(app)["users"] == 0


# --- how the commands are run -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["send-alerts"],
        ["demo", "--password", DEMO_PASSWORD, "--if-empty"],
        [
            "create-user",
            "x@ashgrove.example.org",
            "--name",
            "X",
            "--role",
            "trust_rep",
            "--password",
            "a-good-long-password",
        ],
    ],
    ids=["send-alerts", "demo", "create-user"],
)
def test_commands_push_their_own_app_context(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert not isinstance(result.exception, RuntimeError), repr(result.exception)
