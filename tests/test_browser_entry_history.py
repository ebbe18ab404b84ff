"""Concerns that evolve, in a real browser: the safeguarding team adds a category,
corrects the record, links entries and closes with a rationale, in place with
htmx and through plain forms without JavaScript; the rarer actions are folds."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import assert_no_reload, check_page, open_page, set_marker, sign_in, signed_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def story(app, world, make_entry, client, auth):
    """A behaviour entry teacher1 recorded, a follow-up by the DSL, and another entry about the same pupil."""
    entry_id = make_entry(category="Behaviour", narrative="Amelia pushed a classmate at lunch; she said nothing.")
    other_id = make_entry(category="Safeguarding", narrative="Amelia said she is scared to go home on Fridays.")
    auth.as_(world["dsl"])
    client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": "Spoke to Amelia at 2pm."})
    return entry_id, other_id


def test_team_evolves_a_concern_in_place_with_htmx(page: Page, app, live_server, world, story):
    entry_id, other_id = story
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/entries/{entry_id}")
    set_marker(page)
    activity = page.locator("#activity")

    # The rarer actions are folded away until opened.
    for fold in ("Link a related entry", "Add a category", "Correct the record"):
        expect(activity.locator("details", has=page.locator("summary", has_text=fold))).not_to_have_attribute(
            "open", ""
        )
    expect(activity.get_by_label("Category to add")).to_be_hidden()

    # A later category: the header says it at once, and still "recorded as" Behaviour.
    activity.locator("summary", has_text="Add a category").click()
    activity.get_by_label("Category to add").select_option(label="Safeguarding")
    activity.get_by_label("Why it now also belongs in this category").fill("Disclosure about home on Fridays.")
    activity.get_by_role("button", name="Add this category").click()
    expect(page.locator("#later-categories")).to_contain_text("Now also: Safeguarding")
    expect(page.locator(".facts")).to_contain_text("Behaviour")
    assert_no_reload(page)

    # A correction of the account: shown beneath the original, which stays.
    activity.locator("summary", has_text="Correct the record").click()
    activity.get_by_label("What are you correcting?").select_option(label="What happened (the account first recorded)")
    activity.get_by_label("The correction").fill("She pushed him twice, not once.")
    activity.get_by_label("Why it needs correcting").fill("The lunchtime supervisor saw it too.")
    activity.get_by_role("button", name="Add the correction").click()
    narrative = page.locator(".narrative")
    expect(narrative.locator("#narrative-amendments")).to_contain_text("She pushed him twice, not once.")
    expect(narrative.locator(".prose").first).to_have_text("Amelia pushed a classmate at lunch; she said nothing.")
    expect(narrative.locator(".tag-amended")).to_be_visible()
    assert_no_reload(page)

    # A correction of a follow-up.
    activity.locator("summary", has_text="Correct the record").click()
    activity.get_by_label("What are you correcting?").select_option(
        index=2
    )  # after "choose" and the account: the follow-up
    activity.get_by_label("The correction").fill("It was 2.30pm.")
    activity.get_by_label("Why it needs correcting").fill("Checked the register.")
    activity.get_by_role("button", name="Add the correction").click()
    expect(activity.locator(".timeline-item.kind-action .amendment")).to_contain_text("It was 2.30pm.")
    assert_no_reload(page)

    # A link, picked from the pupil's other entries (listed in place when asked for); an
    # empty pick is refused in place.
    activity.locator("summary", has_text="Link a related entry").click()
    activity.get_by_role("link", name="Choose from the pupils' recent entries").click()
    expect(activity.get_by_label("Another entry about the same pupil")).to_be_focused()
    activity.get_by_role("button", name="Link these entries").click()
    expect(activity.get_by_role("alert")).to_contain_text("Choose the entry to link, or type its number.")
    activity.get_by_label("Another entry about the same pupil").select_option(value=str(other_id))
    activity.get_by_label("How the entries are related").fill("Same worry about home.")
    activity.get_by_role("button", name="Link these entries").click()
    expect(activity.locator("#linked-entries")).to_contain_text(f"Entry {other_id}")
    expect(activity.locator("#linked-entries")).to_contain_text("Same worry about home.")
    assert_no_reload(page)

    # Closing needs the outcome and the rationale; what was typed stays on a refusal.
    activity.get_by_role("textbox", name="Final outcome", exact=True).fill("Early help in place.")
    activity.get_by_role("button", name="Close with this outcome").click()
    expect(activity.get_by_role("alert")).to_contain_text("Give the reason it can be closed now.")
    expect(activity.get_by_role("textbox", name="Final outcome", exact=True)).to_have_value("Early help in place.")
    activity.get_by_role("textbox", name="Why it can be closed now").fill("No concerns for six weeks.")
    activity.get_by_role("button", name="Close with this outcome").click()
    expect(activity.locator(".status-closed")).to_have_text("Closed")
    history = activity.locator("#status-history")
    expect(history).to_contain_text("No concerns for six weeks.")
    expect(history.locator("strong", has_text=re.compile("^(Opened|Closed)$"))).to_have_count(2)
    assert_no_reload(page)

    # The other entry shows the link too.
    open_page(page, f"{live_server}/entries/{other_id}")
    expect(page.locator("#linked-entries")).to_contain_text(f"Entry {entry_id}")

    # Screenshots at 768x1024, and no serious accessibility problems on the page.
    problems: list[str] = []
    open_page(page, f"{live_server}/entries/{entry_id}")
    check_page(page, "entry-history", problems)
    assert problems == []


@pytest.fixture
def dsl_nojs(new_context, live_server, app, world) -> Page:
    return signed_in_browser(new_context, live_server, "dsl", app, javascript=False)


def test_amending_and_closing_without_javascript(dsl_nojs: Page, live_server, story):
    page = dsl_nojs
    entry_id, other_id = story
    page.goto(f"{live_server}/entries/{entry_id}")

    # A link chosen from the pupil's entries: the form, then the list, are plain links away.
    page.locator("summary", has_text="Link a related entry").click()
    page.locator("#link-entry").get_by_role("link", name="Open the form").click()
    expect(page).to_have_url(re.compile(rf"/entries/{entry_id}\?form=link#link-entry$"))
    page.get_by_role("link", name="Choose from the pupils' recent entries").click()
    expect(page).to_have_url(re.compile(rf"/entries/{entry_id}\?link=choose#link-entry$"))
    page.get_by_label("Another entry about the same pupil").select_option(value=str(other_id))
    page.get_by_label("How the entries are related").fill("Both about home.")
    page.get_by_role("button", name="Link these entries").click()
    expect(page.locator("#linked-entries")).to_contain_text(f"Entry {other_id}")

    # A correction with no reason: the form again (its fold open), what was typed kept.
    page.locator("summary", has_text="Correct the record").click()
    page.locator("#correct-record").get_by_role("link", name="Open the form").click()
    expect(page.locator("#correct-record")).to_have_attribute("open", "")
    page.get_by_label("What are you correcting?").select_option(label="What happened (the account first recorded)")
    page.get_by_label("The correction").fill("At 12.40, not 12.15.")
    page.get_by_role("button", name="Add the correction").click()
    expect(page.get_by_role("alert").first).to_contain_text("Give the reason for the correction.")
    expect(page.get_by_label("The correction")).to_have_value("At 12.40, not 12.15.")
    page.get_by_label("Why it needs correcting").fill("Wrong time.")
    page.get_by_role("button", name="Add the correction").click()
    expect(page).to_have_url(re.compile(rf"/entries/{entry_id}#activity$"))
    expect(page.locator("#narrative-amendments")).to_contain_text("At 12.40, not 12.15.")

    page.get_by_role("textbox", name="Final outcome", exact=True).fill("Parents met; plan agreed.")
    page.get_by_role("textbox", name="Why it can be closed now").fill("Plan working for a month.")
    page.get_by_role("button", name="Close with this outcome").click()
    expect(page).to_have_url(re.compile(rf"/entries/{entry_id}#activity$"))
    expect(page.locator("#activity .status-closed")).to_have_text("Closed")
    expect(page.locator("#status-history")).to_contain_text("Plan working for a month.")
    assert page.evaluate("() => typeof window.htmx") == "undefined"
