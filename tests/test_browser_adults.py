"""Concerns about adults in a real browser (Chromium) at a tablet's 768 px, with htmx and
without JavaScript: a member of staff raises one, the headteacher assesses it, records the
LADO consultation and the outcome. Screenshots (checked with axe) go to
test-artifacts/screenshots/; the pages the user guide shows to docs/screenshots/ too under
`make screenshots` (conftest.keep_screenshot)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cpoms.extensions import db
from cpoms.models import Role, RoleAssignment
from cpoms.timefmt import now_utc, uk_local_input
from conftest import check_page, make_user, signed_in_browser

pytestmark = pytest.mark.browser
WHAT = "Shouted at a pupil in the corridor and grabbed his sleeve."


@pytest.fixture
def head(app, world):
    with app.app_context():
        user = make_user("Hana Head", "head@ashgrove.example.org", two_factor=True)
        user.roles.append(RoleAssignment(role=Role.HEADTEACHER, school_id=world.school.id))
        db.session.commit()
    return app


@pytest.mark.docs_screenshots
@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_raise_assess_consult_the_lado_and_record_the_outcome(new_context, app, live_server, world, head, javascript):
    problems: list[str] = []
    suffix = "" if javascript else "-nojs"
    # A member of staff (without two-factor sign-in) raises it from the home page.
    staff = signed_in_browser(new_context, live_server, "teacher2", None, javascript)
    staff.get_by_role("link", name="Raise a concern about an adult").click()
    expect(staff.get_by_role("heading", name="Raise a concern about an adult")).to_be_visible()
    expect(staff.locator('input[name="submission_key"]')).to_be_hidden()  # the form's one-time key
    staff.get_by_role("radio", name="A member of staff").check()
    staff.get_by_label("Choose them from the school's staff").select_option(label="Teacher1")
    staff.get_by_label("When did it happen?").fill(uk_local_input(now_utc() - timedelta(hours=1)))
    staff.get_by_label("Where did it happen?").fill("Upper corridor")
    staff.get_by_label("What happened").fill(WHAT)
    staff.get_by_label("What was said, in the words used (optional)").fill("Get back in line.")
    # The child, with the log form's picker: a typeahead with htmx; "Find" posts the form back without.
    staff.get_by_label("Find a child by name or UPN").fill("Ame")
    if not javascript:
        staff.get_by_role("button", name="Find").click()
        expect(staff.get_by_label("What happened")).to_have_value(WHAT)  # what was typed is kept
    staff.get_by_role("button", name=re.compile("^Amelia Hassan")).click()
    expect(staff.get_by_role("checkbox", name=re.compile("Amelia Hassan"))).to_be_checked()
    if javascript:
        check_page(staff, "adult-concern-raise-768", problems)
    staff.get_by_role("button", name="Send to the case manager").click()
    expect(staff.get_by_role("heading", name="Your concern was received")).to_be_visible()
    assert WHAT not in staff.content()
    if javascript:
        check_page(staff, "adult-concern-received-768", problems)
    staff.context.close()

    # The headteacher: home page, the list, the concern, then the follow-ups.
    manager = signed_in_browser(new_context, live_server, "head", app, javascript)
    manager.get_by_role("link", name="1 concern without an outcome").click()
    manager.get_by_role("link", name="Teacher1").click()
    expect(manager.get_by_text(WHAT)).to_be_visible()
    manager.get_by_role("link", name="Assessment", exact=True).click()
    manager.get_by_role("radio", name="Allegation: may meet the harm threshold").check()
    manager.get_by_label("Why").fill("Physical handling of a child.")
    manager.get_by_role("button", name="Save assessment").click()
    expect(manager.get_by_text("Assessment saved.")).to_be_visible()
    expect(manager.get_by_text("LADO consultation due")).to_be_visible()
    manager.get_by_role("link", name="LADO consultation", exact=True).click()
    manager.get_by_label("Date of the consultation").fill(now_utc().date().isoformat())
    manager.get_by_label("LADO's name").fill("Lee Lado")
    manager.get_by_label("LADO's reference (optional)").fill("LADO/42")
    manager.get_by_label("The LADO's advice").fill("Consider suspension; strategy meeting.")
    manager.get_by_role("button", name="Save lado consultation").click()
    expect(manager.get_by_text("LADO consultation saved.")).to_be_visible()
    manager.get_by_role("link", name="Outcome", exact=True).click()
    manager.get_by_role("radio", name=re.compile("^Substantiated")).check()
    manager.get_by_label("How the outcome was reached").fill("Two witnesses.")
    manager.get_by_role("button", name="Save outcome").click()
    expect(manager.get_by_text("Outcome saved.")).to_be_visible()
    expect(manager.get_by_text("Outcome: Substantiated").first).to_be_visible()
    expect(manager.get_by_text("Amelia Hassan")).to_be_visible()
    check_page(manager, f"adult-concern-768{suffix}", problems, javascript, docs=javascript)
    concern_url = manager.url.split("#")[0]
    # For a reference: the substantiated allegation is listed.
    manager.get_by_role("link", name="For a reference: substantiated allegations about them").click()
    expect(manager.get_by_role("heading", name="For a reference: Teacher1")).to_be_visible()
    expect(manager.get_by_text(WHAT)).to_be_visible()
    # Retention: the date of birth, recorded as a follow-up, gives the review date and why.
    manager.goto(concern_url)
    manager.get_by_role("link", name="Dates for retention", exact=True).click()
    manager.get_by_label("Their date of birth (optional)").fill("1975-03-04")
    manager.get_by_label("Where these dates come from").fill("The personnel file.")
    manager.get_by_role("button", name="Save dates for retention").click()
    expect(manager.get_by_text("Dates for retention saved.")).to_be_visible()
    manager.goto(f"{live_server}/adult-concerns/retention")
    expect(manager.get_by_text(re.compile(r"normal retirement \(age 67, from their date of birth\)"))).to_be_visible()
    check_page(manager, f"adult-concern-retention-768{suffix}", problems, javascript, docs=javascript)
    manager.goto(f"{live_server}/adult-concerns/report")
    expect(manager.get_by_role("heading", name="Concerns about adults: counts per term")).to_be_visible()
    check_page(manager, f"adult-concern-report-768{suffix}", problems, javascript, docs=javascript)
    manager.goto(concern_url)
    # The same page on a phone.
    narrow = manager.context.new_page()
    narrow.set_viewport_size({"width": 390, "height": 844})
    narrow.goto(manager.url)
    check_page(narrow, f"adult-concern-390{suffix}", problems, javascript)
    if javascript:  # a page without JavaScript runs no script, the test's neither
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
        # The retention review, the counts (their table scrolls in its own region) and the deletion page too.
        for path in (
            "/adult-concerns/retention",
            "/adult-concerns/report",
            concern_url.replace(live_server, "") + "/deletion",
        ):
            narrow.goto(live_server + path)
            name = "adult-concern-" + path.strip("/").replace("/", "-").replace("adult-concerns-", "") + "-390"
            check_page(narrow, name, problems)
            assert narrow.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert not problems, "\n".join(problems)
