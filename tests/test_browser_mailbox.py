"""The local mailbox in Chromium at tablet size: a teacher logs a Safeguarding entry,
and a newcomer reads the alert at /mailbox and follows its link; the DSL's home page
without a mail server. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import keep_screenshot, open_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides(tmp_path):
    return {"MAIL_BACKEND": "mailbox", "MAILBOX_DIR": str(tmp_path / "mailbox"), "APP_BASE_URL": ""}


def test_a_newcomer_reads_the_alert_in_the_local_mailbox(
    page: Page, app, live_server, world, make_entry, teacher_enrolled
):
    sign_in(page, live_server, "teacher1", app)
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).click()
    page.get_by_role("radio", name="Pupil disclosure", exact=True).click()
    page.get_by_label("What happened").fill(
        "At 10:40 in the Year 4 classroom Amelia Hassan told me an older boy took her dinner money at the gate."
    )
    page.get_by_label(re.compile(r"^The child.s own words")).fill("He said he would hit me if I told.")
    page.get_by_role("button", name="Save entry").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.get_by_text("The safeguarding team (2 people) has been alerted by email.")).to_be_visible()

    open_page(page, f"{live_server}/mailbox")
    expect(page.get_by_role("heading", name="Local mailbox")).to_be_visible()
    rows = page.locator("table.mailbox tbody tr")
    expect(rows).to_have_count(2)
    keep_screenshot(page, "mailbox", full_page=False)
    rows.first.get_by_role("link").click()
    expect(page.locator("pre.email-text")).to_contain_text("Read it and record what you do:")
    keep_screenshot(page, "mailbox-email", full_page=False)
    link = page.locator("pre.email-text").inner_text().split("record what you do: ")[1].split()[0]
    assert link.startswith(f"{live_server}/entries/")  # the port the app is served on


def test_the_dsl_is_told_alerts_are_not_going_out(page: Page, app, live_server, world, make_entry):
    app.config["MAIL_BACKEND"] = "smtp"  # as under `flask run` with no mail server and no mailbox
    make_entry()
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/")
    expect(page.get_by_text("Alert emails are not going out: no mail server is configured.")).to_be_visible()
    keep_screenshot(page, "home-no-mail-server", full_page=False)
