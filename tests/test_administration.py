"""The admin pages: making accounts, giving and taking roles, deactivating; the
categories (add, rename, reorder, retire); the schools of the trust. Every write is
audited with the old and new values. The users page: two-factor and lock status, and
forcing a password reset, resetting two-factor sign-in and unlocking, for the admin's
own school only (or every school of the trust, for a trust admin)."""

from __future__ import annotations

import io
import json
import re
from csv import reader
from email import message_from_bytes

import pytest
from sqlalchemy import select, update

from cpoms.admin import operations
from cpoms.audit import AuditEvent
from cpoms.auth.models import RecoveryCode, UserSession
from cpoms.extensions import db
from cpoms.models import Category, Role, RoleAssignment, School, User
from cpoms.timefmt import now_utc

from conftest import PASSWORD, Auth, make_user


def audited(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            json.loads(e.detail or "{}") | {"_user": e.user_id, "_school": e.school_id}
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def get(app, model, **where):
    with app.app_context():
        row = db.session.scalar(select(model).filter_by(**where))
        if row is not None:
            db.session.expunge(row)
        return row


def roles_of(app, user_id: int) -> set[tuple]:
    with app.app_context():
        return {
            (a.role, a.school_id, a.trust_id)
            for a in db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id))
        }


# --- accounts -------------------------------------------------------------------------


def test_admin_creates_an_account_that_gets_the_set_password_email(mail_app, client, auth, world, smtp):
    app = mail_app
    auth.as_(world["admin"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    grant = f"staff@school:{world.school.id}"
    assert f'value="{grant}"' in page
    # Only roles at the admin's own school: nothing at Brookfield, nothing trust-wide.
    assert f"school:{world.other_school.id}" not in page and "@trust:" not in page
    response = client.post(
        "/admin/users/new", data={"name": "Priya Shah", "email": " Priya.Shah@Ashgrove.example.org ", "grant": grant}
    )
    assert response.status_code == 303
    new = get(app, User, email="priya.shah@ashgrove.example.org")
    assert response.headers["Location"] == f"/admin/users/{new.id}"
    assert roles_of(app, new.id) == {(Role.STAFF, world.school.id, None)}
    assert not new.check_password("")  # no usable password until they choose one
    [envelope] = smtp.inbox.messages
    assert envelope.rcpt_tos == ["priya.shah@ashgrove.example.org"]
    mail = message_from_bytes(envelope.original_content)
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    assert "made you an account" in body and "old password" not in body
    path = re.search(r"http://localhost(/login/reset/\S+)", body).group(1)  # the address the admin used
    fresh = app.test_client()
    assert (
        fresh.post(path, data={"password": "pebble lantern orchard", "confirm": "pebble lantern orchard"}).status_code
        == 303
    )
    assert Auth(app, app.test_client()).login(new, "pebble lantern orchard").status_code == 303
    [event] = audited(app, "user_created")
    assert event["target_user_id"] == new.id and event["role"] == Role.STAFF
    assert event["_school"] == world.school.id and event["_user"] == world["admin"].id


@pytest.mark.parametrize(
    "grant",
    [
        "trust_rep@trust:{trust}",
        "admin@trust:{trust}",
        "admin@school:{other}",
        "staff@school:{other}",
        "owner@school:{home}",
        "staff@school:999",
    ],
)
def test_a_school_admin_cannot_give_roles_beyond_their_school(app, client, auth, world, grant):
    auth.as_(world["admin"])
    value = grant.format(trust=world.trust.id, other=world.other_school.id, home=world.school.id)
    response = client.post("/admin/users/new", data={"name": "Eve", "email": "eve@example.org", "grant": value})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert get(app, User, email="eve@example.org") is None
    response = client.post(f"/admin/users/{world['teacher1'].id}/roles", data={"grant": value})
    assert response.status_code == 422
    assert roles_of(app, world["teacher1"].id) == {(Role.STAFF, world.school.id, None)}


def test_a_trust_admin_gives_roles_across_the_trust(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    response = client.post(
        "/admin/users/new",
        data={"name": "Tom Reid", "email": "tom@trust.example.org", "grant": f"trust_rep@trust:{world.trust.id}"},
    )
    assert response.status_code == 303
    tom = get(app, User, email="tom@trust.example.org")
    assert (
        client.post(
            f"/admin/users/{tom.id}/roles", data={"grant": f"governor@school:{world.other_school.id}"}
        ).status_code
        == 303
    )
    assert roles_of(app, tom.id) == {
        (Role.TRUST_REP, None, world.trust.id),
        (Role.GOVERNOR, world.other_school.id, None),
    }


def test_an_email_already_used_is_refused_with_what_to_do(app, client, auth, world):
    auth.as_(world["admin"])
    response = client.post(
        "/admin/users/new",
        data={"name": "Again", "email": world["teacher1"].email.upper(), "grant": f"staff@school:{world.school.id}"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already an account with this email address" in html and 'value="Again"' in html  # nothing typed lost


def test_deactivating_ends_sessions_and_reactivating_lets_them_back(app, client, auth, world):
    teacher = world["teacher1"]
    tablet = Auth(app, app.test_client())
    tablet.as_(teacher)
    assert tablet.client.get("/").status_code == 200
    auth.as_(world["admin"])
    assert client.post(f"/admin/users/{teacher.id}/deactivate").status_code == 303
    assert tablet.client.get("/").status_code == 302  # signed out
    assert Auth(app, app.test_client()).login(teacher).status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(
                select(UserSession).where(UserSession.user_id == teacher.id, UserSession.ended_at.is_(None))
            )
            is None
        )
    assert "Deactivated" in client.get(f"/admin/users/{teacher.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{teacher.id}/reactivate").status_code == 303
    assert Auth(app, app.test_client()).login(teacher).status_code == 303
    [off] = audited(app, "user_deactivated")
    [on] = audited(app, "user_reactivated")
    assert off["old"] == {"active": True} and off["new"] == {"active": False}
    assert on["old"] == {"active": False} and on["new"] == {"active": True}


def test_someone_who_also_works_elsewhere_loses_the_role_here_not_their_account(app, client, auth, world):
    teacher = world["other_teacher"]
    with app.app_context():
        db.session.add(RoleAssignment(user_id=teacher.id, role=Role.STAFF, school_id=world.school.id))
        db.session.commit()
    auth.as_(world["admin"])
    page = client.get(f"/admin/users/{teacher.id}").get_data(as_text=True)
    assert "Deactivate" not in page and "remove their role here" in page
    assert client.post(f"/admin/users/{teacher.id}/deactivate").status_code == 403
    assert get(app, User, id=teacher.id).active
    with app.app_context():
        here = db.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == teacher.id, RoleAssignment.school_id == world.school.id
            )
        )
        there = db.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == teacher.id, RoleAssignment.school_id == world.other_school.id
            )
        )
    # Their role at Brookfield is not this admin's to take.
    assert client.post(f"/admin/users/{teacher.id}/roles/{there}/remove").status_code == 403
    assert client.post(f"/admin/users/{teacher.id}/roles/{here}/remove").status_code == 303
    assert roles_of(app, teacher.id) == {(Role.STAFF, world.other_school.id, None)}
    [event] = audited(app, "role_removed")
    assert event["role"] == Role.STAFF and event["_school"] == world.school.id
    assert event["target_user_id"] == teacher.id


def test_roles_are_added_once_and_the_last_one_is_not_removed(app, client, auth, world):
    teacher = world["teacher1"]
    auth.as_(world["admin"])
    grant = {"grant": f"slt@school:{world.school.id}"}
    assert client.post(f"/admin/users/{teacher.id}/roles", data=grant).status_code == 303
    assert client.post(f"/admin/users/{teacher.id}/roles", data=grant).status_code == 303
    assert roles_of(app, teacher.id) == {(Role.STAFF, world.school.id, None), (Role.SLT, world.school.id, None)}
    assert len(audited(app, "role_added")) == 1
    with app.app_context():
        ids = sorted(db.session.scalars(select(RoleAssignment.id).where(RoleAssignment.user_id == teacher.id)))
    assert client.post(f"/admin/users/{teacher.id}/roles/{ids[0]}/remove").status_code == 303
    response = client.post(f"/admin/users/{teacher.id}/roles/{ids[1]}/remove", follow_redirects=True)
    assert "only role" in response.get_data(as_text=True)
    assert len(roles_of(app, teacher.id)) == 1
    assert client.post(f"/admin/users/{teacher.id}/roles", data={"grant": ""}).status_code == 422


def test_no_account_can_be_deleted_so_no_author_ever_is(app):
    """Authors' names stay on what they recorded: the app has no route that deletes an account."""
    admin_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert admin_rules
    assert not [r.rule for r in admin_rules if "delete" in r.rule or "delete" in r.endpoint]


def test_an_admin_cannot_act_on_their_own_account_or_other_schools(app, client, auth, world):
    auth.as_(world["admin"])
    for user in (world["admin"], world["other_teacher"]):
        assert client.get(f"/admin/users/{user.id}").status_code == 404
        assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 404


# --- categories -------------------------------------------------------------------------


def test_adding_a_category_puts_it_last_on_the_log_form(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    response = client.post(
        "/admin/categories", data={"name": "Online safety", "description": "Anything online.", "alerts": "y"}
    )
    assert response.status_code == 303
    new = get(app, Category, name="Online safety")
    assert new.alerts_safeguarding_team and new.active
    with app.app_context():
        assert new.order == max(db.session.scalars(select(Category.order)))
    auth.as_(world["teacher1"])
    log = client.get("/log").get_data(as_text=True)
    assert "Online safety" in log and log.index("General welfare") < log.index("Online safety")
    [event] = audited(app, "category_added")
    assert event["new"]["name"] == "Online safety" and event["new"]["alerts"] is True


def test_a_category_name_is_unique(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    response = client.post("/admin/categories", data={"name": "behaviour"})
    assert response.status_code == 422 and "There is already a category" in response.get_data(as_text=True)
    sen = world.categories["SEN"].id
    response = client.post(f"/admin/categories/{sen}", data={f"c{sen}-name": "Behaviour", f"c{sen}-active": "y"})
    assert response.status_code == 422
    assert get(app, Category, id=sen).name == "SEN"


def test_renaming_keeps_the_old_name_on_entries_recorded_before(
    app, client, auth, world, make_entry, count_queries, trust_admin
):
    # Another entry of the pupil from the start: the page lists their other entries (to link to)
    # with one more query once there is any, and the counts compare pages with the same lists.
    make_entry(narrative="An earlier concern.")
    before = make_entry(category="Behaviour")
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    with count_queries() as q:
        client.get(f"/entries/{before}")
    entry_queries = len(q)
    with count_queries() as q:
        client.get(f"/pupils/{pupil}/chronology")
    chronology_queries = len(q)

    behaviour = world.categories["Behaviour"].id
    auth.as_(trust_admin)
    assert (
        client.post(
            f"/admin/categories/{behaviour}", data={f"c{behaviour}-name": "Conduct", f"c{behaviour}-active": "y"}
        ).status_code
        == 303
    )
    after = make_entry(category="Behaviour")
    assert (
        client.post(
            f"/admin/categories/{behaviour}",
            data={f"c{behaviour}-name": "Conduct and behaviour", f"c{behaviour}-active": "y"},
        ).status_code
        == 303
    )
    latest = make_entry(category="Behaviour")

    auth.as_(world["dsl"])
    with count_queries() as q:
        page = client.get(f"/entries/{before}").get_data(as_text=True)
    assert len(q) == entry_queries
    assert "<dd>Behaviour</dd>" in page
    assert "<dd>Conduct</dd>" in client.get(f"/entries/{after}").get_data(as_text=True)
    assert "<dd>Conduct and behaviour</dd>" in client.get(f"/entries/{latest}").get_data(as_text=True)
    with count_queries() as q:
        chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert len(q) == chronology_queries
    assert all(name in chronology for name in (">Behaviour<", ">Conduct<", ">Conduct and behaviour<"))
    csv = client.get(f"/pupils/{pupil}/chronology.csv").get_data(as_text=True)
    assert {(str(before), "Behaviour"), (str(after), "Conduct"), (str(latest), "Conduct and behaviour")} <= {
        tuple(row[2:4]) for row in reader(io.StringIO(csv))
    }
    changes = audited(app, "category_changed")
    assert [c["old"] for c in changes] == [{"name": "Behaviour"}, {"name": "Conduct"}]
    assert [c["new"] for c in changes] == [{"name": "Conduct"}, {"name": "Conduct and behaviour"}]


def test_a_retired_category_leaves_the_log_form_but_not_entries_or_filters(
    app, client, auth, world, make_entry, trust_admin
):
    entry = make_entry(category="Complaint")
    complaint = world.categories["Complaint"].id
    auth.as_(trust_admin)
    assert client.post(f"/admin/categories/{complaint}", data={f"c{complaint}-name": "Complaint"}).status_code == 303
    assert not get(app, Category, id=complaint).active
    assert "Retired" in client.get("/admin/categories").get_data(as_text=True)
    auth.as_(world["teacher1"])
    assert ">Complaint<" not in client.get("/log").get_data(as_text=True)
    auth.as_(world["dsl"])
    assert "<dd>Complaint</dd>" in client.get(f"/entries/{entry}").get_data(as_text=True)
    assert f'<option value="{complaint}" >Complaint</option>' in client.get("/review").get_data(as_text=True)
    [event] = audited(app, "category_changed")
    assert event["old"] == {"active": True} and event["new"] == {"active": False}


def test_whether_a_category_alerts_the_team_is_set_and_audited(app, client, auth, world, make_entry, trust_admin):
    welfare = world.categories["General welfare"].id
    auth.as_(trust_admin)
    assert (
        client.post(
            f"/admin/categories/{welfare}",
            data={
                f"c{welfare}-name": "General welfare",
                f"c{welfare}-alerts": "y",
                f"c{welfare}-active": "y",
                f"c{welfare}-reason": "Welfare concerns are often early signs.",
            },
        ).status_code
        == 303
    )
    assert get(app, Category, id=welfare).alerts_safeguarding_team
    [event] = audited(app, "category_changed")
    assert event["old"] == {"alerts": False} and event["new"] == {"alerts": True}
    assert event["reason"] == "Welfare concerns are often early signs."
    make_entry(category="General welfare")
    with app.app_context():
        from cpoms.models import Alert

        assert db.session.scalar(select(Alert.id)) is not None  # the team is alerted now


def test_moving_a_category_up_and_down(app, client, auth, world, trust_admin):
    def order():
        with app.app_context():
            return [c.name for c in db.session.scalars(select(Category).order_by(Category.order, Category.name))]

    first, second = order()[:2]
    auth.as_(trust_admin)
    page = client.get("/admin/categories").get_data(as_text=True)
    first_id = world.categories[first].id
    assert re.search(rf'id="move-up-{first_id}"\s+disabled', page)  # nothing above the first
    response = client.post(f"/admin/categories/{first_id}/move", data={"direction": "down"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#category-{first_id}")
    assert order()[:2] == [second, first]
    client.post(f"/admin/categories/{first_id}/move", data={"direction": "up"})
    assert order()[:2] == [first, second]
    assert client.post(f"/admin/categories/{first_id}/move", data={"direction": "up"}).status_code == 303
    assert order()[:2] == [first, second]  # already first: unchanged, and not audited
    assert client.post(f"/admin/categories/{first_id}/move", data={"direction": "sideways"}).status_code == 400
    moves = audited(app, "category_moved")
    assert len(moves) == 2 and moves[0]["old"]["order"][:2] == moves[0]["new"]["order"][1::-1]


def test_categories_are_for_admins_only(app, client, auth, world):
    for who in ("dsl", "teacher1", "trust_rep"):
        auth.as_(world[who])
        assert client.get("/admin/categories").status_code == 403


# The categories are the trust's: its admins change them, nobody switches off Safeguarding's alert.


def change(client, category: Category | int, **fields):
    cid = category if isinstance(category, int) else category.id
    data = {f"c{cid}-{k}": v for k, v in fields.items() if v is not None}
    return client.post(f"/admin/categories/{cid}", data=data)


def alerts(app, category_id: int) -> bool:
    with app.app_context():
        return db.session.get(Category, category_id).alerts_safeguarding_team


def test_a_school_admin_cannot_switch_off_safeguarding_alerts_for_the_trust(app, world, auth, client):
    safeguarding = world.categories["Safeguarding"].id
    auth.as_(world["admin"])
    assert change(client, safeguarding, name="Safeguarding", active="y").status_code == 403
    assert client.get("/admin/categories").status_code == 403
    assert client.post("/admin/categories", data={"name": "Ours"}).status_code == 403
    assert alerts(app, safeguarding)


def test_nobody_switches_off_the_safeguarding_alert(app, world, auth, client, trust_admin):
    safeguarding = world.categories["Safeguarding"].id
    auth.as_(trust_admin)
    response = change(client, safeguarding, name="Safeguarding", active="y", reason="Too many emails.")
    assert response.status_code == 422
    assert "cannot be switched off" in response.get_data(as_text=True)
    assert alerts(app, safeguarding)
    # Renamed, it is still the category that always alerts: the page keeps its alert on.
    page = client.get("/admin/categories").get_data(as_text=True)
    assert f'name="c{safeguarding}-alerts" type="hidden" value="y"' in page
    assert change(client, safeguarding, name="Child protection", alerts="y", active="y").status_code == 303
    assert alerts(app, safeguarding)
    with app.test_request_context():
        category = db.session.get(Category, safeguarding)
        with pytest.raises(operations.CategoryRefused):
            operations.change_category(
                db.session.get(User, trust_admin.id),
                category,
                category.name,
                False,
                True,
                "as the operation, past the form",
            )
        assert category.alerts_safeguarding_team


def test_a_trust_admin_changes_another_categorys_alerting_with_a_reason(app, world, auth, client, trust_admin):
    welfare = world.categories["General welfare"].id
    auth.as_(trust_admin)
    response = change(client, welfare, name="General welfare", alerts="y", active="y")
    assert response.status_code == 422 and "Say why the alerting changes" in response.get_data(as_text=True)
    assert not alerts(app, welfare)
    assert (
        change(
            client, welfare, name="General welfare", alerts="y", active="y", reason="Welfare worries are early signs."
        ).status_code
        == 303
    )
    assert alerts(app, welfare)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "category_changed"))
        detail = json.loads(event.detail)
    assert event.user_id == trust_admin.id
    assert (detail["old"], detail["new"], detail["reason"]) == (
        {"alerts": False},
        {"alerts": True},
        "Welfare worries are early signs.",
    )


# --- schools --------------------------------------------------------------------------


def test_a_trust_admin_lists_adds_and_renames_schools(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    page = client.get("/admin/schools").get_data(as_text=True)
    assert "Ashgrove Primary School" in page and "Brookfield Primary School" in page
    assert client.post("/admin/schools", data={"name": "Cedar Primary School", "slug": "cedar"}).status_code == 303
    cedar = get(app, School, slug="cedar")
    assert cedar.trust_id == world.trust.id
    response = client.post(
        f"/admin/schools/{cedar.id}", data={f"s{cedar.id}-name": "Cedar Academy", f"s{cedar.id}-slug": "cedar-academy"}
    )
    assert response.status_code == 303
    assert get(app, School, id=cedar.id).slug == "cedar-academy"
    [added] = audited(app, "school_added")
    [changed] = audited(app, "school_changed")
    assert added["new"] == {"name": "Cedar Primary School", "slug": "cedar"}
    assert changed["old"] == {"name": "Cedar Primary School", "slug": "cedar"}
    assert changed["new"] == {"name": "Cedar Academy", "slug": "cedar-academy"}
    # A trust admin administers the new school at once.
    assert f"staff@school:{cedar.id}" in client.get("/admin/users/new").get_data(as_text=True)


@pytest.mark.parametrize(
    "slug, message",
    [
        ("Bad Slug", "lower-case letters"),
        ("ashgrove", "Another school already"),
        ("-x-", "lower-case letters"),
        ("", "Enter a short name"),
    ],
)
def test_school_slugs_are_checked(app, client, auth, world, trust_admin, slug, message):
    auth.as_(trust_admin)
    response = client.post("/admin/schools", data={"name": "Cedar", "slug": slug})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert 'value="Cedar"' in response.get_data(as_text=True)


def test_school_admins_do_not_manage_schools(app, client, auth, world):
    auth.as_(world["admin"])
    assert client.get("/admin/schools").status_code == 403
    assert client.post(f"/admin/schools/{world.school.id}", data={}).status_code == 403
    assert "Schools of the trust" not in client.get("/admin/users").get_data(as_text=True)


# --- a fixed number of queries, whatever the data ------------------------------------------


def test_admin_pages_do_not_grow_with_the_data(app, client, auth, world, trust_admin, count_queries):
    from datetime import date

    from cpoms.mis.models import RetentionDeletion
    from cpoms.models import Pupil, Trust

    pages = [
        ("admin", "/admin/users"),
        ("trust_admin", "/admin/categories"),
        ("admin", f"/admin/users/{world['teacher1'].id}"),
        ("admin", "/admin/pupils/retention"),
        ("trust_admin", "/admin/schools"),
        ("dsl", "/retention-deletions"),
    ]

    def measure() -> dict:
        counts = {}
        for who, path in pages:
            auth.as_(trust_admin if who == "trust_admin" else world[who])
            with count_queries() as q:
                assert client.get(path).status_code == 200, path
            counts[path] = len(q)
        return counts

    before = measure()
    with app.app_context():
        for n in range(6):
            school = School(trust_id=world.trust.id, slug=f"extra-{n}", name=f"Extra {n}")
            db.session.add(school)
            db.session.add(Category(name=f"Extra {n}", order=20 + n))
            make_user(
                f"Person {n}",
                f"person{n}@ashgrove.example.org",
                roles=[(Role.STAFF, db.session.get(School, world.school.id), None)],
            )
            pupil = Pupil(
                school_id=world.school.id,
                upn=f"D{n:012d}",
                first_name="Old",
                last_name=f"Pupil{n}",
                date_of_birth=date(1990, 1, n + 1),
                year_group=6,
                class_name="6A",
            )
            db.session.add(pupil)
            db.session.flush()
            db.session.add(
                RetentionDeletion(
                    pupil_id=pupil.id, school_id=world.school.id, reason="Reviewed.", proposed_by_id=world["admin"].id
                )
            )
        db.session.add(RoleAssignment(user_id=world["teacher1"].id, role=Role.SLT, school_id=world.school.id))
        db.session.add(Trust(name="Another trust"))
        db.session.commit()
    assert measure() == before


# --- the users page: two-factor and lock status, password resets, unlocking -------


def account(app, user) -> User:
    with app.app_context():
        row = db.session.get(User, user.id)
        db.session.expunge(row)
        return row


def audit_events(app, action: str) -> list[AuditEvent]:
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
    [event] = audit_events(app, "admin_forced_password_reset")
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
    assert len(audit_events(app, "admin_reset_two_factor")) == 1


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
    assert audit_events(app, "admin_forced_password_reset") == audit_events(app, "admin_reset_two_factor") == []
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
    assert len(audit_events(app, "admin_unlocked_account")) == 1


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
    [denied] = audit_events(app, "denied")
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
