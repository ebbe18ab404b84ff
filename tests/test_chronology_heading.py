"""The chronology's heading says how far the list goes, also after pages load as the reader scrolls."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import open_page, sign_in
from test_query_counts import add_entries

MORE = {"HX-Request": "true", "HX-Trigger": "chronology-more", "HX-Target": "chronology-more"}


def test_the_next_page_moves_the_heading_on(app, client, auth, world):
    add_entries(app, world, 120)
    auth.as_(world["dsl"])
    path = f"/pupils/{world.pupils[0].id}/chronology"
    first = client.get(f"{path}?page=1").get_data(as_text=True)
    assert '120 entries, oldest first: 1 to <span id="chronology-last-shown">50 (page 1 of 3)</span>' in first
    more = client.get(f"{path}?page=2", headers=MORE).get_data(as_text=True)
    assert '<span id="chronology-last-shown" hx-swap-oob="true">100 (up to page 2 of 3)</span>' in more


@pytest.mark.browser
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
