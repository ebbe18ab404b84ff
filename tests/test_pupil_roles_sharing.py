"""Pupils' roles on an entry, adding siblings on the log form, and alerting colleagues
when logging: real HTTP posts of the log form, the real database, a real SMTP server."""

from __future__ import annotations

import csv
import io
import json

import flask_migrate
import pytest
from sqlalchemy import func, select, text, update

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.log.models import EntryShare
from cpoms.models import Alert, Entry, EntryPupil, Pupil, Role, RoleAssignment

from conftest import make_user
from helpers import NARRATIVE, entry_id_from, log_data, message_texts, rows


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Entry, EntryPupil, Alert, EntryShare)
        }


# --- 3. pupils' roles ---------------------------------------------------------------------


def test_each_pupil_is_on_the_entry_with_their_role(app, client, auth, world):
    victim, pusher = world.pupils[0], world.pupils[1]
    auth.as_(world["teacher1"])
    response = client.post(
        "/log",
        data=log_data(
            world,
            [victim, pusher],
            **{f"role_{victim.id}": "alleged_victim", f"role_{pusher.id}": "alleged_perpetrator"},
        ),
    )
    entry_id = entry_id_from(response)
    links = rows(app, EntryPupil, EntryPupil.entry_id == entry_id)
    assert {(link.pupil_id, link.role) for link in links} == {
        (victim.id, "alleged_victim"),
        (pusher.id, "alleged_perpetrator"),
    }
    [created] = rows(app, AuditEvent, AuditEvent.action == "create_entry")
    assert json.loads(created.detail)["roles"] == {
        str(victim.id): "alleged_victim",
        str(pusher.id): "alleged_perpetrator",
    }

    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Amelia Hassan: alleged victim" in page and "Oliver Nowak: alleged perpetrator" in page

    auth.as_(world["dsl"])
    for pupil, mine, other in (
        (victim, "Alleged victim", "Oliver Nowak (alleged perpetrator)"),
        (pusher, "Alleged perpetrator", "Amelia Hassan (alleged victim)"),
    ):
        for view in ("", "?view=timeline"):
            html = client.get(f"/pupils/{pupil.id}/chronology{view}").get_data(as_text=True)
            assert f'<span class="tag tag-role">{mine}</span>' in html, (pupil.first_name, view)
        assert other in client.get(f"/pupils/{pupil.id}/chronology").get_data(as_text=True)
        exported = list(
            csv.reader(io.StringIO(client.get(f"/pupils/{pupil.id}/chronology.csv").get_data(as_text=True)))
        )
        assert exported[0][-1] == "Pupil's role" and exported[1][-1] == mine
    queue = client.get("/review").get_data(as_text=True)
    assert 'Amelia Hassan <span class="entry-row-role">(alleged victim)</span>' in queue
    assert 'Oliver Nowak <span class="entry-row-role">(alleged perpetrator)</span>' in queue


def test_the_pdf_chronology_gives_the_pupils_own_role(app, client, auth, world, make_entry):
    from pypdf import PdfReader

    victim, pusher = world.pupils[0], world.pupils[1]
    auth.as_(world["teacher1"])
    entry_id_from(
        client.post(
            "/log",
            data=log_data(
                world, [victim, pusher], **{f"role_{victim.id}": "witness", f"role_{pusher.id}": "alleged_perpetrator"}
            ),
        )
    )
    auth.as_(world["dsl"])
    pdf = client.get(f"/pupils/{pusher.id}/chronology.pdf")
    text_of = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "role: alleged perpetrator" in " ".join(text_of.split())
    assert "witness" not in text_of.lower()  # the other child's part is not in this child's export


def test_a_pupil_without_a_role_chosen_is_the_subject_of_concern(app, client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get(f"/log?pupil={world.pupils[0].id}").get_data(as_text=True)
    assert f'<select name="role_{world.pupils[0].id}"' in html
    assert '<option value="subject" selected>Subject of concern</option>' in html
    entry_id = entry_id_from(client.post("/log", data=log_data(world)))
    assert [link.role for link in rows(app, EntryPupil, EntryPupil.entry_id == entry_id)] == ["subject"]
    auth.as_(world["dsl"])
    assert '<span class="tag tag-role">Subject of concern</span>' in client.get(
        f"/pupils/{world.pupils[0].id}/chronology"
    ).get_data(as_text=True)
    # One pupil who is simply the subject: the queue row does not repeat it.
    assert "entry-row-role" not in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize("role", ["victim", "<script>alert(1)</script>", "Witness", "subject\x00"])
def test_a_role_not_in_the_list_is_refused_and_nothing_is_written(app, client, auth, world, role):
    auth.as_(world["teacher1"])
    before = table_counts(app)
    pupil = world.pupils[0]
    response = client.post("/log", data=log_data(world, **{f"role_{pupil.id}": role}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose each pupil&#39;s role from the list." in html
    assert NARRATIVE in html  # what was typed is kept
    assert "<script>alert(1)</script>" not in html
    assert table_counts(app) == before


def test_roles_of_pupils_not_on_the_entry_are_ignored(app, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(
        client.post(
            "/log",
            data=log_data(
                world, **{f"role_{world.pupils[1].id}": "nonsense", f"role_{world.other_pupils[0].id}": "witness"}
            ),
        )
    )
    assert [(l.pupil_id, l.role) for l in rows(app, EntryPupil, EntryPupil.entry_id == entry_id)] == [
        (world.pupils[0].id, "subject")
    ]


def test_entries_logged_before_roles_become_the_subject_of_concern(empty_app):
    statements = [
        "INSERT INTO trusts (id, name) VALUES (1, 'T')",
        "INSERT INTO schools (id, trust_id, slug, name) VALUES (1, 1, 'a', 'A')",
        "INSERT INTO users (id, email, name, password_hash, active, created_at, failed_sign_ins) "
        "VALUES (1, 't@a.example.org', 'T', 'x', true, '2026-01-05 09:00:00', 0)",
        'INSERT INTO categories (id, name, description, alerts_safeguarding_team, active, "order") '
        "VALUES (1, 'Behaviour', '', false, true, 0)",
        "INSERT INTO pupils (id, school_id, upn, first_name, last_name, date_of_birth, year_group, "
        "class_name, active) VALUES (1, 1, 'A123456789012', 'P', 'Q', '2019-03-01', 2, '2A', true)",
        "INSERT INTO entries (id, school_id, category_id, recorded_by_id, source, occurred_at, created_at, "
        "narrative, told_dsl_in_person) VALUES (1, 1, 1, 1, 'other', '2026-02-01 10:00:00', "
        "'2026-02-01 10:05:00', 'Before roles', false)",
        "INSERT INTO entry_pupils (id, entry_id, pupil_id) VALUES (1, 1, 1)",
    ]
    with empty_app.app_context():
        flask_migrate.upgrade(revision="0009_school_data")
        with db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
        flask_migrate.upgrade()
        assert db.session.scalar(select(EntryPupil.role)) == "subject"
        with db.engine.begin() as conn:  # the migration's triggers guard the new table
            conn.execute(
                text(
                    "INSERT INTO alerts (id, entry_id, school_id, recipient_id, email, reason, status, "
                    "attempts, created_at, next_attempt_at) VALUES (1, 1, 1, 1, 't@a.example.org', "
                    "'chosen_by_recorder', 'sent', 1, '2026-02-01 10:05:00', '2026-02-01 10:05:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO entry_shares (entry_id, user_id, shared_by_id, created_at, alert_id) "
                    "VALUES (1, 1, 1, '2026-02-01 10:05:00', 1)"
                )
            )
        for statement in ("UPDATE entry_shares SET user_id = 1", "DELETE FROM entry_shares"):
            with pytest.raises(Exception, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))


# --- 3. adding siblings ----------------------------------------------------------------------


def test_one_click_adds_the_siblings_keeping_everything_typed(app, client, auth, world, family):
    amelia, oliver = world.pupils[0], world.pupils[1]
    auth.as_(world["teacher1"])
    form = client.get(f"/log?pupil={amelia.id}").get_data(as_text=True)
    assert f'name="add_siblings" value="{amelia.id}"' in form and "Add sibling: Oliver Nowak" in form
    assert "Zara" not in form and "Yasmin" not in form  # another school's family; a leaver

    typed = log_data(world, [amelia], add_siblings=str(amelia.id), **{f"role_{amelia.id}": "alleged_victim"})
    for headers in ({}, {"HX-Request": "true"}):  # without JavaScript, and as htmx posts the form
        response = client.post("/log", data=typed, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "There is a problem" not in html
        assert f'name="pupil_ids" value="{oliver.id}"' in html
        assert NARRATIVE in html and "He pushed me." in html
        assert '<option value="alleged_victim" selected>' in html  # Amelia's role kept
        assert 'name="add_siblings"' not in html  # nobody left to add
        assert ("<html" in html) is not bool(headers)  # htmx gets the form alone
    assert table_counts(app)["entries"] == 0  # adding is not saving


def test_the_chip_htmx_adds_offers_the_siblings(client, auth, world, family):
    auth.as_(world["teacher1"])
    html = client.get(f"/log/pupils/{world.pupils[1].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'name="add_siblings" value="{world.pupils[1].id}"' in html and "Amelia Hassan" in html
    assert f'name="role_{world.pupils[1].id}"' in html


def test_siblings_of_a_pupil_not_on_the_form_are_never_added(app, client, auth, world, family):
    with app.app_context():  # Noah at the other school has siblings there
        db.session.execute(update(Pupil).where(Pupil.id == world.other_pupils[0].id).values(family_id="F100"))
        db.session.commit()
    auth.as_(world["teacher1"])
    for target in (world.other_pupils[0].id, world.pupils[1].id):  # another school's; ours but not chosen
        html = client.post("/log", data=log_data(world, [world.pupils[2]], add_siblings=str(target))).get_data(
            as_text=True
        )
        assert "Zara" not in html and "Noah" not in html
        assert f'name="pupil_ids" value="{world.pupils[0].id}"' not in html


# --- 4. alerting colleagues ------------------------------------------------------------------


def test_the_form_offers_the_schools_active_staff_only(app, client, auth, world):
    with app.app_context():
        make_user(
            "Left School",
            "left@ashgrove.example.org",
            roles=[(Role.STAFF, db.session.get(type(world.school), world.school.id), None)],
            active=False,
        )
        db.session.commit()
    auth.as_(world["teacher1"])
    html = client.get("/log").get_data(as_text=True)
    offered = {int(v) for v in __import__("re").findall(r'name="alert_staff" value="(\d+)"', html)}
    assert offered == {world[k].id for k in ("teacher2", "dsl", "deputy", "slt")}
    assert "Designated safeguarding lead" in html and "Left School" not in html
    assert '<details class="alert-staff" id="alert_staff" >' in html  # folded away until wanted


def test_alerted_colleague_gets_an_email_and_reads_that_entry_only(mail_app, smtp, client, auth, world, make_entry):
    app = mail_app
    other = make_entry(recorder="teacher1", category="Behaviour", narrative="Another entry entirely.")
    auth.as_(world["teacher1"])
    response = client.post(
        "/log", data=log_data(world, alert_staff=[str(world["teacher2"].id)]), follow_redirects=False
    )
    entry_id = entry_id_from(response)

    # The email: to teacher2 alone, with a link and no narrative or names.
    assert smtp.inbox.recipients == ["teacher2@ashgrove.example.org"]
    subject, body, html = message_texts(smtp.inbox.messages[0])
    assert subject == "Teacher1 has alerted you to an entry at Ashgrove Primary School"
    for part in (body, html):
        assert f"/entries/{entry_id}" in part and "A.H." in part and "chose you" in part
        for secret in ("zebraquartz", "pushed", "Amelia", "Hassan"):
            assert secret not in part and secret not in subject

    [share] = rows(app, EntryShare, EntryShare.entry_id == entry_id)
    assert (share.user_id, share.shared_by_id) == (world["teacher2"].id, world["teacher1"].id)
    [alert] = rows(app, Alert, Alert.id == share.alert_id)
    assert (alert.reason, alert.status, alert.recipient_id) == ("chosen_by_recorder", "sent", world["teacher2"].id)
    [event] = rows(app, AuditEvent, AuditEvent.action == "alerted_staff")
    assert (event.user_id, event.entry_id, json.loads(event.detail)["alerted"]) == (
        world["teacher1"].id,
        entry_id,
        [world["teacher2"].id],
    )

    # The recorder's page says who was alerted and that the email went.
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Staff alerted by Teacher1 when logging" in page and "<strong>Teacher2</strong>:" in page
    assert "email sent" in page

    auth.as_(world["teacher2"])
    home = client.get("/").get_data(as_text=True)
    assert "Shared with you" in home and f'href="/entries/{entry_id}"' in home
    assert f'href="/entries/{other}"' not in home
    assert client.get(f"/entries/{entry_id}").status_code == 200
    assert client.get(f"/entries/{other}").status_code == 404
    assert client.get(f"/pupils/{world.pupils[0].id}/chronology").status_code == 404


def test_after_saving_the_recorder_is_told_who_is_alerted(client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post(
        "/log",
        data=log_data(world, alert_staff=[str(world["teacher2"].id), str(world["slt"].id)]),
        follow_redirects=True,
    )
    assert "Your entry has been saved. Teacher2 and Slt will be alerted: the emails are queued." in response.get_data(
        as_text=True
    )


def test_a_team_member_chosen_on_a_safeguarding_entry_gets_one_email(mail_app, smtp, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(
        client.post(
            "/log",
            data=log_data(world, category="Safeguarding", alert_staff=[str(world["dsl"].id), str(world["slt"].id)]),
        )
    )
    assert smtp.inbox.recipients == [
        "deputy@ashgrove.example.org",
        "dsl@ashgrove.example.org",
        "slt@ashgrove.example.org",
    ]
    shares = rows(mail_app, EntryShare, EntryShare.entry_id == entry_id)
    assert {s.user_id for s in shares} == {world["dsl"].id, world["slt"].id}
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 sent" in page  # the safeguarding team's count is the team's alone
    assert "(the safeguarding team's alert)" in page


@pytest.mark.parametrize("who", ["other_teacher", "governor", "admin", "teacher1", "trust_rep"])
def test_only_the_schools_staff_can_be_alerted(app, client, auth, world, who):
    auth.as_(world["teacher1"])
    before = table_counts(app)
    response = client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id), str(world[who].id)]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Some of the staff chosen could not be found at Ashgrove Primary School." in html
    assert '<details class="alert-staff" id="alert_staff" open>' in html and NARRATIVE in html
    assert (
        f'name="alert_staff" value="{world["teacher2"].id}" id="alert-{world["teacher2"].id}-{world.school.id}" checked'
        in html
    )
    assert table_counts(app) == before


def test_shares_are_append_only(app, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id_from(client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id)])))
    for statement in ("UPDATE entry_shares SET user_id = user_id", "DELETE FROM entry_shares"):
        with pytest.raises(Exception, match="append-only"):
            with app.app_context(), db.engine.begin() as conn:
                conn.execute(text(statement))
    assert len(rows(app, EntryShare)) == 1


def test_a_colleague_who_leaves_the_school_no_longer_reads_the_entry(app, client, auth, world):
    auth.as_(world["teacher1"])
    entry_id = entry_id_from(client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id)])))
    auth.as_(world["teacher2"])
    assert client.get(f"/entries/{entry_id}").status_code == 200
    with app.app_context():
        db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.user_id == world["teacher2"].id))
        db.session.commit()
    assert client.get(f"/entries/{entry_id}").status_code == 404
    assert "Shared with you" not in client.get("/").get_data(as_text=True)


# --- the log form stays fast -------------------------------------------------------------------


@pytest.fixture
def colleagues(app, world) -> list[int]:
    """Four more members of staff at ashgrove, to alert."""
    with app.app_context():
        school = db.session.get(type(world.school), world.school.id)
        made = [
            make_user(f"Colleague {n}", f"colleague{n}@ashgrove.example.org", roles=[(Role.STAFF, school, None)])
            for n in range(4)
        ]
        db.session.commit()
        return [u.id for u in made]


def test_saving_costs_the_same_queries_however_many_pupils_and_colleagues(
    client, auth, world, count_queries, colleagues
):
    extra_ids = colleagues
    auth.as_(world["teacher1"])
    client.get("/log")

    def post(pupils, staff):
        data = log_data(
            world,
            pupils,
            category="Safeguarding",
            alert_staff=[str(i) for i in staff],
            **{f"role_{p.id}": "witness" for p in pupils},
        )
        with count_queries() as statements:
            entry_id_from(client.post("/log", data=data))
        return list(statements)

    small = post(world.pupils[:1], [world["teacher2"].id])
    large = post(world.pupils, [world["teacher2"].id, world["slt"].id, *extra_ids])
    assert len(small) == len(large), "\n---\n".join(large)
    print(f"\nlog POST: {len(small)} queries with 1 pupil and 1 colleague, {len(large)} with 3 and 6")


def test_entry_and_home_pages_cost_the_same_queries_however_many_shares(client, auth, world, count_queries, colleagues):
    from helpers import assert_flat, queries_for

    extra_ids = colleagues
    auth.as_(world["teacher1"])
    one = entry_id_from(client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id)])))
    many = entry_id_from(
        client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id), *map(str, extra_ids)]))
    )
    for who in ("teacher1", "dsl", "teacher2"):
        auth.as_(world[who])
        assert_flat(
            queries_for(client, count_queries, f"/entries/{one}"),
            queries_for(client, count_queries, f"/entries/{many}"),
            f"entry page as {who}",
        )
    auth.as_(world["teacher2"])
    small = queries_for(client, count_queries, "/")
    auth.as_(world["teacher1"])
    for _ in range(5):
        entry_id_from(client.post("/log", data=log_data(world, alert_staff=[str(world["teacher2"].id)])))
    auth.as_(world["teacher2"])
    assert_flat(small, queries_for(client, count_queries, "/"), "home as an alerted colleague")
