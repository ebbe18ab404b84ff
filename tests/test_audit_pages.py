"""Reading the audit log: "who has viewed this pupil's record" for the safeguarding
team, and the admins' audit log with its filters and pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.auditlog.queries import PAGE_SIZE
from cpoms.extensions import db
from cpoms.models import Role, RoleAssignment, User

from conftest import Auth


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


@pytest.fixture
def viewed(app, world, auth, make_entry):
    """The SLT lead opens Amelia's chronology; the governor opens an entry about
    her and Oliver; the DSL opens an entry about Isla only."""
    amelia, oliver, isla = world.pupils
    shared = make_entry(pupils=[amelia, oliver])
    isla_only = make_entry(pupils=[isla])
    auth.as_(world["slt"]).get(f"/pupils/{amelia.id}/chronology")
    auth.as_(world["governor"]).get(f"/entries/{shared}")
    auth.as_(world["dsl"]).get(f"/entries/{isla_only}")
    return {"shared": shared, "isla_only": isla_only}


def test_viewers_lists_every_view_of_the_pupils_record(app, world, auth, viewed):
    amelia = world.pupils[0]
    page = auth.as_(world["deputy"]).get(f"/pupils/{amelia.id}/viewers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    listed = rows(html)
    assert len(listed) == 2  # the chronology and the shared entry; not Isla's entry
    assert "Governor" in listed[0] and "Viewed an entry" in listed[0] and f"entry {viewed['shared']}" in listed[0]
    assert "Slt" in listed[1] and "Viewed a chronology" in listed[1]
    assert "Dsl" not in html.split("<tbody>", 1)[-1]


def test_viewing_the_viewers_is_itself_recorded(app, world, auth, viewed):
    amelia = world.pupils[0]
    auth.as_(world["dsl"]).get(f"/pupils/{amelia.id}/viewers")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == audit.VIEW_VIEWERS))
        assert (event.user_id, event.pupil_id) == (world["dsl"].id, amelia.id)


def test_chronology_links_to_viewers_for_the_team_only(app, world, auth):
    amelia = world.pupils[0]
    link = f'href="/pupils/{amelia.id}/viewers"'
    assert link in auth.as_(world["dsl"]).get(f"/pupils/{amelia.id}/chronology").get_data(as_text=True)
    assert link not in auth.as_(world["slt"]).get(f"/pupils/{amelia.id}/chronology").get_data(as_text=True)


def add_views(app, world, pupil, n: int) -> None:
    with app.test_request_context():
        for _ in range(n):
            audit.record(
                audit.VIEW_CHRONOLOGY,
                pupil_id=pupil.id,
                school_id=pupil.school_id,
                user=db.session.get(User, world["slt"].id),
            )
        db.session.commit()


def test_viewers_pages_through_older_views(app, world, auth):
    amelia = world.pupils[0]
    add_views(app, world, amelia, PAGE_SIZE + 5)
    client = auth.as_(world["dsl"])
    first = client.get(f"/pupils/{amelia.id}/viewers").get_data(as_text=True)
    assert len(rows(first)) == PAGE_SIZE
    older = re.search(r'href="([^"]*before=\d+[^"]*)">Older', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert len(rows(second)) == 5
    assert "Older" not in second and ">Newest<" in second


def test_viewers_page_runs_a_fixed_number_of_queries(app, world, auth, count_queries):
    amelia = world.pupils[0]
    client = auth.as_(world["dsl"])
    add_views(app, world, amelia, 3)
    with count_queries() as few:
        client.get(f"/pupils/{amelia.id}/viewers")
    add_views(app, world, amelia, 60)
    with count_queries() as many:
        client.get(f"/pupils/{amelia.id}/viewers")
    assert len(few) == len(many)


# --- the admins' audit log ----------------------------------------------------


def log_rows(client, **query) -> list[str]:
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return rows(response.get_data(as_text=True))


def test_admin_sees_their_schools_events_not_another_schools(app, world, auth, viewed, make_entry):
    other_entry = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    auth.as_(world["other_dsl"]).get(f"/entries/{other_entry}")
    listed = log_rows(auth.as_(world["admin"]))
    text = "\n".join(listed)
    assert "Governor" in text and "Slt" in text
    assert "Other Dsl" not in text and "Other Teacher" not in text


def test_admin_log_filters(app, world, auth, viewed):
    client = auth.as_(world["admin"])
    assert all("Governor" in r for r in log_rows(client, who="governor"))
    assert len(log_rows(client, who="governor")) == 1
    by_action = log_rows(client, action=audit.VIEW_CHRONOLOGY)
    assert len(by_action) == 1 and "Slt" in by_action[0]
    # Amelia: her chronology, the shared entry's creation and view; not Isla's entry.
    amelia = log_rows(client, pupil="amelia")
    assert len(amelia) == 3
    assert not any(f"entry {viewed['isla_only']})" in r for r in amelia)
    assert log_rows(client, pupil="hassan") == amelia
    assert log_rows(client, pupil="nobody-called-this") == []
    assert log_rows(client, since="2000-01-01", until="2000-01-02") == []
    since_2000 = len(log_rows(client, since="2000-01-01"))
    assert len(log_rows(client)) == since_2000 + 1  # + that view of the log itself


@pytest.mark.parametrize(
    "query, message",
    [
        ({"since": "2026-02-30"}, "Not a valid date value"),
        ({"since": "1999-12-31"}, "Enter a date from 2000 onwards"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "on or after the start date"),
        ({"action": "drop_table"}, "Not a valid choice"),
        ({"who": "x" * 101}, "Field cannot be longer than 100 characters"),
    ],
)
def test_admin_log_refuses_bad_filters_clearly(app, world, auth, query, message):
    response = auth.as_(world["admin"]).get("/admin/audit", query_string=query)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_trust_admin_sees_every_school_and_unknown_sign_ins(app, world, auth, client, trust_admin, make_entry):
    other_entry = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    auth.as_(world["other_dsl"]).get(f"/entries/{other_entry}")
    auth.as_(None)
    client.post("/login", data={"email": "nobody@nowhere.example", "password": "wrong password!"})
    text = "\n".join(log_rows(auth.as_(trust_admin)))
    assert "Other Dsl" in text
    assert "nobody@nowhere.example" in text
    # A school's admin does not see an unknown address's failed sign-in.
    assert "nobody@nowhere.example" not in "\n".join(log_rows(auth.as_(world["admin"])))


def test_admin_log_is_audited_and_html_of_a_user_agent_is_inert(app, world, auth, client):
    client.get("/login", headers={"User-Agent": '<script>alert("ua")</script>'})
    auth.as_(None)
    client.post(
        "/login",
        data={"email": "<b>x</b>@example.org", "password": "no"},
        headers={"User-Agent": '<script>alert("ua")</script>'},
    )
    html = auth.as_(world["admin"]).get("/admin/audit?who=admin").get_data(as_text=True)
    assert "<script>alert" not in html
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == audit.VIEW_AUDIT_LOG))


def test_a_school_admin_does_not_see_what_a_shared_colleague_did_at_another_school(
    app, world, auth, client, make_entry
):
    """other_dsl also teaches at Ashgrove: what they read at Brookfield, about Brookfield's
    pupil, is Brookfield's, not Ashgrove's admin's to see."""
    with app.app_context():
        db.session.add(RoleAssignment(user_id=world["other_dsl"].id, role=Role.STAFF, school_id=world.school.id))
        db.session.commit()
    brookfield_entry = make_entry(
        recorder="other_teacher", pupils=world.other_pupils, narrative="Noah told us about home."
    )
    auth.login(world["other_dsl"])  # signs in: an event of no school
    assert client.get(f"/entries/{brookfield_entry}").status_code == 200
    assert client.get(f"/pupils/{world.other_pupils[0].id}/chronology").status_code == 200
    ashgrove_entry = make_entry(recorder="other_dsl", narrative="Amelia was upset.")
    Auth(app, app.test_client()).login(world["teacher1"])  # works at Ashgrove alone

    html = auth.as_(world["admin"]).get("/admin/audit").get_data(as_text=True)
    assert "Noah Baker" not in html and "Brookfield" not in html
    assert f"(entry {brookfield_entry})" not in html
    assert f"(entry {ashgrove_entry})" in html  # what they did at Ashgrove is Ashgrove's
    with app.app_context():
        signed_in = {e.user_id for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in"))}
    assert signed_in == {world["other_dsl"].id, world["teacher1"].id}
    rows = html.split("<tr>")
    assert any("Signed in" in r and "Teacher1" in r for r in rows)
    assert not any("Signed in" in r and "Other Dsl" in r for r in rows)


def test_a_trust_admin_sees_every_school_of_the_trust_with_its_pupils(
    app, world, auth, client, make_entry, trust_admin
):
    brookfield_entry = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    auth.as_(world["other_dsl"]).get(f"/entries/{brookfield_entry}")
    auth.as_(world["other_dsl"]).get(f"/pupils/{world.other_pupils[0].id}/chronology")
    html = auth.as_(trust_admin).get("/admin/audit").get_data(as_text=True)
    assert "Noah Baker" in html and f"(entry {brookfield_entry})" in html
