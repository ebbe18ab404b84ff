"""A long chronology in a real browser: scrolling to the end of a page loads the next, and
the heading says how far the list now goes."""

from __future__ import annotations


import pytest
from playwright.sync_api import Page, expect

from conftest import keep_screenshot, open_page, sign_in
from helpers import add_entries

pytestmark = pytest.mark.browser


def test_scrolling_to_the_end_loads_the_next_page(page: Page, app, live_server, world):
    add_entries(app, world, 120)
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/pupils/{world.pupils[0].id}/chronology?page=1")
    entries = page.locator("li.chronology-entry")
    expect(entries).to_have_count(50)
    expect(page.get_by_text("Entry number 50.", exact=True)).to_have_count(0)
    page.locator("#chronology-more").scroll_into_view_if_needed()
    expect(entries).to_have_count(100)
    expect(page.get_by_text("Entry number 50.", exact=True)).to_be_visible()
    # No reload happened: the address is still page 1, and the pager below moved on.
    assert page.url.endswith("?page=1")
    expect(page.locator("#pager-bottom a[rel=prev]")).to_have_attribute(
        "href", f"/pupils/{world.pupils[0].id}/chronology?page=1"
    )
    page.locator("#chronology-more").scroll_into_view_if_needed()
    expect(entries).to_have_count(120)
    expect(page.locator("#chronology-more")).to_have_count(0)
    keep_screenshot(page, "chronology-scrolled", full_page=False)


def test_scrolling_moves_the_heading_on(page: Page, app, live_server, world):
    add_entries(app, world, 120)
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/pupils/{world.pupils[0].id}/chronology?page=1")
    heading = page.locator("#chronology-heading")
    expect(heading).to_have_text("120 entries, oldest first: 1 to 50 (page 1 of 3)")
    page.locator("#chronology-more").scroll_into_view_if_needed()
    expect(heading).to_have_text("120 entries, oldest first: 1 to 100 (up to page 2 of 3)")
    page.locator("#chronology-more").scroll_into_view_if_needed()
    expect(heading).to_have_text("120 entries, oldest first: 1 to 120 (up to page 3 of 3)")
