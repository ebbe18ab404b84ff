"""Concerns that evolve: later categories, amendments, linked entries and the
status history, over HTTP; and the database's own refusal to rewrite the record."""

from __future__ import annotations

import csv
import email
import io
import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from cpoms import alerts
from cpoms.audit import AuditEvent
from cpoms.entries.models import Amendment, EntryCategory, EntryLink
from cpoms.extensions import db
from cpoms.models import Alert, EntryState, FollowUp, RoleAssignment

from helpers import rows

HX = {"HX-Request": "true", "HX-Target": "activity"}


def audited(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def category_id(world, name):
    return str(world.categories[name].id)


def add_follow_up(client, entry_id, text="Spoke to the class teacher."):
    assert client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": text}).status_code == 303


# --- 1. later categorisation ---------------------------------------------------------


def test_team_adds_a_category_and_the_entry_stays_recorded_as_its_first(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour", narrative="Pushed a classmate at lunch.")
    auth.as_(world["deputy"])
    response = client.post(
        f"/entries/{entry_id}/categories",
        data={"category": category_id(world, "Safeguarding"), "reason": "Mum disclosed violence at home."},
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/entries/{entry_id}#activity"
    [added] = rows(app, EntryCategory, entry_id=entry_id)
    assert (added.category_id, added.added_by_id, added.reason) == (
        world.categories["Safeguarding"].id,
        world["deputy"].id,
        "Mum disclosed violence at home.",
    )
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert re.search(r"<dt>Recorded as</dt><dd>Behaviour</dd>", html)
    assert "Now also: Safeguarding" in html and "Mum disclosed violence at home." in html and "Deputy" in html
    [event] = audited(app, "add_category")
    assert event.entry_id == entry_id and event.user_id == world["deputy"].id
    # The same category twice, or the one it was recorded as: not offered, refused.
    for taken in ("Safeguarding", "Behaviour"):
        again = client.post(
            f"/entries/{entry_id}/categories", data={"category": category_id(world, taken), "reason": "x"}
        )
        assert again.status_code == 422 and "Not a valid choice" in again.get_data(as_text=True)
    assert len(rows(app, EntryCategory, entry_id=entry_id)) == 1


def test_adding_an_alerting_category_alerts_the_team_as_creation_does(mail_app, smtp, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour", narrative="Secret words: blue umbrella.")
    assert rows(mail_app, Alert, entry_id=entry_id) == []  # behaviour alerts nobody
    auth.as_(world["dsl"])
    client.post(
        f"/entries/{entry_id}/categories",
        data={"category": category_id(world, "Safeguarding"), "reason": "Bruising seen since."},
    )
    queued = rows(mail_app, Alert, entry_id=entry_id)
    assert sorted(a.email for a in queued) == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    assert {a.category_id for a in queued} == {world.categories["Safeguarding"].id}
    assert {a.status for a in queued} == {alerts.SENT}
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    message = email.message_from_bytes(smtp.inbox.messages[0].original_content)
    assert "now also safeguarding" in message["Subject"].lower()
    body = "".join(part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart())
    assert "now also categorised as Safeguarding" in body
    assert "blue umbrella" not in body and "Bruising" not in body and "Amelia" not in body
    # The team's page now reports the alert's delivery.
    assert "Safeguarding team alert:" in client.get(f"/entries/{entry_id}").get_data(as_text=True)


def test_a_category_that_does_not_alert_queues_nothing(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour")
    auth.as_(world["dsl"])
    client.post(
        f"/entries/{entry_id}/categories", data={"category": category_id(world, "SEN"), "reason": "EHCP in progress."}
    )
    assert rows(app, Alert, entry_id=entry_id) == []


@pytest.mark.parametrize("who, status", [("teacher1", 403), ("slt", 403), ("governor", 403), ("teacher2", 404)])
def test_only_the_team_adds_categories(app, client, auth, world, make_entry, who, status):
    entry_id = make_entry(category="Behaviour")
    auth.as_(world[who])
    assert (
        client.post(
            f"/entries/{entry_id}/categories", data={"category": category_id(world, "Safeguarding"), "reason": "x"}
        ).status_code
        == status
    )
    assert rows(app, EntryCategory) == []


def test_category_needs_a_choice_and_a_reason_and_keeps_what_was_typed(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour")
    auth.as_(world["dsl"])
    response = client.post(f"/entries/{entry_id}/categories", data={"category": "", "reason": "Typed reason kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose the category to add." in html and "Typed reason kept" in html
    response = client.post(
        f"/entries/{entry_id}/categories", data={"category": category_id(world, "SEN"), "reason": " "}
    )
    assert response.status_code == 422 and "Give the reason for adding this category." in response.get_data(
        as_text=True
    )
    assert rows(app, EntryCategory) == []


def test_category_via_htmx_refreshes_the_header_out_of_band(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour")
    auth.as_(world["dsl"])
    response = client.post(
        f"/entries/{entry_id}/categories",
        headers=HX,
        data={"category": category_id(world, "SEN"), "reason": "Assessment requested."},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="activity"')
    assert '<div id="later-categories" hx-swap-oob="true">' in html and "Now also: SEN" in html
    # A whole page has each piece once, with no out-of-band marker.
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert page.count('id="later-categories"') == 1 and "hx-swap-oob" not in page


def test_csv_shows_later_categories_beside_the_recorded_one(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour")
    auth.as_(world["dsl"])
    client.post(f"/entries/{entry_id}/categories", data={"category": category_id(world, "SEN"), "reason": "x"})
    body = client.get(f"/pupils/{world.pupils[0].id}/chronology.csv").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["Category"] == "Behaviour; now also SEN"


def test_chronology_and_oversight_category_filters_include_later_categories(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour", narrative="Later safeguarding.")
    make_entry(category="Behaviour", narrative="Behaviour only.")
    auth.as_(world["dsl"])
    client.post(
        f"/entries/{entry_id}/categories", data={"category": category_id(world, "Safeguarding"), "reason": "New info."}
    )
    safeguarding = world.categories["Safeguarding"].id
    for view in ("grouped", "timeline"):
        html = client.get(f"/pupils/{world.pupils[0].id}/chronology?category={safeguarding}&view={view}").get_data(
            as_text=True
        )
        assert "Later safeguarding." in html and "Behaviour only." not in html
        assert "now also: Safeguarding" in html
    auth.as_(world["governor"])
    html = client.get(f"/oversight?category={safeguarding}").get_data(as_text=True)
    assert "Later safeguarding." in html and "Behaviour only." not in html and "now also Safeguarding" in html


# --- 2. amendments ----------------------------------------------------------------------


def test_recorder_amends_their_narrative_and_the_original_stays(app, client, auth, world, make_entry):
    entry_id = make_entry(narrative="Bruise on the left arm.")
    auth.as_(world["teacher1"])
    response = client.post(
        f"/entries/{entry_id}/amendments",
        data={"target": "narrative", "text": "The bruise was on the right arm.", "reason": "I wrote the wrong side."},
    )
    assert response.status_code == 303
    [fix] = rows(app, Amendment, entry_id=entry_id)
    assert (fix.follow_up_id, fix.author_id, fix.reason) == (None, world["teacher1"].id, "I wrote the wrong side.")
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    narrative = html[html.index('id="narrative-heading"') : html.index('id="activity"')]
    assert narrative.index("Bruise on the left arm.") < narrative.index("Amended") < narrative.index("right arm")
    assert "I wrote the wrong side." in narrative and "Teacher1" in narrative
    [event] = audited(app, "amend")
    assert event.entry_id == entry_id and event.user_id == world["teacher1"].id


def test_team_amends_a_follow_up_and_the_recorder_only_their_own(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    add_follow_up(client, entry_id, "Called mum at 3pm.")
    [follow_up] = rows(app, FollowUp, entry_id=entry_id)
    response = client.post(
        f"/entries/{entry_id}/amendments",
        headers=HX,
        data={"target": str(follow_up.id), "text": "It was 4pm.", "reason": "Checked the call log."},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "It was 4pm." in html and "Called mum at 3pm." in html
    item = html[html.index(f'id="follow-up-{follow_up.id}"') :]
    assert item.index("Called mum at 3pm.") < item.index("Amended") < item.index("It was 4pm.")
    # The recorder may correct their own account, not the DSL's follow-up.
    auth.as_(world["teacher1"])
    page = client.get(f"/entries/{entry_id}?form=correction").get_data(as_text=True)
    assert 'value="narrative"' in page and f'value="{follow_up.id}"' not in page
    refused = client.post(
        f"/entries/{entry_id}/amendments", data={"target": str(follow_up.id), "text": "Sneaky", "reason": "x"}
    )
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    assert len(rows(app, Amendment)) == 1


@pytest.mark.parametrize(
    "who, status", [("slt", 403), ("governor", 403), ("trust_rep", 403), ("teacher2", 404), ("other_dsl", 404)]
)
def test_others_cannot_amend(app, client, auth, world, make_entry, who, status):
    entry_id = make_entry()
    auth.as_(world[who])
    assert (
        client.post(
            f"/entries/{entry_id}/amendments", data={"target": "narrative", "text": "x", "reason": "y"}
        ).status_code
        == status
    )
    assert rows(app, Amendment) == []


def test_amendment_needs_text_and_reason(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    response = client.post(
        f"/entries/{entry_id}/amendments", data={"target": "narrative", "text": "Kept text", "reason": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Give the reason for the correction." in html and "Kept text" in html
    assert rows(app, Amendment) == []


def test_narrative_amendment_via_htmx_is_swapped_out_of_band(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    html = client.post(
        f"/entries/{entry_id}/amendments",
        headers=HX,
        data={"target": "narrative", "text": "Correct time 10:15.", "reason": "Checked."},
    ).get_data(as_text=True)
    assert '<div id="narrative-amendments" hx-swap-oob="true">' in html and "Correct time 10:15." in html


@pytest.fixture
def amended(app, client, auth, world, make_entry):
    entry_id = make_entry(narrative="Said Amelia was upset.")
    auth.as_(world["dsl"])
    add_follow_up(client, entry_id, "Checked in after lunch.")
    [follow_up] = rows(app, FollowUp, entry_id=entry_id)
    client.post(
        f"/entries/{entry_id}/amendments",
        data={"target": "narrative", "text": "Amelia Hassan was tearful.", "reason": "More precise."},
    )
    client.post(
        f"/entries/{entry_id}/amendments",
        data={"target": str(follow_up.id), "text": "Checked in at 1pm.", "reason": "Time added."},
    )
    return entry_id


def test_amendments_appear_in_both_chronology_views_and_oversight(app, client, auth, world, amended):
    for view in ("grouped", "timeline"):
        html = client.get(f"/pupils/{world.pupils[0].id}/chronology?view={view}").get_data(as_text=True)
        assert "Checked in at 1pm." in html and "Time added." in html
        assert "Amelia Hassan was tearful." in html and "More precise." in html
    auth.as_(world["governor"])
    html = client.get("/oversight").get_data(as_text=True)
    assert "tearful." in html and "Checked in at 1pm." in html and "Amended" in html


def test_amendments_appear_in_the_csv_and_pdf_exports(app, client, auth, world, amended):
    body = client.get(f"/pupils/{world.pupils[0].id}/chronology.csv").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(body)))
    fixes = [(r["What"], r["Text"], r["Reason"]) for r in table if r["What"].startswith("Amendment")]
    assert {r["Category"] for r in table} == {"Safeguarding"}
    assert fixes == [
        ("Amendment to the entry", "Amelia Hassan was tearful.", "More precise."),
        ("Amendment to: Action taken", "Checked in at 1pm.", "Time added."),
    ]
    from pypdf import PdfReader

    pdf = client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf")
    text_ = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Correction: Amelia Hassan was tearful." in text_ and "Checked in at 1pm." in text_


# --- the database refuses to rewrite the record -----------------------------------------

REFUSED = [
    "UPDATE entries SET narrative = 'rewritten'",
    "DELETE FROM entries",
    "UPDATE follow_ups SET text = 'rewritten'",
    "DELETE FROM follow_ups",
    "UPDATE amendments SET text = 'rewritten'",
    "DELETE FROM amendments",
    "UPDATE entry_categories SET reason = 'rewritten'",
    "DELETE FROM entry_categories",
    "UPDATE entry_links SET reason = 'rewritten'",
    "DELETE FROM entry_links",
]


@pytest.fixture
def full_record(app, client, auth, world, make_entry, amended):
    other = make_entry(category="Behaviour")
    client.post(f"/entries/{amended}/categories", data={"category": category_id(world, "SEN"), "reason": "x"})
    client.post(f"/entries/{amended}/links", data={"other": str(other), "reason": "Same week."})
    for model in (EntryCategory, EntryLink, Amendment, FollowUp):
        assert rows(app, model), model
    return amended


@pytest.mark.parametrize("statement", REFUSED)
def test_database_refuses_update_and_delete_with_raw_sql(app, full_record, statement):
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0  # nosec B608


def test_entry_states_stay_writable(app, full_record):
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE entry_states SET status = 'closed'"))
        assert {s.status for s in db.session.scalars(select(EntryState))} == {"closed"}


def test_these_routes_never_update_or_delete_the_record(app, client, auth, world, make_entry, count_queries):
    entry_id, other = make_entry(category="Behaviour"), make_entry()
    auth.as_(world["dsl"])
    with count_queries() as statements:
        client.post(f"/entries/{entry_id}/categories", data={"category": category_id(world, "SEN"), "reason": "x"})
        client.post(f"/entries/{entry_id}/amendments", data={"target": "narrative", "text": "x", "reason": "y"})
        client.post(f"/entries/{entry_id}/links", data={"number": str(other), "reason": "z"})
        client.post(f"/entries/{entry_id}/close", data={"outcome": "Done.", "rationale": "Resolved."})
    writes = [s.split()[0:3] for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    touched = {w[1] if w[0].upper() == "UPDATE" else w[2] for w in writes}
    assert touched <= {"entry_states", "audit_chain_head"}


# --- 9. linked entries -------------------------------------------------------------------


def test_team_links_entries_from_the_pupils_list_and_both_show_it(app, client, auth, world, make_entry):
    first = make_entry(narrative="First.")
    second = make_entry(narrative="Second.", category="Behaviour")
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{first}?form=link").get_data(as_text=True)
    assert f'<option value="{second}">Entry' not in page and f'href="/entries/{first}?link=choose#link-entry"' in page
    page = client.get(f"/entries/{first}?link=choose").get_data(as_text=True)
    assert f'<option value="{second}">Entry {second}:' in page  # offered from the same pupil's entries
    response = client.post(
        f"/entries/{first}/links", data={"other": str(second), "reason": "Same incident, two views."}
    )
    assert response.status_code == 303
    [link] = rows(app, EntryLink)
    assert (link.entry_id, link.other_entry_id, link.linked_by_id) == (
        min(first, second),
        max(first, second),
        world["dsl"].id,
    )
    for here, there in ((first, second), (second, first)):
        html = client.get(f"/entries/{here}").get_data(as_text=True)
        assert f'href="/entries/{there}">Entry {there}</a>' in html and "Same incident, two views." in html
    [event] = audited(app, "link_entries")
    assert event.entry_id == first


def test_links_by_number_and_the_refusals_say_why(app, client, auth, world, make_entry):
    first = make_entry()
    sibling = make_entry(pupils=[world.pupils[1]])  # another pupil: not offered in the list, typed instead
    elsewhere = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    auth.as_(world["dsl"])

    def link(**data):
        return client.post(f"/entries/{first}/links", data={"reason": "Related.", **data})

    cases = [
        ({"number": str(first)}, "cannot be linked to itself"),
        ({"number": str(elsewhere)}, "no entry with that number that you can read"),
        ({"number": "999999"}, "no entry with that number that you can read"),
        ({"number": "twelve"}, "Type the entry number in digits"),
        ({}, "Choose the entry to link, or type its number."),
        ({"number": str(sibling), "reason": ""}, "Give the reason for linking these entries."),
    ]
    for data, message in cases:
        response = link(**data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert rows(app, EntryLink) == []
    assert {e.entry_id for e in audited(app, "denied")} == {elsewhere, 999999}  # asked for, refused
    assert link(number=f"#{sibling}").status_code == 303
    # Linked already, whichever way round it is asked.
    response = client.post(f"/entries/{sibling}/links", data={"number": str(first), "reason": "Again."})
    assert response.status_code == 422 and f"already linked to entry {first}" in response.get_data(as_text=True)
    assert len(rows(app, EntryLink)) == 1


def test_links_only_within_one_school_even_for_a_reader_of_both(app, client, auth, world, make_entry):
    first = make_entry()
    elsewhere = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    with app.app_context():
        db.session.add(RoleAssignment(user_id=world["dsl"].id, role="dsl", school_id=world.other_school.id))
        db.session.commit()
    auth.as_(world["dsl"])
    response = client.post(f"/entries/{first}/links", data={"number": str(elsewhere), "reason": "x"})
    assert response.status_code == 422 and "only entries of the same school" in response.get_data(as_text=True)


@pytest.mark.parametrize("who, status", [("teacher1", 403), ("slt", 403), ("governor", 403), ("other_dsl", 404)])
def test_only_the_team_links(app, client, auth, world, make_entry, who, status):
    first, second = make_entry(), make_entry()
    auth.as_(world[who])
    assert client.post(f"/entries/{first}/links", data={"number": str(second), "reason": "x"}).status_code == status
    assert rows(app, EntryLink) == []


def test_a_link_to_an_entry_the_reader_cannot_see_is_not_shown(app, client, auth, world, make_entry):
    mine = make_entry(recorder="teacher1")
    theirs = make_entry(recorder="teacher2", narrative="Not for teacher1.")
    auth.as_(world["dsl"])
    client.post(f"/entries/{mine}/links", data={"number": str(theirs), "reason": "Hidden reason."})
    auth.as_(world["teacher1"])
    html = client.get(f"/entries/{mine}").get_data(as_text=True)
    assert f"Entry {theirs}" not in html and "Hidden reason." not in html


# --- 11. status history -------------------------------------------------------------------


def test_status_history_shows_who_when_and_why(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    client.post(f"/entries/{entry_id}/review", data={"note": "Read it."})
    client.post(
        f"/entries/{entry_id}/close", data={"outcome": "Support in place.", "rationale": "No concerns for 6 weeks."}
    )
    client.post(f"/entries/{entry_id}/reopen", data={"reason": "New disclosure."})
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    history = html[html.index('id="status-history"') : html.index('id="linked-entries"')]
    steps = re.findall(r"<strong>(Opened|Reviewed|Closed|Reopened)</strong>", history)
    assert steps == ["Opened", "Reviewed", "Closed", "Reopened"]
    for said in ("Read it.", "Support in place.", "No concerns for 6 weeks.", "New disclosure.", "Teacher1", "Dsl"):
        assert said in history


# --- the entry page costs the same however much has been added ----------------------------


def test_entry_page_queries_do_not_grow_with_amendments_links_or_categories(
    app, client, auth, world, make_entry, count_queries
):
    entry_id = make_entry(category="Behaviour")
    others = [make_entry() for _ in range(8)]
    auth.as_(world["dsl"])
    names = [n for n in world.categories if n != "Behaviour"]

    def grow(start, stop):
        for i in range(start, stop):
            client.post(
                f"/entries/{entry_id}/categories", data={"category": category_id(world, names[i]), "reason": "r"}
            )
            client.post(
                f"/entries/{entry_id}/amendments", data={"target": "narrative", "text": f"fix {i}", "reason": "r"}
            )
            client.post(f"/entries/{entry_id}/links", data={"number": str(others[i]), "reason": "r"})

    def measure():
        with count_queries() as statements:
            assert client.get(f"/entries/{entry_id}").status_code == 200
        return len(statements)

    grow(0, 1)
    small = measure()
    grow(1, 6)
    assert (len(rows(app, EntryCategory)), len(rows(app, Amendment)), len(rows(app, EntryLink))) == (6, 6, 6)
    assert measure() == small


def test_review_queue_category_filter_includes_later_categories(app, client, auth, world, make_entry):
    entry_id = make_entry(category="Behaviour", narrative="Later safeguarding.")
    make_entry(category="Behaviour", narrative="Behaviour only.")
    auth.as_(world["dsl"])
    client.post(f"/entries/{entry_id}/categories", data={"category": category_id(world, "Safeguarding"), "reason": "x"})
    html = client.get(f"/review?status=all&category={world.categories['Safeguarding'].id}").get_data(as_text=True)
    assert f'href="/entries/{entry_id}"' in html and "Behaviour only." not in html
