"""Attachments and the body map in a real browser, with and without JavaScript: an
entry is logged with a photo and two marks, and its page shows them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import check_page, find_and_add, keep_screenshot, open_page, sign_in
from sample_files import pdf
from helpers import PHOTO

pytestmark = pytest.mark.browser


def tap(page: Page, view: str, x: float, y: float) -> None:
    """Tap an outline at (x, y), fractions of its width and height."""
    svg = page.locator(f"svg[data-view={view}]")
    box = svg.bounding_box()
    svg.click(position={"x": box["width"] * x, "y": box["height"] * y})


def assert_entry_shows_marks_and_photo(page: Page, first: str, second: str) -> None:
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    marks = page.locator(".body-map-list li")
    expect(marks).to_have_count(2)
    expect(marks.nth(0)).to_have_text(first)
    expect(marks.nth(1)).to_have_text(second)
    expect(page.locator(".body-map-shown .body-map-mark")).to_have_count(2)
    expect(page.get_by_role("link", name="left forearm.png", exact=True)).to_have_attribute(
        "href", re.compile(r"^/attachments/\d+$")
    )
    preview = page.get_by_role("img", name="Preview of left forearm.png")
    expect(preview).to_be_visible()
    # Asked from outside the page, again and again: a page without JavaScript runs no
    # requestAnimationFrame, so wait_for_function polled in it would ask only once.
    expect(preview).to_have_js_property("complete", True)
    expect(preview).to_have_js_property("naturalWidth", 320)


def test_log_with_a_photo_and_two_marks_tapped_on_the_outlines(page: Page, app, live_server, world):
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    page.get_by_role("radio", name=re.compile(r"^First aid")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    page.get_by_label("What happened").fill("Bruise on her arm.")  # short: the gentle check comes first
    page.get_by_text("Body map (optional)").click()
    expect(page.get_by_text("Tap the outline where the mark is")).to_be_visible()
    expect(page.locator("[data-mark-row]")).to_have_count(0)  # the no-JavaScript rows are gone

    tap(page, "front", 0.78, 0.45)
    expect(page.get_by_label("Where").first).to_have_value("front-left-forearm")
    expect(page.get_by_label("What you saw").first).to_be_focused()
    page.keyboard.type("Bruise, about 3 cm, purple")
    tap(page, "back", 0.45, 0.29)
    page.keyboard.type("Red mark, like a hand")
    # From the keyboard: add a mark by choosing its area, then take it off again.
    page.get_by_role("button", name="Add a mark by choosing its area").click()
    expect(page.locator("#mark-area-3")).to_be_focused()
    page.locator("#mark-area-3").select_option("front-face")
    expect(page.locator("svg[data-view=front] .body-map-mark")).to_have_count(2)
    page.get_by_role("button", name="Remove mark 3").click()
    expect(page.locator(".body-map-part .body-map-mark")).to_have_count(2)

    page.get_by_text("Attach files (optional)").click()
    page.get_by_label("Files").set_input_files(PHOTO)
    problems: list[str] = []
    check_page(page, "log-form-body-map", problems)  # a screenshot, and axe
    page.get_by_role("button", name="Save entry").click()

    # The gentle check re-shows the form (by htmx): the marks and the photo are still there.
    expect(page.get_by_role("heading", name="Before you save, a second look")).to_be_visible()
    expect(page.locator(".body-map-part .body-map-mark")).to_have_count(2)
    expect(page.get_by_role("checkbox", name=re.compile("left forearm.png"))).to_be_checked()
    page.get_by_role("button", name="Save as it is").click()

    assert_entry_shows_marks_and_photo(
        page, "Front: left forearm: Bruise, about 3 cm, purple", "Back: upper back: Red mark, like a hand"
    )
    check_page(page, "entry-body-map-and-photo", problems)
    assert not problems, "\n".join(problems)
    # A follow-up with a file, added in place by htmx (a multipart post).
    page.evaluate("() => { window.__noReload = 'still here'; }")
    page.get_by_role("radio", name="Agency involved", exact=True).check()
    page.get_by_label("Details").fill("Referred to the school nurse; her letter attached.")
    page.get_by_label("Agency", exact=True).fill("School nursing service")
    page.get_by_text("Attach files (optional)").click()
    page.locator("#follow-up-attachments").set_input_files(
        {"name": "nurse letter.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    page.get_by_role("button", name="Add", exact=True).click()
    item = page.locator("#activity .timeline-item").first
    expect(item.get_by_role("link", name="nurse letter.pdf")).to_be_visible()
    assert page.evaluate("() => window.__noReload") == "still here"
    # The chronology lists them too.
    open_page(page, f"{live_server}/pupils/{world.pupils[0].id}/chronology")
    expect(page.get_by_text("Red mark, like a hand")).to_be_visible()
    expect(page.get_by_role("link", name="left forearm.png", exact=True)).to_be_visible()


def test_log_with_a_photo_and_two_marks_without_javascript(nojs: Page, live_server, world):
    page = nojs
    find_and_add(page, live_server, "Oliver Nowak", "oli")
    page.get_by_role("radio", name=re.compile(r"^First aid")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    page.get_by_label("What happened").fill(
        "Oliver Nowak showed me a graze on his cheek and a bruise on his left "
        "forearm at 09:05 in the classroom. He said he fell in the park."
    )
    page.get_by_text("Body map (optional)").click()
    expect(page.get_by_text("For each mark, choose where it is and describe it.")).to_be_visible()
    expect(page.locator("svg[data-view=front]")).to_be_hidden()
    page.locator("#mark-area-1").select_option("front-left-forearm")
    page.locator("#mark-note-1").fill("Bruise, about 3 cm, purple")
    page.locator("#mark-area-2").select_option("back-upper-back")
    page.locator("#mark-note-2").fill("Red mark, like a hand")
    page.get_by_text("Attach files (optional)").click()
    page.get_by_label("Files").set_input_files(PHOTO)
    expect(page.get_by_role("button", name=re.compile("Remove mark"))).to_have_count(0)  # they need JavaScript
    keep_screenshot(page, "log-form-body-map-no-js")
    page.get_by_role("button", name="Save entry").click()
    assert_entry_shows_marks_and_photo(
        page, "Front: left forearm: Bruise, about 3 cm, purple", "Back: upper back: Red mark, like a hand"
    )
    keep_screenshot(page, "entry-body-map-no-js")
