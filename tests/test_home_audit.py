"""The home page's lists show each entry's pupils and the start of its text: every
entry shown there is a view of a child's record, audited like opening it, and on
its pupils' "who has seen this record" page. However many are shown, the page
costs the same queries."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cpoms import alerts, audit
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.log.models import EntryShare
from cpoms.models import Entry, User

from helpers import assert_flat, queries_for
from helpers import make_task


def excerpt_events(app, user) -> dict[int, list[str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.VIEW_EXCERPT, AuditEvent.user_id == user.id)
        )
        return {row.entry_id: json.loads(row.detail)["lists"] for row in rows}


def share(app, world, entry_id, to="teacher2", by="teacher1") -> None:
    with app.test_request_context():
        entry = db.session.get(Entry, entry_id)
        queued = alerts.queue_for_staff(entry, [db.session.get(User, world[to].id)], {})
        db.session.add(
            EntryShare(
                entry_id=entry_id, user_id=world[to].id, shared_by_id=world[by].id, alert_id=queued[world[to].id]
            )
        )
        db.session.commit()


@pytest.mark.parametrize("reader", ["governor", "trust_rep"])
def test_the_latest_entries_a_governor_or_trust_rep_sees_are_audited(app, client, auth, world, make_entry, reader):
    shown = [make_entry(narrative=f"Worry number {n}.") for n in range(3)]
    auth.as_(world[reader])
    page = client.get("/").get_data(as_text=True)
    assert "Latest entries" in page and "Worry number 2." in page
    assert excerpt_events(app, world[reader]) == {entry_id: ["latest"] for entry_id in shown}


def test_shared_entries_and_tasks_on_the_home_page_are_audited(app, client, auth, world, make_entry):
    shared, tasked, both, unseen = (make_entry() for _ in range(4))
    share(app, world, shared)
    share(app, world, both)
    make_task(app, world, tasked)
    make_task(app, world, both)
    auth.as_(world["teacher2"])
    page = client.get("/").get_data(as_text=True)
    assert "Shared with you" in page and "My tasks" in page
    assert excerpt_events(app, world["teacher2"]) == {shared: ["shared"], tasked: ["tasks"], both: ["shared", "tasks"]}


def test_a_home_page_excerpt_is_listed_among_who_has_seen_the_record(app, client, auth, world, make_entry):
    make_entry()
    auth.as_(world["governor"])
    client.get("/")
    auth.as_(world["dsl"])
    viewers = client.get(f"/pupils/{world.pupils[0].id}/viewers").get_data(as_text=True)
    assert "Governor" in viewers and "Saw an entry in a list" in viewers


def test_the_audit_costs_the_same_queries_for_one_entry_or_twenty_five(
    app, client, auth, world, make_entry, count_queries
):
    make_entry()
    auth.as_(world["governor"])
    small = queries_for(client, count_queries, "/")
    for n in range(30):
        make_entry(narrative=f"Worry number {n}.")
    large = queries_for(client, count_queries, "/")
    assert_flat(small, large, "governor's home page")
    with app.app_context():
        written = db.session.scalars(select(AuditEvent.entry_id).where(AuditEvent.action == audit.VIEW_EXCERPT)).all()
    assert len(written) == 2 * 1 + 2 * 25  # each measurement is a warm-up request and a counted one
    inserts = [s for s in large if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")]
    assert len(inserts) == 1
