"""Logging a concern: the form, the pupil picker with and without JavaScript,
validation that keeps what was typed, backdating, and what gets saved."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Alert, Entry, EntryState
from cpoms.timefmt import UK
from helpers import form_data


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_form_shows_categories_with_their_descriptions_and_defaults_to_now(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/log").get_data(as_text=True)
    for name in [
        "Safeguarding",
        "Behaviour",
        "First aid / medical",
        "Parent engagement",
        "SEN",
        "Complaint",
        "General welfare",
    ]:
        assert name in html
    assert "The safeguarding team is alerted at once." in html
    now_uk = datetime.now(timezone.utc).astimezone(UK)
    assert f'value="{now_uk:%Y-%m-%dT}' in html
    assert 'name="q"' in html and 'hx-get="/log/pupils"' in html


def test_saving_an_entry_redirects_to_it_with_everything_kept(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=form_data(world, told_dsl_in_person="y"))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/entries/")
    with app.app_context():
        entry = db.session.scalar(select(Entry))
        assert entry.narrative.startswith("Pushed another pupil")
        assert entry.child_words == "He took my ball."
        assert entry.told_dsl_in_person is True
        assert entry.source == "staff_observation"
        assert entry.school_id == world.school.id
        assert [p.id for p in entry.pupils] == [world.pupils[0].id]
        assert db.session.get(EntryState, entry.id).status == "open"
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "create_entry" in actions
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pushed another pupil" in page and "He took my ball." in page
    assert "Your entry has been saved." in page


def test_several_pupils_on_one_entry(app, client, auth, world):
    auth.as_(world["teacher1"])
    ids = [str(world.pupils[0].id), str(world.pupils[1].id), str(world.pupils[0].id)]
    assert client.post("/log", data=form_data(world, pupil_ids=ids)).status_code == 303
    with app.app_context():
        entry = db.session.scalar(select(Entry))
        assert sorted(p.id for p in entry.pupils) == sorted([world.pupils[0].id, world.pupils[1].id])


def test_backdated_entry_keeps_when_it_happened_in_uk_time(app, client, auth, world):
    auth.as_(world["teacher1"])
    # 10:15 on a summer day in the UK is 09:15 UTC (BST).
    client.post("/log", data=form_data(world, occurred_at="2026-07-01T10:15"))
    with app.app_context():
        entry = db.session.scalar(select(Entry))
        assert entry.occurred_at == datetime(2026, 7, 1, 9, 15, tzinfo=timezone.utc)
        assert entry.created_at > entry.occurred_at
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "1 Jul 2026, 10:15" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"narrative": ""}, "narrative", "Write what happened, in your own words."),
        ({"category": ""}, "category", "Choose a category."),
        ({"source": ""}, "source", "Choose how this came to your attention."),
        ({"pupil_ids": []}, "pupil_ids", "Choose at least one pupil."),
        ({"occurred_at": ""}, "occurred_at", "Enter when it happened."),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "This cannot be in the future."),
        ({"occurred_at": "1999-12-31T10:00"}, "occurred_at", "Enter a date from 2000 onwards."),
        ({"occurred_at": "not a date"}, "occurred_at", "Not a valid datetime value."),
        ({"narrative": "x" * 20001}, "narrative", "Keep this under 20,000 characters."),
    ],
)
def test_validation_errors_keep_what_was_typed(app, client, auth, world, overrides, field, message):
    auth.as_(world["teacher1"])
    data = form_data(world, **overrides)
    response = client.post("/log", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    if data["narrative"] and len(data["narrative"]) < 1000:
        assert data["narrative"] in html
    assert data["child_words"] in html
    for pupil_id in data["pupil_ids"]:
        assert f'name="pupil_ids" value="{pupil_id}"' in html
    assert count(app, Entry) == 0


def test_a_pupil_of_another_school_cannot_be_logged(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=form_data(world, pupil_ids=[str(world.other_pupils[0].id)]))
    assert response.status_code == 422
    assert "Choose at least one pupil." in response.get_data(as_text=True)
    assert count(app, Entry) == 0


def test_typeahead_finds_pupils_of_own_school_only(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/log/pupils?q=am", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Amelia Hassan" in html
    assert "<html" not in html  # the partial alone
    assert "Noah" not in client.get("/log/pupils?q=noah", headers={"HX-Request": "true"}).get_data(as_text=True)
    by_upn = client.get("/log/pupils?q=a20421001000", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert by_upn.count('name="add_pupil"') == 3
    two_words = client.get("/log/pupils?q=isla+hart", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Isla Hartley" in two_words and "Amelia" not in two_words
    wildcard = client.get("/log/pupils?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No pupil matches" in wildcard


def test_typeahead_response_varies_on_hx_request(client, auth, world):
    auth.as_(world["teacher1"])
    response = client.get("/log/pupils?q=am", headers={"HX-Request": "true"})
    assert "HX-Request" in response.headers["Vary"]
    plain = client.get("/log/pupils?q=am")  # without htmx: the full form with the results
    assert plain.status_code == 302 and plain.headers["Location"] == "/log?q=am"
    assert "Amelia Hassan" in client.get("/log?q=am").get_data(as_text=True)


def test_chip_for_a_chosen_pupil(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get(f"/log/pupils/{world.pupils[0].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'name="pupil_ids" value="{world.pupils[0].id}"' in html and "checked" in html
    assert client.get(f"/log/pupils/{world.other_pupils[0].id}", headers={"HX-Request": "true"}).status_code == 404


def test_picking_pupils_without_javascript_keeps_the_form(app, client, auth, world):
    auth.as_(world["teacher1"])
    typed = form_data(world, pupil_ids=[], q="oliv", find="1")
    html = client.post("/log", data=typed).get_data(as_text=True)
    assert "Oliver Nowak" in html and 'name="add_pupil"' in html
    assert typed["narrative"] in html  # nothing typed is lost while searching
    assert "There is a problem" not in html  # searching is not a failed save
    added = client.post("/log", data=form_data(world, pupil_ids=[], add_pupil=str(world.pupils[1].id)))
    html = added.get_data(as_text=True)
    assert f'name="pupil_ids" value="{world.pupils[1].id}"' in html
    saved = client.post("/log", data=form_data(world, pupil_ids=[str(world.pupils[1].id)]))
    assert saved.status_code == 303
    assert count(app, Entry) == 1


def test_log_form_can_start_with_a_pupil(client, auth, world):
    auth.as_(world["dsl"])
    html = client.get(f"/log?pupil={world.pupils[2].id}").get_data(as_text=True)
    assert f'name="pupil_ids" value="{world.pupils[2].id}"' in html and "Isla Hartley" in html


def test_behaviour_entry_queues_no_alert_and_safeguarding_entry_queues_one_per_team_member(app, client, auth, world):
    auth.as_(world["teacher1"])
    client.post("/log", data=form_data(world))
    assert count(app, Alert) == 0
    client.post("/log", data=form_data(world, category=str(world.categories["Safeguarding"].id)))
    with app.app_context():
        emails = sorted(a.email for a in db.session.scalars(select(Alert)))
    assert emails == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]


def test_with_no_mail_server_the_teacher_is_told_the_alert_is_queued_not_sent(client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post(
        "/log", data=form_data(world, category=str(world.categories["Safeguarding"].id)), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "The safeguarding team (2 people) will be alerted: the emails are queued." in html
    assert "has been alerted" not in html
    response = client.post("/log", data=form_data(world), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your entry has been saved." in html and "alerted" not in html


def test_search_results_stay_after_a_failed_save(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.post("/log", data=form_data(world, q="oliv", narrative="")).get_data(as_text=True)
    assert "Oliver Nowak" in html and 'name="add_pupil"' in html


def test_htmx_can_be_served_from_the_local_copy_only(app, client, auth, world):
    auth.as_(world["teacher1"])
    assert "unpkg.com" in client.get("/").get_data(as_text=True)
    app.config["HTMX_CDN_URL"] = ""
    html = client.get("/").get_data(as_text=True)
    assert "unpkg.com" not in html and "/static/js/htmx-fallback.js" in html


def test_one_entry_is_about_pupils_of_one_school(app, client, auth, world):
    from cpoms.models import Role, RoleAssignment

    with app.app_context():  # a teacher who works at both schools
        db.session.add(RoleAssignment(user_id=world["teacher1"].id, role=Role.STAFF, school_id=world.other_school.id))
        db.session.commit()
    auth.as_(world["teacher1"])
    both = [str(world.pupils[0].id), str(world.other_pupils[0].id)]
    response = client.post("/log", data=form_data(world, pupil_ids=both))
    assert response.status_code == 422
    assert "All pupils on one entry must be at the same school." in response.get_data(as_text=True)
    assert client.post("/log", data=form_data(world, pupil_ids=both[1:])).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Entry)).school_id == world.other_school.id


def test_the_teacher_is_told_the_team_has_been_alerted_once_the_emails_went(mail_app, smtp, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post(
        "/log", data=form_data(world, category=str(world.categories["Safeguarding"].id)), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "The safeguarding team (2 people) has been alerted by email." in html
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]


def test_a_mail_server_that_refuses_leaves_the_alert_queued_and_says_so(mail_app, smtp, client, auth, world):
    smtp.stop()
    auth.as_(world["teacher1"])
    response = client.post(
        "/log", data=form_data(world, category=str(world.categories["Safeguarding"].id)), follow_redirects=True
    )
    assert "The safeguarding team (2 people) will be alerted: the emails are queued." in response.get_data(as_text=True)


# --- a pupil is on an entry once ------------------------------------------------------------


def test_the_typeahead_offers_nobody_already_on_the_entry(client, auth, world):
    auth.as_(world["teacher1"])
    amelia, oliver = world.pupils[0], world.pupils[1]
    html = client.get(
        "/log/pupils", query_string={"q": "a", "pupil_ids": [amelia.id]}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'value="{amelia.id}"' not in html and f'value="{oliver.id}"' in html
    only = client.get(
        "/log/pupils", query_string={"q": "Amelia", "pupil_ids": [amelia.id]}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Everyone matching “Amelia” is on this entry." in only


def test_a_second_tap_on_a_pupil_adds_no_second_chip_and_closes_the_results(client, auth, world):
    auth.as_(world["teacher1"])
    amelia = world.pupils[0]
    first = client.get(f"/log/pupils/{amelia.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'id="pupil-{amelia.id}"' in first and 'id="pupil-results"' in first and "hx-swap-oob" in first
    again = client.get(
        f"/log/pupils/{amelia.id}", query_string={"pupil_ids": [amelia.id]}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'id="pupil-{amelia.id}"' not in again and "hx-swap-oob" in again
