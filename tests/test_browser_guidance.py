"""The recording guidance where staff record, in a real browser (Chromium): the
gentle check on save with and without JavaScript, the urgent panel that follows
the chosen category, and screenshots of the log form at tablet size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

# Its fixtures too: the tablet viewport, the unreachable CDN, a no-JavaScript page.
from conftest import assert_no_reload, open_page, set_marker, sign_in

pytestmark = pytest.mark.browser

SHORT = "JS pushed Oliver at lunch."
GOOD_WORDS = "He said I could not play."


def choose(page: Page, category: str, source: str) -> None:
    page.get_by_role("radio", name=re.compile(rf"^{re.escape(category)}")).check()
    page.get_by_role("radio", name=source, exact=True).check()


def test_check_on_save_warns_once_focuses_and_never_blocks(page: Page, live_server, world, teacher_enrolled):
    sign_in(page, live_server, "teacher1", teacher_enrolled)
    open_page(page, f"{live_server}/log?pupil={world.pupils[1].id}")
    set_marker(page)
    choose(page, "Behaviour", "Pupil disclosure")
    page.get_by_label("What happened").fill(SHORT)
    page.get_by_role("button", name="Save entry").click()

    check = page.locator("#record-check")
    expect(check).to_be_visible()
    expect(check).to_be_focused()  # the reader lands on it, scrolled into view
    expect(check.get_by_role("listitem")).to_have_count(3)  # short, initials, no child's words
    expect(check).to_contain_text("(JS)")
    expect(page.get_by_role("button", name="Save as it is")).to_be_in_viewport()
    assert_no_reload(page)  # htmx swapped the form in
    expect(page.get_by_label("What happened")).to_have_value(SHORT)
    expect(page.get_by_role("radio", name=re.compile(r"^Behaviour"))).to_be_checked()

    page.get_by_role("link", name="Go back and edit").click()
    expect(page.get_by_label("What happened")).to_be_focused()
    page.get_by_label(re.compile(r"^The child.s own words")).fill(GOOD_WORDS)
    page.get_by_role("button", name="Save as it is").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_have_text(SHORT)
    expect(page.locator(".child-words")).to_have_text(GOOD_WORDS)
    expect(page.get_by_role("status")).to_have_text("Your entry has been saved.")


def test_check_on_save_without_javascript(nojs: Page, live_server, world):
    page = nojs
    page.goto(f"{live_server}/log?pupil={world.pupils[2].id}")
    choose(page, "General welfare", "Staff observation")
    page.get_by_label("What happened").fill("Tired again.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#record-check")).to_contain_text("very short")
    expect(page.locator("#record-check")).to_be_focused()
    page.get_by_role("button", name="Save as it is").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_have_text("Tired again.")


def test_urgent_panel_follows_the_category_with_the_schools_dsls(page: Page, live_server, world):
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    urgent = page.locator("#urgent")
    expect(urgent).to_be_hidden()
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text(
        "Today at Ashgrove Primary School: Dsl (Designated safeguarding lead), Deputy (Deputy DSL)"
    )
    urgent.get_by_role("checkbox", name="Yes, I have told a DSL in person").check()
    page.get_by_role("radio", name=re.compile(r"^Behaviour")).check()
    expect(urgent).to_be_hidden()


def test_urgent_panel_without_javascript(nojs: Page, live_server, world):
    nojs.goto(f"{live_server}/log")
    urgent = nojs.locator("#urgent")
    expect(urgent).to_be_hidden()
    nojs.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    expect(urgent).to_be_visible()
