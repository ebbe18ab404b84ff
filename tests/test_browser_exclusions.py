"""Keeping a record from named staff in a real browser (Chromium) at a tablet's 768 px and a
phone's 390 px, with htmx and without JavaScript: the DSL excludes SLT from a child's record
from the chronology, SLT then finds the chronology missing, and the DSL ends the exclusion.
Screenshots (checked with axe) go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import check_page, signed_in_browser

pytestmark = pytest.mark.browser
REASON = "Is the child's aunt."


def targets_are_big_enough(page: Page, selector: str) -> None:
    for box in page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.height, r.width]; })"
    ):
        name, height, width = box
        assert height >= 44 and width >= 44, f"{name!r} is {width}x{height} px"


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_dsl_excludes_a_colleague_and_ends_it(new_context, app, live_server, world, javascript):
    problems: list[str] = []
    suffix = "" if javascript else "-nojs"
    amelia = world.pupils[0]
    chronology = f"{live_server}/pupils/{amelia.id}/chronology"

    dsl = signed_in_browser(new_context, live_server, "dsl", app, javascript)
    dsl.goto(chronology)
    section = dsl.locator("#exclusions")
    expect(section.get_by_role("heading", name="Who may not read this record")).to_be_visible()
    section.get_by_role("link", name="Exclude a member of staff or end an exclusion").click()
    expect(dsl.get_by_role("heading", name="Exclude a member of staff")).to_be_visible()
    # A reason is needed: the form comes back with the message, nothing saved.
    dsl.get_by_label("Member of staff to exclude").select_option(value=str(world["slt"].id))
    dsl.get_by_role("button", name="Exclude from this record").click()
    expect(dsl.get_by_text("Give the reason for the exclusion.").first).to_be_visible()
    dsl.get_by_label("Member of staff to exclude").select_option(value=str(world["slt"].id))
    dsl.get_by_label("Why may they not read this record?").fill(REASON)
    targets_are_big_enough(dsl, "main button, main .button, main select")
    check_page(dsl, f"exclusions-768{suffix}", problems, javascript)
    dsl.get_by_role("button", name="Exclude from this record").click()
    expect(dsl).to_have_url(f"{chronology}#exclusions")
    expect(section.get_by_text(REASON)).to_be_visible()
    expect(section.get_by_text("Slt")).to_be_visible()

    # SLT, who read every entry of the school, now find her record missing.
    slt = signed_in_browser(new_context, live_server, "slt", app, javascript)
    response = slt.goto(chronology)
    assert response.status == 404
    slt.goto(f"{live_server}/review")
    assert "Amelia" not in slt.content()
    slt.context.close()

    # The page on a phone; then the DSL ends the exclusion.
    dsl.goto(f"{live_server}/pupils/{amelia.id}/exclusions")
    narrow = dsl.context.new_page()
    narrow.set_viewport_size({"width": 390, "height": 844})
    narrow.goto(dsl.url)
    check_page(narrow, f"exclusions-390{suffix}", problems, javascript)
    if javascript:
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
        targets_are_big_enough(narrow, "main button, main .button, main select")
    narrow.close()
    dsl.get_by_label("Why is the exclusion ending?").fill("The family has moved away.")
    dsl.get_by_role("button", name="End this exclusion").click()
    expect(dsl).to_have_url(f"{chronology}#exclusions")
    expect(section.get_by_text("Nobody is excluded")).to_be_visible()
    if javascript:
        check_page(dsl, f"exclusions-chronology-768{suffix}", problems)
    assert not problems, "\n".join(problems)
