"""A real browser (Debian's Chromium through Playwright) against a live server.

The htmx <script> points at a CDN this machine (and many school intranets) cannot
reach: every test aborts requests to it, so the page must start on the copy we
ship in static/js/htmx.min.js.

Run these alone with `make test PYTEST_ARGS="-m browser"`. Screenshots go to
test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from cpoms.auth.models import UserSession
from cpoms.extensions import db
from cpoms.models import Entry
from cpoms.timefmt import now_utc

from conftest import (
    SCHOOL,
    keep_screenshot,
    VIEWPORT,
    Counter,
    assert_htmx_loaded,
    assert_no_reload,
    fill_sign_in,
    find_and_add,
    open_page,
    set_marker,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.browser


# --- set-up --------------------------------------------------------------------


# --- a) the whole journey with htmx ------------------------------------------------


def test_log_review_follow_up_close(
    page: Page, live_server, mail_app, smtp, world, make_entry, capsys, teacher_enrolled
):
    app = mail_app
    # Two older entries, so "first in the queue" means something.
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[1]],
        category="Behaviour",
        narrative="Older entry: pushed in the lunch queue.",
    )
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[2]],
        category="General welfare",
        narrative="Older entry: tired and hungry on arrival.",
    )

    sign_in(page, live_server, "teacher1", app)
    narrative = "At 10:40 in the Year 4 classroom Amelia Hassan said her arm hurt. I saw a bruise on her left forearm."
    words = "Dad grabbed me when I spilt my juice."

    count = Counter()
    count.click(page.locator("a.button-hero", has_text="Log a concern"))
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    assert_htmx_loaded(page)
    form_url = page.url
    set_marker(page)

    # The typeahead: results appear as we type, without submitting the form.
    count.type(page.get_by_label("Find a pupil by name or UPN"), "amel")
    result = page.locator("#pupil-results button.result", has_text="Amelia Hassan")
    expect(result).to_be_visible()
    assert page.url == form_url
    assert_no_reload(page)

    count.click(result)
    chips = page.get_by_role("list", name="Pupils on this entry")
    chip = chips.get_by_role("checkbox", name=re.compile("Amelia Hassan"))
    expect(chip).to_be_checked()
    assert_no_reload(page)

    count.click(page.get_by_role("radio", name=re.compile(r"^Safeguarding")))
    count.click(page.get_by_role("radio", name="Pupil disclosure", exact=True))
    count.type(page.get_by_label("What happened"), narrative, free_text=True)
    count.type(page.get_by_label(re.compile(r"^The child.s own words")), words, free_text=True)
    count.click(page.get_by_role("button", name="Save entry"))

    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_have_text(narrative)
    expect(page.locator(".child-words")).to_have_text(words)
    expect(page.get_by_role("heading", level=1)).to_have_text("Amelia Hassan")
    entry_path = page.url.removeprefix(live_server)
    with capsys.disabled():
        print(
            f"\n[journey] logging one entry took {count.clicks} clicks/taps and {count.keys} keystrokes "
            f"({count.keys - count.free_text_keys} outside the narrative and the child's words; "
            f"{count.free_text_keys} of free text)"
        )

    # The alert went straight out to the whole safeguarding team, with no details in it.
    assert smtp.inbox.recipients == [f"deputy@{SCHOOL}", f"dsl@{SCHOOL}"]
    for envelope in smtp.inbox.messages:
        mail = message_from_bytes(envelope.original_content)
        body = "".join(part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
        assert entry_path in body
        for secret in ("Amelia", "Hassan", "bruise", "juice"):
            assert secret not in body and secret not in mail["Subject"]

    sign_out(page)
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/review")
    rows = page.locator("#queue .entry-row")
    expect(rows).to_have_count(3)
    first = rows.first.locator("a.entry-row-link")
    expect(first).to_have_attribute("href", entry_path)
    expect(first).to_contain_text("Safeguarding")
    first.click()
    expect(page.locator(".narrative .prose")).to_have_text(narrative)
    assert_htmx_loaded(page)
    activity = page.locator("#activity")
    set_marker(page)

    activity.get_by_role("button", name="Mark as reviewed").click()
    expect(activity.locator(".status-reviewed")).to_be_visible()
    expect(activity.get_by_role("button", name="Record a further review")).to_be_visible()
    assert_no_reload(page)

    activity.get_by_role("radio", name="Action taken", exact=True).check()
    activity.get_by_label("Details").fill("Spoke to Amelia with the class teacher; referred to children's social care.")
    activity.get_by_role("button", name="Add", exact=True).click()
    item = activity.locator(".timeline-item.kind-action")
    expect(item).to_contain_text("Action taken")
    expect(item).to_contain_text("referred to children's social care")
    assert_no_reload(page)

    activity.get_by_role("textbox", name="Final outcome", exact=True).fill(
        "Social care visited; family supported by Early Help."
    )
    activity.get_by_role("textbox", name="Why it can be closed now").fill("Plan in place; no new concerns for a month.")
    activity.get_by_role("button", name="Close with this outcome").click()
    expect(activity.locator(".status-closed")).to_have_text("Closed")
    expect(activity.locator(".timeline-item.kind-closed")).to_contain_text("Early Help")
    expect(activity.get_by_role("button", name="Reopen")).to_be_visible()
    assert_no_reload(page)
    assert page.url.removeprefix(live_server) == entry_path

    # And it was all saved: a fresh load shows the same.
    page.reload()
    expect(page.locator("#activity .status-closed")).to_be_visible()
    expect(page.locator("#activity .timeline-item")).to_have_count(3)  # reviewed, action, closed


# --- b) no JavaScript ----------------------------------------------------------------


def test_log_without_javascript(nojs: Page, live_server, world):
    page = nojs
    find_and_add(page, live_server, "Oliver Nowak", "oli")
    page.get_by_role("radio", name=re.compile(r"^Behaviour")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    narrative = "Oliver Nowak threw a chair in the hall at 13:10 during the lunchtime football club. Nobody was hurt."
    page.get_by_label("What happened").fill(narrative)
    page.get_by_role("button", name="Save entry").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_have_text(narrative)
    expect(page.get_by_role("status")).to_have_text("Your entry has been saved.")
    assert page.evaluate("() => typeof window.htmx") == "undefined"


def test_validation_error_without_javascript_keeps_what_was_typed(nojs: Page, live_server, world):
    page = nojs
    find_and_add(page, live_server, "Isla Hartley", "hart")
    narrative = "Isla Hartley was crying at the gate and would not say why.\nHer coat was soaked."
    page.get_by_role("radio", name="Parent or carer", exact=True).check()
    page.get_by_label("What happened").fill(narrative)
    page.get_by_role("button", name="Save entry").click()  # no category chosen

    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Choose a category.")
    category = page.locator("fieldset#category")
    expect(category.locator(".field-error")).to_contain_text("Choose a category.")
    expect(category).to_have_attribute("aria-describedby", re.compile(r"\bcategory-error\b"))
    expect(page.get_by_label("What happened")).to_have_value(narrative)
    # (A checked pill's name gains the CSS "✓ " glyph, so match the end of it.)
    expect(page.get_by_role("radio", name=re.compile(r"\bParent or carer$"))).to_be_checked()
    expect(
        page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile("Isla Hartley"))
    ).to_be_checked()

    # Put it right and the same form saves.
    page.get_by_role("radio", name=re.compile(r"^General welfare")).check()
    page.get_by_role("button", name="Save entry").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_contain_text("Her coat was soaked.")


# --- c) accessibility and screenshots ------------------------------------------------


def test_a_chosen_option_keeps_its_name(page: Page, live_server, world):
    """A screen reader hears the option's own name once it is chosen, not 'check mark ...'."""
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    for name in ("Parent or carer", "Safeguarding"):
        option = page.get_by_role("radio", name=re.compile(rf"^{name}"))
        option.check()
        expect(option).to_have_accessible_name(re.compile(rf"^{name}"))


# --- f) hide screen, and the Content-Security-Policy holds in a real browser -------------


def test_hide_screen_blanks_the_page_and_keeps_what_was_typed(page: Page, live_server, world):
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    page.get_by_label("What happened").fill("Typed before a child came up to the tablet.")
    page.get_by_role("link", name="Hide screen").click()
    overlay = page.locator("#privacy-screen")
    expect(overlay).to_be_visible()
    assert page.title() == "Concern log"
    # Whatever point of the screen is touched lands on the overlay; the page under it is inert.
    assert page.evaluate("""() => [[10, 10], [384, 200], [700, 1000]].every(([x, y]) =>
        document.getElementById('privacy-screen').contains(document.elementFromPoint(x, y)))""")
    assert page.evaluate("() => document.getElementById('main').inert")
    box = overlay.bounding_box()
    assert box["width"] >= VIEWPORT["width"] and box["height"] >= VIEWPORT["height"]
    page.keyboard.press("Escape")  # keys do not bring it back
    expect(overlay).to_be_visible()
    keep_screenshot(page, "hide-screen", full_page=False)
    page.get_by_role("button", name="Show the screen").click()
    expect(overlay).to_be_hidden()
    expect(page.get_by_label("What happened")).to_have_value("Typed before a child came up to the tablet.")
    page.get_by_label("What happened").press("Escape")  # the shortcut hides it again
    expect(overlay).to_be_visible()


def test_hide_screen_without_javascript_goes_to_a_blank_page_and_back(nojs: Page, live_server, world):
    nojs.goto(f"{live_server}/log")
    nojs.get_by_role("link", name="Hide screen").click()
    expect(nojs.get_by_text("Screen hidden")).to_be_visible()
    assert nojs.get_by_role("button", name="Sign out").count() == 0
    nojs.get_by_role("link", name="Show the screen").click()
    assert nojs.url.endswith("/log")


def test_no_content_security_policy_violations(page: Page, app, live_server, world, make_entry):
    """Every page the DSL opens, the typeahead included, runs with no CSP report."""
    entry_id = make_entry()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, live_server, "dsl", app)
    for path in [
        "/",
        "/log",
        "/review",
        f"/entries/{entry_id}",
        f"/pupils/{world.pupils[0].id}/chronology",
        f"/pupils/{world.pupils[0].id}/viewers",
    ]:
        open_page(page, f"{live_server}{path}")
    open_page(page, f"{live_server}/log")
    page.get_by_label("Find a pupil").press_sequentially("Ame")
    expect(page.get_by_text("Hassan").first).to_be_visible()
    assert violations == []


# --- d) a session that times out while someone types ----------------------------------


def test_text_typed_when_the_session_times_out_is_back_after_signing_in(page: Page, app, live_server, world):
    """On a shared tablet: a teacher starts an entry, is called away, the session
    times out; pressing Save sends them to sign in, and what they typed comes back."""
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    narrative = (
        "Amelia said she was scared to go home because of the shouting last night, "
        "and she cried quietly at her desk before the register."
    )
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    page.get_by_role("radio", name="Pupil disclosure", exact=True).check()
    page.get_by_label("What happened").fill(narrative)
    page.get_by_label(re.compile(r"^The child.s own words")).fill("Mum and him shout all the time.")

    with app.app_context():  # twenty minutes pass
        db.session.execute(update(UserSession).values(last_seen_at=now_utc() - timedelta(minutes=20)))
        db.session.commit()
    page.get_by_role("button", name="Save entry").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("What you typed has been kept")).to_be_visible()
    fill_sign_in(page, "teacher1")
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    expect(page.get_by_text("What you had typed is back in the form")).to_be_visible()
    expect(page.get_by_label("What happened")).to_have_value(narrative)
    expect(page.get_by_label(re.compile(r"^The child.s own words"))).to_have_value("Mum and him shout all the time.")
    expect(
        page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile("Amelia Hassan"))
    ).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile(r"\bPupil disclosure$"))).to_be_checked()
    keep_screenshot(page, "16-draft-restored")

    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("status").first).to_contain_text("Your entry has been saved (reference: entry")
    with app.app_context():
        assert db.session.scalar(select(Entry.narrative)) == narrative
