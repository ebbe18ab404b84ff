"""The whole journey in Debian's Chromium, at a tablet, a phone and a laptop size, with
and without JavaScript: a teacher logs an entry about two pupils; the safeguarding
team is emailed (a real SMTP server), and the DSL reviews it, assesses the risk,
records a decision and closes it with an outcome; SLT read the pupil's chronology;
a governor reads the governors' review.

The clicks and keystrokes it takes to log the entry are counted and printed
(README, "Speed to log"); on the tablet the save button is on screen without
scrolling. The CDN that serves htmx is unreachable in every test (tests/test_browser.py).
"""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from playwright.sync_api import Page, expect

from conftest import Counter, assert_htmx_loaded, sign_in, sign_in_with_the_form, sign_out

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
VIEWPORTS = {"tablet": TABLET, "phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
NARRATIVE = (
    "At 10:40 in the Year 4 classroom Amelia Hassan and Oliver Nowak told me that an older boy "
    "took their dinner money at the gate this morning."
)
WORDS = "He said he would hit us if we told."
# What a governor reads: the pupils named in the text by their initials.
NARRATIVE_FOR_GOVERNORS = NARRATIVE.replace("Amelia Hassan", "A.H.").replace("Oliver Nowak", "O.N.")


def new_page(new_context, viewport: dict, javascript: bool = True) -> Page:
    context = new_context(java_script_enabled=javascript)  # the viewport comes from browser_context_args
    page = context.new_page()
    page.set_viewport_size(viewport)
    page.set_default_timeout(10_000)
    return page


def alert_link(smtp, base: str) -> str:
    """The entry's link in the alert email: the only way the DSL hears of it."""
    assert smtp.inbox.recipients == ["deputy@ashgrove.example.org", "dsl@ashgrove.example.org"]
    mail = message_from_bytes(smtp.inbox.messages[0].original_content)
    body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    for secret in ("Amelia", "Hassan", "Oliver", "dinner money"):
        assert secret not in body and secret not in mail["Subject"]
    return base + re.search(r"https?://[^/\s]+(/entries/\d+)", body).group(1)


def log_two_pupils_with_javascript(page: Page, base: str, viewport: dict) -> Counter:
    count = Counter()
    screens = [page.url]
    count.click(page.locator("a.button-hero", has_text="Log a concern"))
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    assert_htmx_loaded(page)
    screens.append(page.url)
    save = page.get_by_role("button", name="Save entry")
    if viewport == TABLET:
        assert_on_screen(page, save)
    search = page.get_by_label("Find a pupil by name or UPN")
    for typed, name in (("amel", "Amelia Hassan"), ("oli", "Oliver Nowak")):
        if search.input_value():
            count.click(search)
            search.press("Control+a")  # select what was typed: the next letters replace it
            count.keys += 1
            search.press_sequentially(typed)
            count.keys += len(typed)
        else:
            count.type(search, typed)
        count.click(page.locator("#pupil-results button.result", has_text=name))
        expect(
            page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile(name))
        ).to_be_checked()
    count.click(page.get_by_role("radio", name=re.compile(r"^Safeguarding")))
    count.click(page.get_by_role("radio", name="Pupil disclosure", exact=True))
    count.type(page.get_by_label("What happened"), NARRATIVE, free_text=True)
    count.type(page.get_by_label(re.compile(r"^The child.s own words")), WORDS, free_text=True)
    if viewport == TABLET:
        assert_on_screen(page, save)
    count.click(save)
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    screens.append(page.url)
    count.screens = len(screens)
    return count


def assert_on_screen(page: Page, locator) -> None:
    """Inside the viewport as it is now: no scrolling needed to find it."""
    expect(page.locator(".log-form > .form-actions")).to_have_css("position", "sticky")  # the stylesheet applies
    box = locator.bounding_box()
    size = page.viewport_size
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (box, size)


def review_assess_decide_close(page: Page, entry_url: str) -> None:
    page.goto(entry_url)
    expect(page.locator(".narrative .prose")).to_have_text(NARRATIVE)
    activity = page.locator("#activity")
    activity.get_by_role("button", name="Mark as reviewed").click()
    expect(page.locator("#activity .status-reviewed")).to_be_visible()

    activity.get_by_role("radio", name=re.compile(r"Assessment of risk$")).check()
    activity.get_by_label("Details").fill("Both children frightened; the boy is known to us. Risk while at the gate.")
    activity.get_by_label("Level of risk").select_option("medium")
    activity.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#activity .timeline-item.kind-risk_assessment")).to_contain_text("Risk: Medium")

    activity.get_by_role("radio", name=re.compile(r"Decision$")).check()
    activity.get_by_label("Details").fill("Staff on the gate at 8:30 for two weeks; parents told.")
    activity.get_by_label("Reason for the decision").fill("Proportionate: no harm yet, the threat was made.")
    activity.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#activity .timeline-item.kind-decision")).to_contain_text("Proportionate")

    activity.get_by_role("textbox", name="Final outcome", exact=True).fill("No further incidents; money returned.")
    activity.get_by_role("textbox", name="Why it can be closed now").fill("Parents agreed a plan; no concerns since.")
    activity.get_by_role("button", name="Close with this outcome").click()
    expect(page.locator("#activity .status-closed")).to_have_text("Closed")
    expect(page.locator("#activity .timeline-item.kind-closed")).to_contain_text("money returned")


def slt_reads_the_chronology(page: Page, entry_url: str) -> None:
    page.goto(entry_url)
    page.get_by_role("heading", level=1).get_by_role("link", name="Amelia Hassan").click()
    expect(page).to_have_url(re.compile(r"/pupils/\d+/chronology"))
    expect(page.get_by_text(NARRATIVE)).to_be_visible()
    expect(page.get_by_text("Proportionate: no harm yet", exact=False).first).to_be_visible()


def governor_reads_the_review(page: Page, base: str) -> None:
    page.get_by_role("link", name="Governors' review").first.click()
    expect(page).to_have_url(re.compile(r"/oversight"))
    expect(page.get_by_text(NARRATIVE_FOR_GOVERNORS)).to_be_visible()
    assert "Amelia" not in page.content() and "Nowak" not in page.content()
    expect(page.get_by_text("No further incidents; money returned.").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\bA\.H\.")).first).to_be_visible()  # the pupil by initials


def open_menu_if_folded(page: Page) -> None:
    """On a narrow screen the menu folds into a <details> ("Menu"): open it."""
    menu = page.locator("details.nav-menu")
    if menu.count() and menu.is_visible() and not menu.evaluate("d => d.open"):
        menu.locator("summary").click()


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_whole_journey_with_javascript(
    new_context, live_server, mail_app, smtp, world, teacher_enrolled, size, capsys
):
    viewport = VIEWPORTS[size]
    page = new_page(new_context, viewport)
    sign_in(page, live_server, "teacher1", mail_app)
    count = log_two_pupils_with_javascript(page, live_server, viewport)
    expect(page.get_by_role("heading", level=1)).to_have_text("Amelia Hassan, Oliver Nowak")
    with capsys.disabled():
        print(
            f"\n[speed to log, {size} {viewport['width']}x{viewport['height']}] {count.screens} screens, "
            f"{count.clicks} clicks/taps, {count.keys} keystrokes ({count.keys - count.free_text_keys} outside "
            f"the two free-text boxes, {count.free_text_keys} of free text)"
        )
    assert count.screens <= 3
    entry_url = alert_link(smtp, live_server)
    assert page.url == entry_url
    sign_out(page)

    sign_in(page, live_server, "dsl", mail_app)
    review_assess_decide_close(page, entry_url)
    sign_out(page)

    sign_in(page, live_server, "slt", mail_app)
    slt_reads_the_chronology(page, entry_url)
    sign_out(page)

    sign_in(page, live_server, "governor", mail_app)
    open_menu_if_folded(page)
    governor_reads_the_review(page, live_server)


def test_the_whole_journey_without_javascript(new_context, live_server, mail_app, smtp, world, teacher_enrolled):
    page = new_page(new_context, TABLET, javascript=False)

    sign_in_with_the_form(page, live_server, "teacher1", mail_app, javascript=False)
    page.locator("a.button-hero", has_text="Log a concern").click()
    assert_on_screen(page, page.get_by_role("button", name="Save entry"))
    for typed, name in (("amel", "Amelia Hassan"), ("oli", "Oliver Nowak")):
        page.get_by_label("Find a pupil by name or UPN").fill(typed)
        page.get_by_role("button", name="Find", exact=True).click()
        page.locator("#pupil-results li", has_text=name).get_by_role("button").click()
        expect(
            page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile(name))
        ).to_be_checked()
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    page.get_by_role("radio", name="Pupil disclosure", exact=True).check()
    page.get_by_label("What happened").fill(NARRATIVE)
    page.get_by_label(re.compile(r"^The child.s own words")).fill(WORDS)
    page.get_by_role("button", name="Save entry").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    entry_url = alert_link(smtp, live_server)
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_the_form(page, live_server, "dsl", mail_app, javascript=False)
    review_assess_decide_close(page, entry_url)
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_the_form(page, live_server, "slt", mail_app, javascript=False)
    slt_reads_the_chronology(page, entry_url)
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_the_form(page, live_server, "governor", mail_app, javascript=False)
    open_menu_if_folded(page)
    governor_reads_the_review(page, live_server)
