"""The retention review: pupils whose records reach date of birth + RETENTION_YEARS,
listed for review by their school's admins; nothing deleted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from cpoms.audit import AuditEvent
from cpoms.common import uk_today as today
from cpoms.extensions import db
from cpoms.mis.retention import add_years
from cpoms.models import Pupil


def born(app, pupil, when: date):
    with app.app_context():
        db.session.execute(update(Pupil).where(Pupil.id == pupil.id).values(date_of_birth=when))
        db.session.commit()


def test_lists_reached_and_coming_within_a_year_only_at_the_admins_schools(app, client, auth, world, make_entry):
    now = today()
    born(app, world.pupils[0], add_years(now, -26))  # reached a year ago
    born(app, world.pupils[1], add_years(now + timedelta(days=30), -25))  # in a month
    born(app, world.pupils[2], add_years(now, -23))  # two years to go: not listed
    born(app, world.other_pupils[0], add_years(now, -30))  # another school's
    make_entry(pupils=[world.pupils[0]])
    auth.as_(world["admin"])
    html = client.get("/admin/pupils/retention").get_data(as_text=True)
    assert "Amelia Hassan" in html and "Oliver Nowak" in html
    assert "Isla Hartley" not in html and "Noah Baker" not in html
    assert html.index("Amelia Hassan") < html.index("Oliver Nowak"), "oldest first"
    assert "<strong>Reached" in html and "date of birth + 25 years" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Pupil.id))) == 4, "nothing is deleted"
        assert (
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "view_retention_review"))
            == 1
        )


def test_the_period_is_configurable(app, client, auth, world):
    born(app, world.pupils[2], add_years(today(), -19))
    app.config["RETENTION_YEARS"] = 18
    auth.as_(world["admin"])
    html = client.get("/admin/pupils/retention").get_data(as_text=True)
    assert "Isla Hartley" in html and "date of birth + 18 years" in html


def test_an_empty_review_says_so(client, auth, world):
    auth.as_(world["admin"])
    assert "No pupil's records reach the end" in client.get("/admin/pupils/retention").get_data(as_text=True)


@pytest.mark.parametrize(
    "day, years, expected",
    [
        (date(2000, 2, 29), 25, date(2025, 2, 28)),
        (date(2000, 2, 29), 24, date(2024, 2, 29)),
        (date(2001, 9, 1), 25, date(2026, 9, 1)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected
