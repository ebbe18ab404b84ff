"""The monitoring list: started, reviewed and ended by the safeguarding team from
the pupil's chronology; the review page shows who is monitored and which reviews
are due; the chronology shows each period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from cpoms.audit import AuditEvent
from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.models import Pupil, User
from cpoms.monitoring import operations
from cpoms.monitoring.models import MonitoringEvent, MonitoringState

from helpers import assert_flat, monitor, queries_for


def day(offset: int) -> str:
    return (uk_today() + timedelta(days=offset)).isoformat()


def start_form(**changes) -> dict:
    return {"reason": "Low attendance and hunger at school.", "starts_on": day(0), "review_on": day(14), **changes}


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_start_review_and_end_from_the_chronology(app, client, auth, world):
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "has never been on the monitoring list" in chronology
    assert f'href="/pupils/{pupil}/monitoring"' in chronology and "Put on the monitoring list" in chronology
    assert client.get(f"/pupils/{pupil}/monitoring").status_code == 200
    response = client.post(f"/pupils/{pupil}/monitoring/start", data=start_form())
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pupils/{pupil}/chronology#monitoring"
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "On the monitoring list since" in chronology and "Low attendance and hunger at school." in chronology
    assert "Review or end monitoring" in chronology
    review = client.get("/review").get_data(as_text=True)
    assert "Monitored pupils" in review and "Amelia Hassan" in review and "Review due in 14 days" in review

    assert (
        client.post(
            f"/pupils/{pupil}/monitoring/review",
            data={"note": "Attendance better; still hungry.", "review_on": day(28)},
        ).status_code
        == 303
    )
    with app.app_context():
        state = db.session.get(MonitoringState, pupil)
        assert state.active and state.review_on.isoformat() == day(28)
    assert "Review due in 28 days" in client.get("/review").get_data(as_text=True)

    assert (
        client.post(f"/pupils/{pupil}/monitoring/end", data={"reason": "Breakfast club in place."}).status_code == 303
    )
    with app.app_context():
        assert not db.session.get(MonitoringState, pupil).active
        kinds = list(db.session.scalars(select(MonitoringEvent.kind).order_by(MonitoringEvent.id)))
        assert kinds == ["started", "reviewed", "ended"]
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "is not on the monitoring list now" in chronology and "Monitored " in chronology
    assert "Attendance better; still hungry." in chronology and "Breakfast club in place." in chronology
    assert "Amelia Hassan" not in client.get("/review").get_data(as_text=True).split("Monitored pupils")[1]
    # Again: a second period, the first kept.
    assert client.post(f"/pupils/{pupil}/monitoring/start", data=start_form(reason="Again.")).status_code == 303
    assert client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True).count('class="monitoring-period"') == 2
    assert [a for a in actions(app) if "monitoring" in a] == [
        "view_monitoring",
        "start_monitoring",
        "review_monitoring",
        "end_monitoring",
        "start_monitoring",
    ]


def test_the_review_page_puts_overdue_reviews_first_in_words(app, client, auth, world):
    monitor(app, world, world.pupils[1], review_in=10)
    monitor(app, world, world.pupils[2], review_in=-4)
    monitor(app, world, world.pupils[0], review_in=0)
    monitor(app, world, world.other_pupils[0], review_in=-1)  # another school: not shown here
    auth.as_(world["slt"])
    page = client.get("/review").get_data(as_text=True).split("Monitored pupils")[1]
    assert page.index("Isla Hartley") < page.index("Amelia Hassan") < page.index("Oliver Nowak")
    assert "Review overdue by 4 days" in page and "Review due today" in page and "Review due in 10 days" in page
    assert "3 pupils on the monitoring list, <strong>1 with the review overdue</strong>" in page
    assert page.count('class="status status-overdue"') == 1
    assert "Noah" not in page


@pytest.mark.parametrize(
    "route, data, message",
    [
        ("start", start_form(reason=""), "Give the reason for monitoring."),
        ("start", start_form(starts_on=""), "Enter the date monitoring starts."),
        ("start", start_form(starts_on=day(1)), "The start date cannot be in the future."),
        ("start", start_form(starts_on="1999-12-31"), "Enter a date from 2000 onwards."),
        ("start", start_form(starts_on="31/12/2025"), "Not a valid date value."),
        ("start", start_form(review_on=""), "Enter the date of the first review."),
        ("start", start_form(review_on=day(-1), starts_on=day(-10)), "The review date cannot be in the past."),
        ("start", start_form(review_on=day(0)), "The review date must be after the start date."),
        ("start", start_form(review_on=day(500)), "Choose a review date within the next year."),
        ("review", {"note": "", "review_on": day(7)}, "Write what the review found."),
        ("review", {"note": "Fine.", "review_on": day(0)}, "The review date must be after today."),
        ("review", {"note": "Fine.", "review_on": ""}, "Enter the date of the next review."),
        ("end", {"reason": "  "}, "Give the reason for ending monitoring."),
    ],
)
def test_each_form_says_what_is_missing_and_keeps_what_was_typed(app, client, auth, world, route, data, message):
    pupil = world.pupils[0]
    if route != "start":
        monitor(app, world, pupil)
    auth.as_(world["deputy"])
    with app.app_context():
        before = db.session.scalar(select(func.count(MonitoringEvent.id)))
    response = client.post(f"/pupils/{pupil.id}/monitoring/{route}", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and "There is a problem" in body
    typed = data.get("reason") or data.get("note")
    if typed and typed.strip():
        assert typed in body
    with app.app_context():
        assert db.session.scalar(select(func.count(MonitoringEvent.id))) == before


def test_starting_twice_or_ending_what_is_not_on_is_a_conflict(app, client, auth, world):
    pupil = world.pupils[0].id
    auth.as_(world["dsl"])
    response = client.post(f"/pupils/{pupil}/monitoring/end", data={"reason": "Done."})
    assert response.status_code == 409 and "not on the monitoring list" in response.get_data(as_text=True)
    assert client.post(f"/pupils/{pupil}/monitoring/review", data={"note": "x", "review_on": day(3)}).status_code == 409
    client.post(f"/pupils/{pupil}/monitoring/start", data=start_form())
    response = client.post(f"/pupils/{pupil}/monitoring/start", data=start_form())
    assert response.status_code == 409 and "already on the monitoring list" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(MonitoringEvent.id))) == 1


@pytest.mark.parametrize(
    "who, status",
    [("slt", 404), ("governor", 404), ("teacher1", 404), ("other_dsl", 404), ("trust_rep", 404), ("admin", 404)],
)
def test_only_the_safeguarding_team_manages_monitoring(app, client, auth, world, who, status):
    pupil = world.pupils[0].id
    monitor(app, world, world.pupils[0])
    auth.as_(world[who])
    assert client.get(f"/pupils/{pupil}/monitoring").status_code == status
    for route, data in (
        ("start", start_form()),
        ("review", {"note": "x", "review_on": day(3)}),
        ("end", {"reason": "x"}),
    ):
        assert client.post(f"/pupils/{pupil}/monitoring/{route}", data=data).status_code == status
    with app.app_context():
        assert db.session.scalar(select(func.count(MonitoringEvent.id))) == 1
        denied = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "denied", AuditEvent.user_id == world[who].id, AuditEvent.pupil_id == pupil
            )
        )
        assert denied == 4


def test_readers_of_the_chronology_see_the_periods_without_the_button(app, client, auth, world):
    monitor(app, world, world.pupils[0], reason="Watching attendance.")
    auth.as_(world["governor"])
    page = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
    assert "Watching attendance." in page and "On the monitoring list since" in page
    assert "/monitoring" not in page


@pytest.mark.parametrize(
    "statement", ["UPDATE monitoring_events SET text = 'changed'", "DELETE FROM monitoring_events"]
)
def test_the_database_refuses_to_change_monitoring_events(app, world, statement):
    monitor(app, world, world.pupils[0])
    with app.app_context():
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))


def test_review_and_chronology_run_the_same_queries_with_few_or_many_monitored(app, client, auth, world, count_queries):
    from conftest import make_pupil

    monitor(app, world, world.pupils[0])
    auth.as_(world["dsl"])
    pages = ["/review", f"/pupils/{world.pupils[0].id}/chronology", f"/pupils/{world.pupils[0].id}/monitoring"]
    small = [queries_for(client, count_queries, path) for path in pages]
    with app.test_request_context():
        pupils = [make_pupil(db.session.merge(world.school), f"P{n}", "Watched", f"Z{n:012d}") for n in range(30)]
        db.session.commit()
        dsl = db.session.get(User, world["dsl"].id)
        for n, pupil in enumerate(pupils):
            operations.start(dsl, pupil, "Reason.", uk_today(), uk_today() + timedelta(days=n - 10))
        first = db.session.get(Pupil, world.pupils[0].id)
        for n in range(10):
            operations.review(dsl, first, f"Review {n}.", uk_today() + timedelta(days=20 + n))
        operations.end(dsl, first, "Ended.")
        operations.start(dsl, first, "Again.", uk_today(), uk_today() + timedelta(days=9))
        db.session.commit()
    large = [queries_for(client, count_queries, path) for path in pages]
    for path, before, after in zip(pages, small, large):
        assert_flat(before, after, path)
    assert client.get("/review").get_data(as_text=True).count("Watched") == 30


def test_the_chronology_says_when_the_current_review_is_overdue(app, client, auth, world):
    monitor(app, world, world.pupils[0], review_in=-2)
    auth.as_(world["slt"])
    page = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
    assert "Review overdue" in page
    monitor(app, world, world.pupils[1], review_in=2)
    assert "Review overdue" not in client.get(f"/pupils/{world.pupils[1].id}/chronology").get_data(as_text=True)


def test_the_entry_page_leads_the_team_to_each_pupils_monitoring(app, client, auth, world, make_entry):
    entry_id = make_entry(pupils=world.pupils[:2])
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    for pupil in world.pupils[:2]:
        assert f'href="/pupils/{pupil.id}/monitoring"' in page
    auth.as_(world["slt"])
    assert "/monitoring" not in client.get(f"/entries/{entry_id}").get_data(as_text=True)
