"""Tasks and monitoring in a real browser (Chromium), with htmx and without JavaScript:
a DSL gives a task, the member of staff completes it from their home page; a DSL puts
a pupil on the monitoring list from the chronology. Screenshots (768x1024, checked
with axe) go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.monitoring.models import MonitoringState
from cpoms.tasks.models import TaskCompletion

from conftest import assert_no_reload, set_marker, sign_in, sign_out

pytestmark = pytest.mark.browser


def give_task(page: Page, what: str, due: str) -> None:
    page.get_by_role("radio", name="Task for a member of staff").check()
    page.get_by_label("Details").fill(what)
    page.get_by_label("Give the task to").select_option(label="Teacher2")
    page.get_by_label("Due by").fill(due)
    page.get_by_role("button", name="Add", exact=True).click()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_give_a_task_and_complete_it(request, app, live_server, world, make_entry, staff_enrolled, javascript):
    page = request.getfixturevalue("page" if javascript else "no_js")
    entry_id = make_entry()
    entry_url = f"{live_server}/entries/{entry_id}"
    due = (uk_today() + timedelta(days=3)).isoformat()

    sign_in(page, live_server, "dsl", app, javascript)
    page.goto(entry_url)
    if javascript:
        set_marker(page)
    give_task(page, "Phone mum about the missed appointment.", due)
    status = page.locator(".task-status")
    expect(status).to_contain_text("For Teacher2")
    expect(status).to_contain_text("Due in 3 days")
    if javascript:
        assert_no_reload(page)  # the activity section was swapped in place
    else:
        expect(page).to_have_url(re.compile(rf"/entries/{entry_id}#activity$"))
    sign_out(page)

    sign_in(page, live_server, "teacher2", app, javascript)
    tasks = page.get_by_role("region", name="My tasks")
    expect(tasks).to_contain_text("Phone mum about the missed appointment.")
    if javascript:
        set_marker(page)
    tasks.get_by_role("button", name="Mark as done").click()
    if javascript:
        expect(tasks).to_contain_text("Completed by Teacher2")
        assert_no_reload(page)
    else:
        expect(page).to_have_url(f"{live_server}/")
        expect(page.get_by_role("region", name="My tasks")).to_have_count(0)
    with app.app_context():
        done = db.session.scalar(select(TaskCompletion))
        assert done.completed_by_id == world["teacher2"].id
    page.goto(entry_url)
    expect(page.locator(".task-status")).to_contain_text("Completed by Teacher2")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_put_a_pupil_on_the_monitoring_list_from_the_chronology(request, app, live_server, world, javascript):
    page = request.getfixturevalue("page" if javascript else "no_js")
    pupil = world.pupils[1]
    sign_in(page, live_server, "dsl", app, javascript)
    page.goto(f"{live_server}/pupils/{pupil.id}/chronology")
    page.get_by_role("link", name="Put on the monitoring list").click()
    page.get_by_role("button", name="Start monitoring").click()  # empty: the errors first
    expect(page.locator(".error-summary")).to_contain_text("Give the reason for monitoring.")
    page.get_by_label("Why is this pupil being monitored?").fill("Often hungry; attendance falling.")
    page.get_by_label("Review by").fill((uk_today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Start monitoring").click()
    expect(page).to_have_url(re.compile(rf"/pupils/{pupil.id}/chronology#monitoring$"))
    section = page.get_by_role("region", name="Monitoring")
    expect(section).to_contain_text("On the monitoring list since")
    expect(section).to_contain_text("Often hungry; attendance falling.")
    page.goto(f"{live_server}/review")
    expect(page.get_by_role("region", name="Monitored pupils")).to_contain_text("Oliver Nowak")
    with app.app_context():
        assert db.session.get(MonitoringState, pupil.id).active
