"""The main pages at tablet size (768x1024), the pictures the README and the user guide
show, and the pages axe checks as they are shot.

All go to test-artifacts/screenshots/ (gitignored), so a test run never rewrites committed
files; `make screenshots` also rewrites the docs' pictures in docs/screenshots/
(conftest.keep_screenshot).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, SCHOOL, SCREENSHOTS, check_page, keep_screenshot, open_page, sign_in, sign_out, totp_code
from helpers import monitor, some_records
from helpers import make_task

pytestmark = pytest.mark.browser


@pytest.mark.docs_screenshots
def test_screenshots_of_the_main_pages(page: Page, app, live_server, world, make_entry, teacher_enrolled):
    """The pictures in docs/user-guide.md and the README: the first screen of each page."""
    entry_id = some_records(app, world, make_entry)
    shots = []

    def shot(name: str, path: str) -> None:
        open_page(page, f"{live_server}{path}")
        shots.append(keep_screenshot(page, name, full_page=False, docs=True))

    sign_in(page, live_server, "teacher1", app)
    shot("home", "/")
    shot("log-form", f"/log?pupil={world.pupils[0].id}")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "dsl", app)
    shot("review-queue", "/review")
    shot("entry", f"/entries/{entry_id}")
    shot("chronology", f"/pupils/{world.pupils[0].id}/chronology")
    shot("reports", "/reports")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "governor", app)
    shot("oversight", "/oversight")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert all(path.stat().st_size > 10_000 for path in shots)


# --- the pages checked by axe as they are shot (test-artifacts/screenshots/) -----------


def test_accessibility_and_screenshots(page: Page, app, live_server, world, make_entry, capsys, teacher_enrolled):
    pupil = world.pupils[0]
    entry_id = make_entry(
        recorder="teacher1",
        pupils=[pupil],
        category="Safeguarding",
        narrative="Amelia Hassan said her arm hurt; I saw a bruise on her forearm.",
        child_words="Dad grabbed me.",
        source="pupil_disclosure",
    )
    make_entry(
        recorder="teacher2",
        pupils=world.pupils[1:],
        category="Behaviour",
        narrative="Oliver and Isla argued at play; both calm again after talking it through.",
    )
    problems: list[str] = []

    open_page(page, f"{live_server}/login")
    check_page(page, "01-login", problems)
    page.get_by_role("button", name="Sign in").click()  # empty: the error state
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "02-login-errors", problems)

    sign_in(page, live_server, "teacher1", app)
    check_page(page, "03-home-teacher", problems)
    open_page(page, f"{live_server}/log?pupil={world.pupils[1].id}&q=ha")  # a chip and two results
    expect(page.locator("#pupil-results button.result")).to_have_count(2)
    check_page(page, "04-log-form", problems)
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, "05-log-form-errors", problems)
    open_page(page, f"{live_server}/entries/{entry_id}")
    check_page(page, "06-entry-teacher", problems)
    sign_out(page)

    sign_in(page, live_server, "dsl", app)
    check_page(page, "07-home-dsl", problems)
    open_page(page, f"{live_server}/review")
    check_page(page, "08-review", problems)
    open_page(page, f"{live_server}/entries/{entry_id}")
    check_page(page, "09-entry-dsl", problems)
    open_page(page, f"{live_server}/account/two-factor")
    check_page(page, "10-account-two-factor", problems)
    sign_out(page)

    open_page(page, f"{live_server}/login/forgot")
    check_page(page, "11-forgotten-password", problems)
    open_page(page, f"{live_server}/login")
    page.get_by_label("Email address").fill(f"admin@{SCHOOL}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    check_page(page, "12-code-step", problems)
    page.get_by_label("Code").fill(totp_code(app, f"admin@{SCHOOL}"))
    page.get_by_role("button", name="Continue").click()
    open_page(page, f"{live_server}/admin/users")
    check_page(page, "13-admin-users", problems)
    sign_out(page)

    sign_in(page, live_server, "teacher2")  # no two-factor sign-in: logs, reads nothing
    check_page(page, "14-home-without-two-factor", problems)
    open_page(page, f"{live_server}/account/two-factor")
    expect(page.locator(".qr svg")).to_be_visible()
    check_page(page, "15-enrol", problems)

    with capsys.disabled():
        print(f"\n[axe] screenshots in {SCREENSHOTS}")
    assert not problems, "\n".join(problems)


def test_screenshots_of_tasks_monitoring_and_sharing(
    page: Page, app, live_server, world, make_entry, capsys, staff_enrolled
):
    """Home with tasks (one overdue), the review page with monitored pupils, and the
    information-sharing form; axe finds nothing serious on them."""
    first = make_entry(narrative="Amelia said she had not eaten since yesterday lunchtime.")
    second = make_entry(pupils=world.pupils[1:2], category="Behaviour", narrative="Oliver pushed a child.")
    make_task(app, world, first, due_in=-2, text_="Check Amelia has had breakfast club each morning this week.")
    make_task(app, world, second, due_in=0, text_="Talk to Oliver's class teacher about seating.")
    make_task(app, world, first, due_in=6, text_="Send the attendance summary to the DSL.")
    monitor(app, world, world.pupils[0], review_in=-3, reason="Hunger at school.")
    monitor(app, world, world.pupils[2], review_in=9, reason="Low attendance.")
    problems: list[str] = []

    sign_in(page, live_server, "teacher2", app)
    expect(page.get_by_role("region", name="My tasks")).to_contain_text("Overdue by 2 days")
    check_page(page, "tasks-01-home-with-tasks", problems)
    sign_out(page)

    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/review")
    expect(page.get_by_role("region", name="Monitored pupils")).to_contain_text("Review overdue by 3 days")
    check_page(page, "tasks-02-review-with-monitoring", problems)
    open_page(page, f"{live_server}/entries/{first}")
    page.get_by_role("radio", name="Information shared").check()
    expect(page.get_by_label("Lawful basis or reason for sharing")).to_be_visible()
    expect(page.get_by_label("Give the task to")).to_be_hidden()
    page.get_by_role("button", name="Add", exact=True).click()  # empty: every message
    expect(page.locator(".error-summary")).to_contain_text("Say who the information was shared with.")
    page.get_by_role("radio", name="Information shared").check()
    check_page(page, "tasks-03-information-sharing-form", problems)
    open_page(page, f"{live_server}/pupils/{world.pupils[0].id}/chronology")
    check_page(page, "tasks-04-chronology-with-monitoring", problems)
    open_page(page, f"{live_server}/pupils/{world.pupils[0].id}/monitoring")
    check_page(page, "tasks-05-monitoring-page", problems)
    assert not problems, "\n".join(problems)


def test_log_form_screenshots_at_tablet_size(page: Page, live_server, world, capsys):
    problems: list[str] = []
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    page.get_by_role("radio", name=re.compile(r"^Safeguarding")).check()
    page.get_by_role("radio", name="Pupil disclosure", exact=True).check()
    check_page(page, "20-log-form-help", problems)
    page.get_by_label("What happened").fill("AH said her arm hurt.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#record-check")).to_be_focused()
    keep_screenshot(page, "21-log-form-warning-viewport", full_page=False)
    check_page(page, "21-log-form-warning", problems)
    open_page(page, f"{live_server}/guidance")
    check_page(page, "22-guidance", problems)
    assert not problems, "\n".join(problems)
