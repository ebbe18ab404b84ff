"""The review queue, the home page's count of what waits, and UK times (a pupil's
chronology is tests/test_chronology.py)."""

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from cpoms.audit import AuditEvent
from cpoms.entries.categories import add_category
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Category, Entry, EntryPupil, EntryState, Kind, Pupil, User
from cpoms.review.queries import review_queue
from cpoms.timefmt import now_utc, uk_date, uk_datetime, waited

from conftest import POSTGRES_URL


def review(client, **params):
    return client.get("/review", query_string=params)


def order_of(html: str, *needles: str) -> list[int]:
    return [html.index(n) for n in needles]


def test_queue_lists_waiting_entries_first_then_the_newest_of_the_rest(client, auth, world, make_entry):
    old = make_entry(narrative="Oldest unreviewed.", category="Behaviour")
    reviewed = make_entry(narrative="Newest but reviewed.")
    new = make_entry(narrative="Newer unreviewed.", category="Behaviour")
    auth.as_(world["dsl"])
    client.post(f"/entries/{reviewed}/review", data={})
    html = review(client).get_data(as_text=True)
    a, b, c = order_of(html, "Oldest unreviewed.", "Newer unreviewed.", "Newest but reviewed.")
    assert a < b < c
    assert "<strong>2</strong> entries not yet reviewed" in html
    assert "Waiting" in html
    assert old and new


def logged_days_ago(app, world, days: int, category: str, narrative: str) -> int:
    """An entry logged `days` ago (rows, as the log form would have written then)."""
    with app.app_context():
        when = now_utc() - timedelta(days=days)
        pupil = db.session.get(Pupil, world.pupils[0].id)
        entry = Entry(
            school_id=pupil.school_id,
            category_id=world.categories[category].id,
            recorded_by_id=world["teacher1"].id,
            source="staff_observation",
            occurred_at=when,
            created_at=when,
            narrative=narrative,
        )
        entry.entry_pupils.append(EntryPupil(pupil=pupil))
        entry.state = EntryState(school_id=pupil.school_id, status="open")
        db.session.add(entry)
        db.session.commit()
        return entry.id


def queue_rows(html: str) -> list[str]:
    return re.findall(r'<li class="entry-row">.*?</li>', html, re.S)


def test_the_oldest_unreviewed_safeguarding_entry_leads_the_queue(app, client, auth, world, make_entry):
    logged_days_ago(app, world, 10, "Safeguarding", "Ten days without a review.")
    make_entry(narrative="Pushed in the lunch queue today.", category="Behaviour")
    make_entry(narrative="Grazed knee today.", category="First aid / medical")
    html = review(auth.as_(world["dsl"])).get_data(as_text=True)
    rows = queue_rows(html)
    assert "Ten days without a review." in rows[0]
    assert "Pushed in the lunch queue today." in rows[1] and "Grazed knee today." in rows[2]
    # How long it has waited and what kind it is, in words.
    assert "Waiting 10 days" in rows[0] and ">Safeguarding</span>" in rows[0]


def test_a_category_added_later_that_alerts_moves_an_entry_up(app, client, auth, world, make_entry):
    welfare = make_entry(narrative="Tired and hungry again.", category="General welfare")
    behaviour = make_entry(narrative="Lashed out at break.", category="Behaviour")
    make_entry(narrative="Threw a chair.", category="Behaviour")
    with app.test_request_context():
        add_category(
            db.session.get(User, world["dsl"].id),
            db.session.get(Entry, behaviour),
            db.session.get(Category, world.categories["Safeguarding"].id),
            "Mum spoke of arguments at home.",
        )
        db.session.commit()
    rows = queue_rows(review(auth.as_(world["dsl"])).get_data(as_text=True))
    assert ["Lashed out" in rows[0], "Tired and hungry" in rows[1], "Threw a chair" in rows[2]] == [True] * 3
    assert "now also: Safeguarding" in rows[0]
    assert welfare


def test_each_row_shows_the_highest_risk_recorded_in_words(app, client, auth, world, make_entry):
    high = make_entry(narrative="Assessed high, then low.")
    medium = make_entry(narrative="Assessed medium.", category="Behaviour")
    make_entry(narrative="Not assessed.", category="Behaviour")
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        for entry_id, levels in ((high, ("low", "high", "low")), (medium, ("medium",))):
            for level in levels:
                add_follow_up(dsl, db.session.get(Entry, entry_id), Kind.RISK, "Assessed.", risk_level=level)
        db.session.commit()
    rows = queue_rows(review(auth.as_(world["dsl"])).get_data(as_text=True))
    by_text = {
        text: next(r for r in rows if text in r) for text in ("Assessed high", "Assessed medium", "Not assessed")
    }
    assert '<strong class="risk risk-high">Risk: High</strong>' in by_text["Assessed high"]
    assert '<strong class="risk risk-medium">Risk: Medium</strong>' in by_text["Assessed medium"]
    assert "Risk:" not in by_text["Not assessed"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="EXPLAIN QUERY PLAN is SQLite's (the bench measures PostgreSQL)")
def test_the_queue_is_ordered_from_entry_states_indexes(app, world):
    """The queue's plan on SQLite: entry_states found through a per-school index, not a
    scan of every entry; entries read only for the page's rows, by their keys."""
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        dsl.session_row = SimpleNamespace(two_factor_at=now_utc())  # as after the two-factor step
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            review_queue(dsl, [world.school.id], None, "open", 1)
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        statement, params = next(s for s in seen if "FROM entries" in s[0])
        plan = " / ".join(
            row[3] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        )
    assert "SCAN entries" not in plan and "SCAN entry_states" not in plan, plan
    # The page is chosen and sorted from one index of entry_states alone; only then are
    # its entries read, by their keys.
    chosen, _, shown = plan.partition("USE TEMP B-TREE FOR ORDER BY")
    assert "entry_states USING COVERING INDEX ix_entry_states_school_queue" in chosen, plan
    assert "entries" not in chosen and "entry_categories" not in chosen, plan
    assert "SEARCH entries USING INTEGER PRIMARY KEY" in shown, plan


def test_what_the_queue_showed_is_audited(app, client, auth, world, make_entry):
    shown = make_entry(narrative="Shown in the queue.")
    auth.as_(world["dsl"])
    review(client, status="all")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_review_queue"))
        assert event.user_id == world["dsl"].id
        assert f'"entries": [{shown}]' in event.detail


def test_queue_filters_by_category_and_status(client, auth, world, make_entry):
    make_entry(narrative="A behaviour entry.", category="Behaviour")
    closed = make_entry(narrative="A closed safeguarding entry.")
    auth.as_(world["dsl"])
    client.post(f"/entries/{closed}/close", data={"outcome": "Resolved.", "rationale": "No further concerns."})
    behaviour = str(world.categories["Behaviour"].id)
    html = review(client, category=behaviour, status="all").get_data(as_text=True)
    assert "A behaviour entry." in html and "A closed safeguarding entry." not in html
    html = review(client, status="closed").get_data(as_text=True)
    assert "A closed safeguarding entry." in html and "A behaviour entry." not in html
    html = review(client).get_data(as_text=True)  # open by default
    assert "A behaviour entry." in html and "A closed safeguarding entry." not in html


def test_queue_filter_via_htmx_returns_only_the_list(client, auth, world, make_entry):
    make_entry(narrative="Listed.")
    auth.as_(world["slt"])
    response = client.get("/review?status=all", headers={"HX-Request": "true", "HX-Target": "queue"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="queue"') and "Listed." in html
    assert "HX-Request" in response.headers["Vary"]
    boosted = client.get("/review", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_queue_shows_only_own_school(client, auth, world, make_entry):
    make_entry(narrative="At Ashgrove.")
    make_entry(recorder="other_teacher", pupils=world.other_pupils, narrative="At Brookfield.")
    auth.as_(world["other_dsl"])
    html = review(client, status="all").get_data(as_text=True)
    assert "At Brookfield." in html and "At Ashgrove." not in html


def test_queue_pages(client, auth, world, make_entry):
    for n in range(27):
        make_entry(narrative=f"Entry number {n:02d}.", category="Behaviour")
    auth.as_(world["dsl"])
    first = review(client).get_data(as_text=True)
    assert first.count('class="entry-row"') == 25 and "Next page" in first
    second = review(client, page=2).get_data(as_text=True)
    assert second.count('class="entry-row"') == 2 and "Previous page" in second
    assert "Entry number 00." in first and "Entry number 26." in second  # waiting: oldest first


def test_bad_filters_are_ignored_not_errors(client, auth, world, make_entry):
    make_entry(narrative="Still here.")
    auth.as_(world["dsl"])
    for params in (
        {"category": "abc"},
        {"category": "99999"},
        {"status": "<b>"},
        {"page": "-4"},
        {"page": "x"},
        {"school": "nowhere"},
        {"page": "999999999999"},
    ):
        response = review(client, **params)
        assert response.status_code == 200, params
    assert "Still here." in review(client, category="abc").get_data(as_text=True)


def test_home_counts_what_waits_for_review(client, auth, world, make_entry):
    make_entry(narrative="One.")
    make_entry(narrative="Two.")
    auth.as_(world["dsl"])
    html = client.get("/").get_data(as_text=True)
    assert "<strong>2</strong> entries waiting for review" in html
    assert "Log a concern" in html
    assert "4 alert emails have not been delivered yet" in html  # two entries, two on the team
    assert "Alert emails are not going out: no mail server is configured." in html
    auth.as_(world["teacher1"])
    html = client.get("/").get_data(as_text=True)
    assert "waiting for review" not in html
    assert "Your recent entries" in html and "One." in html


def test_uk_time_formatting_across_the_clock_change():
    winter = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
    summer = datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)
    assert uk_datetime(winter) == "15 Jan 2026, 12:00"
    assert uk_datetime(summer) == "15 Jul 2026, 13:00"
    assert uk_date(datetime(2026, 11, 28, 0, 30, tzinfo=timezone.utc)) == "28 Nov 2026"
    # 23:30 UTC on 29 March 2026 is already 30 March in the UK (BST began that morning).
    assert uk_date(datetime(2026, 3, 29, 23, 30, tzinfo=timezone.utc)) == "30 Mar 2026"
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert waited(start, start + timedelta(seconds=20)) == "under a minute"
    assert waited(start, start + timedelta(minutes=42)) == "42 min"
    assert waited(start, start + timedelta(hours=5)) == "5 h"
    assert waited(start, start + timedelta(days=3)) == "3 days"


def test_governors_start_from_the_latest_entries_of_their_school(client, auth, world, make_entry):
    entry_id = make_entry(narrative="For the governors to read.")
    make_entry(recorder="other_teacher", pupils=world.other_pupils, narrative="At the other school.")
    auth.as_(world["governor"])
    html = client.get("/").get_data(as_text=True)
    assert "For the governors to read." in html and f"/entries/{entry_id}" in html
    assert "At the other school." not in html
    assert "A.H." in html and "Amelia" not in html
    auth.as_(world["trust_rep"])
    html = client.get("/").get_data(as_text=True)
    assert "For the governors to read." in html and "At the other school." in html
    assert "Brookfield Primary School" in html  # more than one school: each row names it
    auth.as_(world["admin"])
    assert "For the governors to read." not in client.get("/").get_data(as_text=True)
