"""A pupil's chronology: both views, the filters, paging as the reader scrolls,
key events, and the PDF and CSV exports (with other pupils unnamed)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cpoms.audit import AuditEvent
from cpoms.chronology.models import KeyEvent
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Entry, Kind, User
from cpoms.timefmt import now_utc

from helpers import add_entries

HX = {"HX-Request": "true"}
MORE = {"HX-Request": "true", "HX-Trigger": "chronology-more"}


def ago(days: float):
    return now_utc() - timedelta(days=days)


@pytest.fixture
def follow_up(app, world):
    def factory(entry_id, kind=Kind.ACTION, text="Called home.", days_ago=1.0, who="dsl", **extra):
        with app.test_request_context():
            item = add_follow_up(
                db.session.get(User, world[who].id),
                db.session.get(Entry, entry_id),
                kind,
                text,
                occurred_at=ago(days_ago),
                **extra,
            )
            db.session.commit()
            return item.id

    return factory


@pytest.fixture
def story(world, make_entry, follow_up):
    """Two entries about Amelia ten and five days ago; the first followed up two days ago."""
    first = make_entry(narrative="First worry.", occurred_at=ago(10), category="Safeguarding")
    second = make_entry(narrative="Second worry.", occurred_at=ago(5), category="Behaviour", source="pupil_disclosure")
    late = follow_up(first, text="Late action on the first.", days_ago=2)
    return {"first": first, "second": second, "late": late}


def chronology(client, world, **params):
    response = client.get(f"/pupils/{world.pupils[0].id}/chronology", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def positions(html: str, *needles: str) -> list[int]:
    return [html.index(n) for n in needles]


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the two views -----------------------------------------------------------------------


def test_grouped_view_keeps_each_follow_up_with_its_entry(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world)
    a, b, c = positions(html, "First worry.", "Late action on the first.", "Second worry.")
    assert a < b < c
    assert "2 entries, oldest first" in html


def test_timeline_puts_everything_where_it_happened(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world, view="timeline")
    a, b, c = positions(html, "First worry.", "Second worry.", "Late action on the first.")
    assert a < b < c
    assert "3 items, oldest first" in html
    assert f"On entry {story['first']}" in html


# --- the filters --------------------------------------------------------------------------


def test_category_filter(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world, category=world.categories["Behaviour"].id)
    assert "Second worry." in html and "First worry." not in html


def test_date_range_filter(client, auth, world, story):
    auth.as_(world["dsl"])
    start, end = ago(7).date().isoformat(), ago(3).date().isoformat()
    html = chronology(client, world, **{"from": start, "to": end})
    assert "Second worry." in html and "First worry." not in html
    # In the timeline the range applies to each follow-up's own date.
    html = chronology(client, world, view="timeline", **{"from": ago(3).date().isoformat()})
    assert "Late action on the first." in html and "Second worry." not in html and "First worry." not in html


def test_a_date_that_is_not_a_date_is_ignored(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world, **{"from": "not-a-date", "to": "2026-02-31"})
    assert "First worry." in html and "Second worry." in html


def test_status_filter(client, auth, world, story):
    auth.as_(world["dsl"])
    assert (
        client.post(
            f"/entries/{story['second']}/close", data={"outcome": "Resolved.", "rationale": "No further concerns."}
        ).status_code
        == 303
    )
    closed = chronology(client, world, status="closed")
    assert "Second worry." in closed and "First worry." not in closed
    opened = chronology(client, world, status="open")
    assert "First worry." in opened and "Second worry." not in opened


def test_follow_up_kind_filter(client, auth, world, story, follow_up):
    follow_up(story["second"], kind=Kind.NOTE, text="A note on the second.", days_ago=4)
    auth.as_(world["dsl"])
    html = chronology(client, world, kind=Kind.NOTE)
    assert "A note on the second." in html and "Second worry." in html
    assert "First worry." not in html and "Late action on the first." not in html
    html = chronology(client, world, kind=Kind.NOTE, view="timeline")
    assert "A note on the second." in html and "Late action on the first." not in html


def test_filters_not_among_the_choices_are_ignored(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world, category="999", status="lost", kind="nonsense", view="sideways", page="x")
    assert "First worry." in html and "Second worry." in html


# --- key events ------------------------------------------------------------------------------


def mark(client, follow_up_id, **form):
    return client.post(f"/follow-ups/{follow_up_id}/key-event", data=form)


def test_safeguarding_team_marks_a_key_event_once_and_it_is_audited(app, client, auth, world, story, follow_up):
    other = follow_up(story["second"], text="Not key.", days_ago=3)
    auth.as_(world["deputy"])
    response = mark(client, story["late"], pupil=world.pupils[0].id, view="timeline")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/pupils/{world.pupils[0].id}/chronology?view=timeline")
    assert response.headers["Location"].endswith(f"#follow-up-{story['late']}")
    assert mark(client, story["late"]).status_code == 303  # again: nothing new
    with app.app_context():
        marks = list(db.session.scalars(select(KeyEvent)))
    assert [(m.follow_up_id, m.marked_by_id) for m in marks] == [(story["late"], world["deputy"].id)]
    assert len(audit_events(app, "mark_key_event")) == 1
    html = chronology(client, world, key="1")
    assert "Late action on the first." in html and "Not key." not in html
    assert "Key event" in html and other


@pytest.mark.parametrize(
    "role, status", [("slt", 403), ("governor", 403), ("teacher1", 403), ("other_dsl", 404), ("teacher2", 404)]
)
def test_only_the_safeguarding_team_marks_key_events(app, client, auth, world, story, role, status):
    auth.as_(world[role])
    assert mark(client, story["late"]).status_code == status
    with app.app_context():
        assert db.session.scalar(select(KeyEvent.id)) is None


def test_marking_a_missing_follow_up_is_404(client, auth, world):
    auth.as_(world["dsl"])
    assert mark(client, 999_999).status_code == 404


def test_the_mark_button_shows_to_the_team_only(client, auth, world, story):
    auth.as_(world["dsl"])
    assert "Mark as a key event" in chronology(client, world)
    auth.as_(world["slt"])
    assert "Mark as a key event" not in chronology(client, world)


# --- paging, with and without htmx -----------------------------------------------------------


@pytest.fixture
def long_story(app, world):
    return add_entries(app, world, 120)


def test_long_chronology_lands_on_the_latest_page_and_pages_back_without_javascript(client, auth, world, long_story):
    auth.as_(world["dsl"])
    html = chronology(client, world)
    assert "120 entries, oldest first: 101 to 120 (page 3 of 3)" in re.sub(r"<[^>]+>", "", html)
    assert html.count('class="chronology-entry"') == 20
    assert 'rel="prev"' in html and "chronology-more" not in html  # nothing later to load
    first = chronology(client, world, page=1)
    assert first.count('class="chronology-entry"') == 50
    assert "Entry number 0." in first and "Entry number 50." not in first
    # The next page is a plain link for a browser without JavaScript, and the sentinel htmx reveals.
    pupil = world.pupils[0].id
    assert f'href="/pupils/{pupil}/chronology?page=2" rel="next"' in first
    assert re.search(
        rf'<li class="chronology-more" id="chronology-more" hx-get="/pupils/{pupil}/chronology\?page=2" '
        r'hx-trigger="revealed" hx-swap="outerHTML">',
        first,
    )


def test_scrolling_fetches_only_the_next_pages_items(client, auth, world, long_story):
    auth.as_(world["dsl"])
    response = client.get(f"/pupils/{world.pupils[0].id}/chronology?page=2", headers=MORE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<h2" not in html
    assert html.count('class="chronology-entry"') == 50
    assert "Entry number 50." in html and "Entry number 49." not in html
    assert 'hx-get="/pupils/%d/chronology?page=3"' % world.pupils[0].id in html  # the next sentinel
    assert 'id="pager-bottom" aria-label="Pages of the chronology (bottom)" hx-swap-oob="true"' in html


def test_filter_change_with_htmx_returns_the_section(client, auth, world, story):
    auth.as_(world["dsl"])
    response = client.get(f"/pupils/{world.pupils[0].id}/chronology?view=timeline", headers=HX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="chronology"') and "<html" not in html


def test_the_timeline_pages_keep_their_filters(client, auth, world, long_story):
    auth.as_(world["dsl"])
    html = chronology(client, world, view="timeline", page=1)
    assert "page 1 of" in html
    assert f"/pupils/{world.pupils[0].id}/chronology?page=2&amp;view=timeline" in html


# --- the order, the readers, the pages and the heading ------------------------------------------


def test_chronology_in_order_of_when_things_happened(app, client, auth, world, make_entry):
    now = datetime.now(timezone.utc)
    later = make_entry(narrative="Happened second.", occurred_at=now - timedelta(days=1))
    earlier = make_entry(narrative="Happened first, logged last.", occurred_at=now - timedelta(days=9))
    make_entry(narrative="About someone else.", pupils=[world.pupils[1]])
    auth.as_(world["dsl"])
    client.post(f"/entries/{later}/follow-ups", data={"kind": "action", "text": "Follow-up on the second."})
    pupil = world.pupils[0]
    html = client.get(f"/pupils/{pupil.id}/chronology").get_data(as_text=True)
    a, b, c = positions(html, "Happened first, logged last.", "Happened second.", "Follow-up on the second.")
    assert a < b < c
    assert "About someone else." not in html
    assert "2 entries, oldest first" in html
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_chronology"))
        assert (event.user_id, event.pupil_id) == (world["dsl"].id, pupil.id)
    assert earlier


def test_chronology_filters_by_category(client, auth, world, make_entry):
    make_entry(narrative="A safeguarding matter.")
    make_entry(narrative="A first aid matter.", category="First aid / medical")
    auth.as_(world["slt"])
    first_aid = world.categories["First aid / medical"].id
    html = client.get(f"/pupils/{world.pupils[0].id}/chronology?category={first_aid}").get_data(as_text=True)
    assert "A first aid matter." in html and "A safeguarding matter." not in html
    partial = client.get(
        f"/pupils/{world.pupils[0].id}/chronology?category={first_aid}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="chronology"')


def test_governor_and_trust_see_initials_only(client, auth, world, make_entry):
    make_entry(narrative="Shared entry.", pupils=[world.pupils[0], world.pupils[1]])
    for who in ("governor", "trust_rep"):
        auth.as_(world[who])
        html = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
        assert "A.H." in html and "O.N." in html
        for name in ("Amelia", "Hassan", "Oliver", "Nowak", world.pupils[0].upn):
            assert name not in html, (who, name)


def test_a_long_chronology_is_paged_oldest_first_landing_on_the_latest(app, client, auth, world):
    add_entries(app, world, 120, follow_ups_every=1000)  # "Entry number 0." is the oldest
    auth.as_(world["dsl"])
    pupil = world.pupils[0].id
    latest = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "120 entries, oldest first: 101 to 120 (page 3 of 3)" in re.sub(r"<[^>]+>", "", latest)
    assert latest.count('class="chronology-entry"') == 20
    a, b = positions(latest, "Entry number 100.", "Entry number 119.")
    assert a < b and "Entry number 99." not in latest
    assert f'href="/pupils/{pupil}/chronology?page=2" rel="prev"' in latest
    assert "Later entries" not in latest

    first = client.get(f"/pupils/{pupil}/chronology?page=1").get_data(as_text=True)
    assert "1 to 50 (page 1 of 3)" in re.sub(r"<[^>]+>", "", first)
    assert "Entry number 0." in first and "Entry number 49." in first and "Entry number 50." not in first
    assert f'href="/pupils/{pupil}/chronology?page=2" rel="next"' in first
    assert "Earlier entries" not in first
    # Past the end is the last page; nonsense is the default, never an error.
    assert "page 3 of 3" in client.get(f"/pupils/{pupil}/chronology?page=99").get_data(as_text=True)
    assert "page 3 of 3" in client.get(f"/pupils/{pupil}/chronology?page=x").get_data(as_text=True)
    # The category filter is kept from page to page.
    behaviour = world.categories["Behaviour"].id
    filtered = client.get(f"/pupils/{pupil}/chronology?category={behaviour}").get_data(as_text=True)
    assert "oldest first" in filtered
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "view_chronology").order_by(AuditEvent.seq)
        ).first()
        assert '"page": 3' in event.detail


def test_the_next_page_moves_the_heading_on(app, client, auth, world):
    add_entries(app, world, 120)
    auth.as_(world["dsl"])
    path = f"/pupils/{world.pupils[0].id}/chronology"
    first = client.get(f"{path}?page=1").get_data(as_text=True)
    assert '120 entries, oldest first: 1 to <span id="chronology-last-shown">50 (page 1 of 3)</span>' in first
    more = client.get(f"{path}?page=2", headers={**MORE, "HX-Target": "chronology-more"}).get_data(as_text=True)
    assert '<span id="chronology-last-shown" hx-swap-oob="true">100 (up to page 2 of 3)</span>' in more


# --- exports ------------------------------------------------------------------------------------


@pytest.fixture
def shared(world, make_entry, follow_up):
    """An entry about Amelia and Oliver that names Oliver in its text."""
    entry = make_entry(
        pupils=world.pupils[:2],
        narrative="Amelia and Oliver Nowak argued; Oliver cried.",
        child_words="Nowak hit me.",
        occurred_at=ago(3),
        source="another_pupil",
    )
    follow_up(entry, text="Spoke to Oliver's parents.", days_ago=1)
    return entry


def pdf_text(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def test_pdf_has_the_header_page_numbers_and_content_and_names_no_other_pupil(app, client, auth, world, shared):
    auth.as_(world["dsl"])
    pages = pdf_text(client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf"))
    text = "\n".join(pages)
    assert "Ashgrove Primary School" in text
    assert "Chronology of Amelia Hassan" in text
    assert "Exported by" in text and "Dsl" in text
    assert "Dates" in text and "(everything recorded)" in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    flat = " ".join(text.split())  # where a line wraps is the layout's business
    assert "argued" in flat and "Spoke to another pupil's parents." in flat
    assert "also about another pupil" in flat
    assert "came to the school's attention by another pupil" in flat
    assert "Oliver" not in text and "Nowak" not in text


def test_a_long_pdf_numbers_every_page(app, client, auth, world, long_story):
    auth.as_(world["dsl"])
    pages = pdf_text(client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf"))
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Ashgrove Primary School" in text  # the running header
    assert "Entry number 119." in pages[-1] or "Entry number 119." in pages[-2]


def test_governor_exports_show_initials_only(client, auth, world, shared):
    auth.as_(world["governor"])
    text = "\n".join(pdf_text(client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf")))
    assert "Chronology of A.H." in text and "A.H. and another pupil argued" in text
    assert "Amelia" not in text and "Hassan" not in text and "Oliver" not in text
    assert "A204210010001" not in text  # no UPN
    body = client.get(f"/pupils/{world.pupils[0].id}/chronology.csv").get_data(as_text=True)
    assert "Amelia" not in body and "Hassan" not in body and "Oliver" not in body and "A.H." in body


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="chronology-')
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_lists_entries_and_follow_ups_with_how_they_reached_the_school(client, auth, world, shared, story):
    auth.as_(world["dsl"])
    rows = csv_rows(client.get(f"/pupils/{world.pupils[0].id}/chronology.csv"))
    assert [r["What"] for r in rows] == ["Entry", "Action taken", "Entry", "Entry", "Action taken"]
    shared_row = next(r for r in rows if r["Entry"] == str(shared) and r["What"] == "Entry")
    assert shared_row["How it reached the school"] == "Another pupil"
    assert shared_row["Also about"] == "another pupil"
    assert shared_row["Text"] == "Amelia and another pupil argued; another pupil cried."
    assert shared_row["Child's words"] == "another pupil hit me."
    assert "Oliver" not in json.dumps(rows) and "Nowak" not in json.dumps(rows)
    timeline = csv_rows(client.get(f"/pupils/{world.pupils[0].id}/chronology.csv?view=timeline"))
    assert [r["Text"] for r in timeline][:3] == [
        "First worry.",
        "Second worry.",
        "Amelia and another pupil argued; another pupil cried.",
    ]


def test_csv_cells_that_look_like_formulas_are_defused(client, auth, world, make_entry):
    make_entry(narrative='=HYPERLINK("http://example.org")')
    auth.as_(world["dsl"])
    [row] = csv_rows(client.get(f"/pupils/{world.pupils[0].id}/chronology.csv"))
    assert row["Text"].startswith("'=")


def test_exports_respect_the_filters(client, auth, world, story, shared):
    auth.as_(world["dsl"])
    behaviour = world.categories["Behaviour"].id
    rows = csv_rows(client.get(f"/pupils/{world.pupils[0].id}/chronology.csv?category={behaviour}"))
    assert [r["Text"] for r in rows] == ["Second worry."]
    text = "\n".join(pdf_text(client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf?category={behaviour}")))
    assert "Second worry." in text and "First worry." not in text and "Filtered" in text


def test_every_export_is_audited_with_what_it_held(app, client, auth, world, story):
    auth.as_(world["slt"])
    client.get(f"/pupils/{world.pupils[0].id}/chronology.csv")
    client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf?view=timeline")
    [csv_event] = audit_events(app, "export_chronology_csv")
    [pdf_event] = audit_events(app, "export_chronology_pdf")
    for event in (csv_event, pdf_event):
        assert event.user_id == world["slt"].id and event.pupil_id == world.pupils[0].id
        detail = json.loads(event.detail)
        assert detail["entries"] == [story["first"], story["second"]]
        assert detail["follow_ups"] == [story["late"]]
    assert json.loads(pdf_event.detail)["filters"] == {"view": "timeline"}


def test_the_page_links_to_both_exports_with_its_filters(client, auth, world, story):
    auth.as_(world["dsl"])
    html = chronology(client, world, view="timeline")
    pupil = world.pupils[0].id
    assert f'href="/pupils/{pupil}/chronology.pdf?view=timeline"' in html
    assert f'href="/pupils/{pupil}/chronology.csv?view=timeline"' in html
