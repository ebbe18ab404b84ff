"""Nothing typed is lost, in a real browser: the log form saves a draft on the server
a couple of seconds after typing stops ("Draft saved 10:42"), and it comes back
after a reload, in a new tab, after a lost connection and after the session timed
out; saving the entry clears it. Another person on the same tablet never sees it.

The page's clock is Playwright's: it runs as a real one, and a test moves it past the
autosave's delay (2 s) instead of waiting for it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select, update

from cpoms.auth.models import UserSession
from cpoms.drafts import Draft
from cpoms.extensions import db
from cpoms.timefmt import now_utc
from conftest import fill_sign_in, open_page, sign_in, sign_in_with_the_form, sign_out

pytestmark = pytest.mark.browser

FIRST = "Amelia came in late and said she had not had breakfast; she was shivering."
MORE = " She said the heating at home has been off all week."


def narrative(page: Page):
    return page.get_by_label("What happened")


def status(page: Page):
    return page.locator("#draft-status")


AUTOSAVE_DELAY_MS = 2_000  # templates/_autosave.html: hx-trigger="input ... delay:2s"


def typing_stops(page: Page) -> None:
    """The autosave's delay passes, on the page's clock."""
    page.clock.fast_forward(AUTOSAVE_DELAY_MS)


def start_typing(page: Page, base: str, world) -> None:
    page.clock.install()  # for every page of the context, from its next document
    open_page(page, f"{base}/log?pupil={world.pupils[0].id}")
    page.get_by_role("radio", name=re.compile(r"^General welfare")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    narrative(page).press_sequentially(FIRST)
    expect(status(page)).to_have_text("")  # nothing saved while the delay runs
    typing_stops(page)
    expect(status(page)).to_have_text(re.compile(r"^Draft saved \d\d:\d\d$"))


def drafts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Draft))


def test_a_draft_comes_back_after_a_reload_and_in_a_new_tab_and_goes_once_saved(page: Page, app, live_server, world):
    sign_in(page, live_server, "teacher1")
    start_typing(page, live_server, world)
    assert status(page).get_attribute("aria-live") == "polite"  # announced, but not over the typing

    page.reload()
    expect(narrative(page)).to_have_value(FIRST)
    expect(page.get_by_role("status").first).to_contain_text("Your draft from")
    expect(
        page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile("Amelia Hassan"))
    ).to_be_checked()

    crashed = page.context.new_page()  # the tab crashed: a new one, the same person signed in
    open_page(crashed, f"{live_server}/log")
    expect(narrative(crashed)).to_have_value(FIRST)
    expect(crashed.get_by_role("radio", name=re.compile(r"General welfare"))).to_be_checked()

    crashed.get_by_label(re.compile(r"^The child.s own words")).fill("I'm cold.")  # an autosave's delay starts
    crashed.get_by_role("button", name="Save entry").click()
    late = []  # drafts sent once the entry is being saved: one would bring the text back
    page.context.on("request", lambda r: late.append(r.url) if r.url.endswith("/drafts") else None)
    crashed.get_by_role("button", name="Save as it is").click()  # the gentle check on a short account
    expect(crashed.get_by_role("status").first).to_contain_text("Your entry has been saved")
    typing_stops(crashed)  # longer than the autosave's delay: no late draft comes back
    open_page(crashed, f"{live_server}/")  # a round trip: a draft sent before it has arrived
    assert late == [] and drafts(app) == 0
    open_page(crashed, f"{live_server}/log")
    expect(narrative(crashed)).to_have_value("")


def test_offline_the_text_stays_and_is_saved_when_the_connection_is_back(page: Page, app, live_server, world):
    sign_in(page, live_server, "teacher1")
    start_typing(page, live_server, world)
    page.context.set_offline(True)
    narrative(page).press_sequentially(MORE)
    typing_stops(page)
    expect(status(page)).to_have_text("Not saved yet – offline")
    expect(narrative(page)).to_have_value(FIRST + MORE)

    page.context.set_offline(False)  # the browser says it is online again: the draft is sent at once
    expect(status(page)).to_have_text(re.compile(r"^Draft saved"))
    with app.app_context():
        assert MORE.strip() in db.session.scalar(select(Draft.data))
    page.reload()
    expect(narrative(page)).to_have_value(FIRST + MORE)


def test_a_draft_is_back_after_the_session_times_out(page: Page, app, live_server, world):
    sign_in(page, live_server, "teacher1")
    start_typing(page, live_server, world)
    with app.app_context():  # twenty minutes pass
        db.session.execute(update(UserSession).values(last_seen_at=now_utc() - timedelta(minutes=20)))
        db.session.commit()
    narrative(page).press_sequentially(MORE)
    typing_stops(page)  # the next autosave finds the session over
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    fill_sign_in(page, "teacher1")
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    expect(narrative(page)).to_have_value(FIRST + MORE)


def test_another_person_on_the_same_tablet_never_sees_the_draft(page: Page, app, live_server, world):
    sign_in_with_the_form(page, live_server, "teacher1")
    start_typing(page, live_server, world)
    sign_out(page)
    sign_in_with_the_form(page, live_server, "teacher2")
    open_page(page, f"{live_server}/log")
    expect(narrative(page)).to_have_value("")
    assert FIRST not in page.content()
    sign_out(page)
    sign_in_with_the_form(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    expect(narrative(page)).to_have_value(FIRST)
