"""What a person sees at 768x1024: the entry page's rarer actions and the log form's category
descriptions are folds, closed at first, with 44 px targets, that open with a tap (and without
JavaScript); a tap on a category's card still chooses it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import keep_screenshot, open_page, sign_in
from helpers import some_records

pytestmark = pytest.mark.browser

FOLDS = ("Link a related entry", "Add a category", "Correct the record")


def test_entry_page_leads_with_the_follow_up_form_and_folds_the_rest(page: Page, app, live_server, world, make_entry):
    entry_id = some_records(app, world, make_entry)
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/entries/{entry_id}")
    activity = page.locator("#activity")
    follow_up_form = activity.get_by_role("button", name="Add", exact=True)
    for name in FOLDS:
        summary = activity.locator("summary", has_text=name)
        expect(summary).to_be_visible()
        assert summary.bounding_box()["height"] >= 44, name
        assert summary.bounding_box()["y"] > follow_up_form.bounding_box()["y"], name
    expect(activity.get_by_label("The correction")).to_be_hidden()
    height = page.evaluate("document.documentElement.scrollHeight")
    keep_screenshot(page, "entry-dsl-768")
    assert height < 3300, height  # over 4,300 px with every form open

    activity.locator("summary", has_text="Correct the record").click()
    expect(activity.get_by_label("The correction")).to_be_visible()


def test_log_form_descriptions_are_one_line_and_a_tap_away(page: Page, app, live_server, world):
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    card = page.locator(".radio-described", has=page.get_by_role("radio", name=re.compile("^Safeguarding")))
    hint = card.locator(".radio-hint")
    one_line = hint.bounding_box()["height"]
    assert one_line < 30, one_line
    more = card.locator("summary")
    assert card.locator("summary").bounding_box()["height"] >= 44
    # "More" opens the whole description, and does not choose the category.
    more.click()
    expect(card.locator("details")).to_have_attribute("open", "")
    assert hint.bounding_box()["height"] > 2 * one_line
    expect(page.get_by_role("radio", name=re.compile("^Safeguarding"))).not_to_be_checked()
    # A tap on the card's name chooses it (and shows all of its description).
    other = page.locator(".radio-described", has=page.get_by_role("radio", name=re.compile("^Behaviour")))
    page.get_by_role("radio", name=re.compile("^Behaviour")).click()  # the middle of its card
    expect(page.get_by_role("radio", name=re.compile("^Behaviour"))).to_be_checked()
    assert other.locator(".radio-hint").bounding_box()["height"] > 2 * one_line
    keep_screenshot(page, "log-form-768")
    assert page.evaluate("document.documentElement.scrollHeight") < 2200  # 2,338 px before
