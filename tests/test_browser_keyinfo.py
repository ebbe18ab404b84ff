"""Key information and police notifications in a real browser (Chromium, 768 px wide),
with htmx and without JavaScript: a DSL records a status from the chronology, ends it,
records a police notification, and the key adult sees and completes the check-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.keyinfo.models import KeyStatus, PoliceCheckIn

from conftest import keep_screenshot, sign_in, sign_out


pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_dsl_records_and_ends_a_status_and_records_a_police_notification(
    request, app, live_server, world, make_entry, javascript
):
    page = request.getfixturevalue("page" if javascript else "no_js")
    assert page.viewport_size["width"] == 768
    pupil = world.pupils[0]
    entry_id = make_entry()
    sign_in(page, live_server, "dsl", app, javascript)
    page.goto(f"{live_server}/pupils/{pupil.id}/chronology")
    panel = page.get_by_role("region", name="Key information")
    expect(panel).to_contain_text("No active status.")
    panel.get_by_role("link", name="Key information and police notifications").click()

    # A child protection plan: the form says what is missing first.
    page.get_by_label("Status", exact=True).select_option(label="Child protection plan")
    page.get_by_role("button", name="Record the status").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose the category of abuse the plan is under.")
    page.get_by_label("Since").fill((uk_today() - timedelta(days=30)).isoformat())
    page.get_by_label("Category of abuse (child protection plan)").select_option(label="Neglect")
    page.get_by_label("Local authority (plans), or responsible authority (looked-after)").fill("Northshire")
    page.get_by_role("button", name="Record the status").click()
    expect(page).to_have_url(re.compile(rf"/pupils/{pupil.id}/key-information#status-\d+$"))
    since = (uk_today() - timedelta(days=30)).strftime("%-d %b %Y")
    page.goto(f"{live_server}/pupils/{pupil.id}/chronology")
    expect(page.get_by_role("region", name="Key information")).to_contain_text(f"CP plan since {since}")
    keep_screenshot(page, f"keyinfo-chronology-{'htmx' if javascript else 'nojs'}", full_page=False)
    page.goto(f"{live_server}/review?key=cp_plan")
    expect(page.locator(".entry-row").first).to_contain_text(f"CP plan since {since}")
    keep_screenshot(page, f"keyinfo-review-{'htmx' if javascript else 'nojs'}", full_page=False)
    page.goto(f"{live_server}/entries/{entry_id}")
    expect(page.locator(".key-badges")).to_contain_text(f"CP plan since {since}")

    # Ending it is a new record: the start stays as recorded.
    page.goto(f"{live_server}/pupils/{pupil.id}/key-information")
    page.get_by_text("End this status").click()
    page.get_by_label("Why it ended (optional)").fill("Stepped down at review.")
    page.get_by_role("button", name="End Child protection plan").click()
    expect(page.locator("#statuses")).to_contain_text("Stepped down at review.")
    expect(page.locator("#statuses .status-closed")).to_have_text("Ended")

    # A police notification: the key adult is asked to check in today.
    police = page.get_by_role("region", name="Police notifications (Operation Encompass)")
    police.get_by_label("When did the incident happen?").fill((uk_today() - timedelta(days=1)).isoformat() + "T22:40")
    police.get_by_role("radio", name="Yes").check()
    police.get_by_label("Notifying officer").fill("PC Morrow")
    police.get_by_label("Force reference").fill("ENC/2026/17")
    police.get_by_label("What the police shared").fill("Incident at home; the child was in the house.")
    police.get_by_label("The key adult told").select_option(label="Teacher1")
    police.get_by_role("button", name="Record the notification").click()
    expect(page).to_have_url(re.compile(rf"/pupils/{pupil.id}/key-information#police-\d+$"))
    expect(page.locator(".police-notification")).to_contain_text("ENC/2026/17")
    expect(page.locator(".police-notification")).to_contain_text(f"Due {uk_today().strftime('%-d %b %Y')}")
    keep_screenshot(page, f"keyinfo-page-{'htmx' if javascript else 'nojs'}")
    sign_out(page)

    # The key adult, signed in without two-factor sign-in: they read no record, and still see
    # the check-in (the child by initials, as everything read without it).
    sign_in(page, live_server, "teacher1", javascript=javascript)
    check_ins = page.get_by_role("region", name="Check in with a child")
    expect(check_ins).to_contain_text("Check in with A.H. (Year 4)")
    expect(page.locator("body")).not_to_contain_text("ENC/2026/17")
    check_ins.get_by_role("button", name="I have checked in").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("region", name="Check in with a child")).to_have_count(0)
    with app.app_context():
        assert db.session.scalar(select(PoliceCheckIn)).done_by_id == world["teacher1"].id
        status = db.session.scalar(select(KeyStatus))
        assert status.ending is not None and status.ending.note == "Stepped down at review."
