"""The gentle check on save, and the urgent panel with the school's DSLs.

The check warns once about a very short account, initials for people, or a
disclosure without the child's words; it never blocks: the next save stands."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cpoms.extensions import db
from cpoms.log.checks import initials_used, record_warnings
from cpoms.models import Entry, Role, User
from cpoms.timefmt import now_utc, uk_local_input

from conftest import make_user

GOOD = (
    "At 10:40 in the Year 4 classroom Amelia Hassan said her arm hurt. I saw a bruise "
    "on her left forearm and told Tom Okafor, the deputy DSL, at 10:50."
)
SHORT = "Upset at lunch."
WITH_INITIALS = (
    "At morning break by the climbing frame JS pushed Amelia Hassan over and "
    "she grazed her knee; MK saw it happen and fetched me."
)
HX = {"HX-Request": "true"}


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Entry.id)))


def form(world, **overrides) -> dict:
    return {
        "pupil_ids": [str(world.pupils[0].id)],
        "category": str(world.categories["Behaviour"].id),
        "source": "staff_observation",
        "occurred_at": uk_local_input(now_utc() - timedelta(minutes=20)),
        "narrative": GOOD,
        "child_words": "",
        **overrides,
    }


def is_checked(html: str, name: str, value) -> bool:
    tags = [t for t in re.findall(r"<input[^>]*>", html) if f'name="{name}"' in t and f'value="{value}"' in t]
    assert len(tags) == 1, (name, value, tags)
    return " checked" in tags[0]


# --- what the check finds ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, found",
    [
        ("JS said he was hit", ["JS"]),
        ("Told by A.B. at 9am, then J. S. ran off", ["A.B.", "J. S."]),
        ("I told the DSL, the SENCO and the TA after PE; CSC and MASH were called, and the GP", []),
        ("Year 4 (KS2) class, 10:40 AM, reported to SLT and NHS 111", []),
        ("He shouted NO and GO AWAY at Amelia Hassan", []),
        ("Amelia Hassan told Mrs Okafor", []),
        ("JS and JS again, then MK", ["JS", "MK"]),
    ],
)
def test_initials_are_found_and_school_words_are_not(text, found):
    assert initials_used(text) == found


def test_warnings_name_each_point_and_a_good_record_has_none():
    assert record_warnings(GOOD, "", "staff_observation") == []
    short = record_warnings(SHORT, "", "staff_observation")
    assert len(short) == 1 and "very short" in short[0]
    initials = record_warnings(WITH_INITIALS, "", "staff_observation")
    assert len(initials) == 1 and "(JS, MK)" in initials[0] and "full names" in initials[0]
    disclosure = record_warnings(GOOD, "  ", "pupil_disclosure")
    assert len(disclosure) == 1 and "child's own words" in disclosure[0]
    assert record_warnings(GOOD, "He pushed me.", "pupil_disclosure") == []
    assert len(record_warnings("JS said.", None, "pupil_disclosure")) == 3


# --- on the form ---------------------------------------------------------------------


def test_a_warning_is_shown_once_keeps_everything_typed_and_never_blocks(app, client, auth, world):
    auth.as_(world["teacher1"])
    data = form(
        world,
        narrative=SHORT,
        source="pupil_disclosure",
        category=str(world.categories["General welfare"].id),
        told_dsl_in_person="y",
    )
    response = client.post("/log", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert entries(app) == 0
    assert "Before you save, a second look" in html
    assert "very short" in html and "child&#39;s own words are empty" in html
    assert "Save as it is" in html and 'href="#narrative"' in html
    assert 'name="checked" type="hidden" value="1"' in html
    # Nothing typed is lost.
    assert f"\n{SHORT}</textarea>" in html
    assert is_checked(html, "category", world.categories["General welfare"].id)
    assert is_checked(html, "source", "pupil_disclosure")
    assert is_checked(html, "told_dsl_in_person", "y")
    assert is_checked(html, "pupil_ids", world.pupils[0].id)
    assert "Save entry" not in html  # one clear choice at the bottom, not three buttons

    saved = client.post("/log", data={**data, "checked": "1"})
    assert saved.status_code == 303
    with app.app_context():
        entry = db.session.scalar(select(Entry))
        assert (entry.narrative, entry.source, entry.told_dsl_in_person) == (SHORT, "pupil_disclosure", True)


def test_a_good_record_saves_at_once(app, client, auth, world):
    auth.as_(world["teacher1"])
    assert client.post("/log", data=form(world)).status_code == 303
    assert entries(app) == 1


def test_initials_are_warned_about(app, client, auth, world):
    auth.as_(world["teacher1"])
    html = client.post("/log", data=form(world, narrative=WITH_INITIALS)).get_data(as_text=True)
    assert "initials are used for people (JS, MK)" in html
    assert entries(app) == 0


def test_errors_come_first_the_check_waits_for_a_valid_form(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=form(world, narrative=SHORT, category=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a category." in html and "a second look" not in html
    assert 'name="checked" type="hidden" value=""' in html


def test_with_htmx_the_form_alone_comes_back_then_a_redirect(app, client, auth, world):
    auth.as_(world["teacher1"])
    data = form(world, narrative=SHORT)
    response = client.post("/log", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<form method="post" action="/log"') and "<html" not in html
    assert "a second look" in html and "autofocus" in html
    saved = client.post("/log", data={**data, "checked": "1"}, headers=HX)
    assert saved.status_code == 204
    with app.app_context():
        entry_id = db.session.scalar(select(Entry.id))
    assert saved.headers["HX-Redirect"] == f"/entries/{entry_id}"
    assert "Your entry has been saved." in client.get(f"/entries/{entry_id}").get_data(as_text=True)


# --- speak to a DSL in person: the right school's team --------------------------------------


def urgent_panel(html: str) -> str:
    start = html.index('<section class="urgent"')
    return html[start : html.index("</section>", start)]


def test_urgent_panel_names_the_dsl_and_deputy_of_the_recorders_school(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/log").get_data(as_text=True)
    panel = urgent_panel(html)
    assert "Safeguarding: also speak to a DSL in person now" in panel
    assert "Today at Ashgrove Primary School" in panel
    assert "<strong>Dsl</strong> (Designated safeguarding lead), <strong>Deputy</strong> (Deputy DSL)" in panel
    assert "Other Dsl" not in panel
    assert "Have you told a DSL in person?" in panel and 'name="told_dsl_in_person"' in panel
    # Only the alerting category is marked, so CSS shows the panel for it alone.
    flagged = re.findall(r'<div class="radio radio-alerts[^"]*">\s*<input[^>]*value="(\d+)"', html)
    assert flagged == [str(world.categories["Safeguarding"].id)]

    auth.as_(world["other_teacher"])
    panel = urgent_panel(client.get("/log").get_data(as_text=True))
    assert "Today at Brookfield Primary School" in panel and "<strong>Other Dsl</strong>" in panel
    assert "<strong>Dsl</strong>" not in panel


def test_urgent_panel_follows_the_chosen_pupils_school_and_skips_inactive_staff(app, client, auth, world):
    with app.app_context():
        both = make_user(
            "Supply Teacher",
            "supply@trust.example.org",
            roles=[(Role.STAFF, world.school, None), (Role.STAFF, world.other_school, None)],
        )
        db.session.get(User, world["deputy"].id).active = False
        db.session.commit()
        db.session.refresh(both)
        db.session.expunge(both)
    auth.as_(both)
    # No pupil chosen yet: each of their schools, by name.
    panel = urgent_panel(client.get("/log").get_data(as_text=True))
    assert "Ashgrove Primary School:" in panel and "Brookfield Primary School:" in panel
    assert "<strong>Deputy</strong>" not in panel  # no longer active
    # A pupil of Brookfield chosen: Brookfield's team only.
    panel = urgent_panel(client.get(f"/log?pupil={world.other_pupils[0].id}").get_data(as_text=True))
    assert "Today at Brookfield Primary School" in panel and "<strong>Other Dsl</strong>" in panel
    assert "Ashgrove" not in panel


# --- how it reached the school ----------------------------------------------------------------


def test_how_it_reached_the_school_shows_on_the_entry_and_the_chronology(client, auth, world, make_entry):
    entry_id = make_entry(source="parent_carer", narrative=GOOD)
    auth.as_(world["dsl"])
    entry = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "<dt>Came to our attention by</dt><dd>Parent or carer</dd>" in entry
    chronology = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
    assert "came to our attention by parent or carer" in chronology
