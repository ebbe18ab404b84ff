"""The reports at tablet width (768 px) in Chromium: a table wider than the screen
scrolls inside its own region, which the keyboard can reach and scroll, and the
page itself does not scroll sideways. Also keeps the screenshots the README shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import open_page, sign_in

pytestmark = pytest.mark.browser


def test_the_month_table_scrolls_in_its_own_region_at_768px(page: Page, app, live_server, world, make_entry):
    for category in ("Safeguarding", "Behaviour", "First aid / medical", "General welfare"):
        make_entry(narrative=f"A {category} entry.", category=category)
    sign_in(page, live_server, "slt", app)
    open_page(page, f"{live_server}/reports")
    region = page.get_by_role("region", name="Entries by month and category, scrolls sideways")
    expect(region).to_be_visible()
    expect(page.get_by_text("Scroll the table sideways to see every column").first).to_be_visible()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: no need to scroll"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768, "the page scrolls sideways"
    region.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wide').scrollLeft > 0")  # the keyboard scrolls it
    assert region.evaluate("el => document.activeElement === el")
