"""A double click on Save, in Chromium: one entry, its alerts queued once. With
JavaScript the button is disabled while the save is in flight (and works again
after Back); without it the form's one-time key still makes the second request a
repeat of the first (cpoms/submissions.py)."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from cpoms.extensions import db
from cpoms.log import routes as log_routes
from cpoms.models import Alert, Entry
from conftest import open_page, sign_in

pytestmark = pytest.mark.browser

NARRATIVE = (
    "At 10:40 in the Year 4 classroom Amelia Hassan said her arm hurt. "
    "I saw a bruise on her left forearm, about the size of a thumb."
)


@pytest.fixture
def slow_save(monkeypatch):
    """Each save takes a moment, as on a school's busy server: long enough for a
    second click to land while the first is still in flight."""
    create = log_routes.operations.create_entry

    def slowly(**kwargs):
        entry = create(**kwargs)
        threading.Event().wait(0.6)
        return entry

    monkeypatch.setattr(log_routes.operations, "create_entry", slowly)


def fill_the_form(page: Page) -> None:
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    page.get_by_label("What happened").fill(NARRATIVE)
    page.get_by_label("The child's own words (optional)").fill("It was an accident in PE.")


def saved(app) -> tuple[int, int, int]:
    """(entries, alerts, distinct recipients)."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Entry)),
            db.session.scalar(select(func.count()).select_from(Alert)),
            db.session.scalar(select(func.count(Alert.recipient_id.distinct()))),
        )


def test_a_double_click_on_save_makes_one_entry(page: Page, app, live_server, world, slow_save):
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    fill_the_form(page)
    save = page.get_by_role("button", name="Save entry")
    save.dblclick(delay=120)  # a person's double click: the second lands while the first is sent
    expect(page.get_by_role("status")).to_contain_text("Your entry has been saved")
    entries, alerts, recipients = saved(app)
    assert entries == 1
    assert alerts == recipients > 0  # each of the team alerted once

    # Back to the form, as it was: its Save button works again (it was disabled while
    # saving), and saving the same submission again leads to the entry already saved.
    page.go_back()
    expect(page.get_by_label("What happened")).to_have_value(NARRATIVE)
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_role("status")).to_have_text("This was already saved.")
    assert saved(app) == (entries, alerts, recipients)


def test_save_is_disabled_while_the_save_is_in_flight(page: Page, app, live_server, world, slow_save):
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    fill_the_form(page)
    save = page.get_by_role("button", name="Save entry")
    save.click()
    expect(save).to_be_disabled()
    expect(page.get_by_role("status")).to_contain_text("Your entry has been saved")
    assert saved(app)[0] == 1


def test_a_double_click_without_javascript_makes_one_entry(nojs: Page, app, live_server, world, slow_save):
    page = nojs
    page.goto(f"{live_server}/log?pupil={world.pupils[0].id}")
    fill_the_form(page)
    page.get_by_role("button", name="Save entry").dblclick(delay=120)
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.get_by_role("status")).to_contain_text(re.compile("already saved|has been saved"))
    entries, alerts, recipients = saved(app)
    assert entries == 1
    assert alerts == recipients > 0
