"""Pupils' roles, siblings and alerting a colleague in a real browser, with htmx and
without JavaScript: one entry about two pupils, the second added as the first's sibling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cpoms.extensions import db
from cpoms.log.models import EntryShare
from cpoms.models import EntryPupil

from conftest import assert_no_reload, keep_screenshot, open_page, set_marker, sign_in


pytestmark = pytest.mark.browser

NARRATIVE = (
    "At 12:15 in the playground Oliver Nowak pushed his sister Amelia Hassan off the bench; "
    "she grazed her hand. I was on duty by the gate and saw it."
)


def fill_the_rest(page: Page) -> None:
    """Roles for both pupils, the category, how it came to us, what happened and a colleague to alert."""
    page.get_by_label("Amelia Hassan's role").select_option("alleged_victim")
    page.get_by_label("Oliver Nowak's role").select_option("alleged_perpetrator")
    page.get_by_role("radio", name=re.compile(r"^Behaviour")).check()
    page.get_by_role("radio", name="Staff observation", exact=True).check()
    page.get_by_label("What happened").fill(NARRATIVE)
    page.locator("summary", has_text="Alert other staff").click()
    page.get_by_role("checkbox", name=re.compile(r"^Teacher2")).check()


def screenshot(page: Page, name: str) -> None:
    page.locator("#pupil_ids").scroll_into_view_if_needed()
    keep_screenshot(page, name, full_page=False)
    keep_screenshot(page, f"{name}-full")


def assert_saved(page: Page, app, world) -> None:
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    expect(page.locator(".narrative .prose")).to_have_text(NARRATIVE)
    roles = page.locator(".pupil-roles dd")
    expect(roles).to_contain_text("Amelia Hassan: alleged victim")
    expect(roles).to_contain_text("Oliver Nowak: alleged perpetrator")
    expect(page.locator(".entry-shares")).to_contain_text("Teacher2")
    entry_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        links = db.session.execute(
            select(EntryPupil.pupil_id, EntryPupil.role).where(EntryPupil.entry_id == entry_id)
        ).all()
        assert set(links) == {(world.pupils[0].id, "alleged_victim"), (world.pupils[1].id, "alleged_perpetrator")}
        assert db.session.scalars(select(EntryShare.user_id).where(EntryShare.entry_id == entry_id)).all() == [
            world["teacher2"].id
        ]


def test_two_pupils_with_roles_a_sibling_and_a_colleague_with_htmx(
    page: Page,
    app,
    live_server,
    world,
    family,
    teacher_enrolled,
):
    sign_in(page, live_server, "teacher1", app)
    open_page(page, f"{live_server}/log")
    set_marker(page)
    page.get_by_label("Find a pupil by name or UPN").press_sequentially("amel")
    page.locator("#pupil-results button.result", has_text="Amelia Hassan").click()
    sibling = page.get_by_role("button", name="Add sibling: Oliver Nowak")
    expect(sibling).to_be_visible()
    page.get_by_label("What happened").fill(NARRATIVE)  # typed before the sibling is added: kept
    sibling.click()
    chips = page.get_by_role("list", name="Pupils on this entry")
    expect(chips.get_by_role("checkbox", name=re.compile("Oliver Nowak"))).to_be_checked()
    expect(page.get_by_label("What happened")).to_have_value(NARRATIVE)
    expect(page.get_by_role("button", name=re.compile("Add sibling"))).to_have_count(0)
    expect(page.locator("#pupil-results")).to_contain_text("Everyone matching “amel” is on this entry.")
    assert_no_reload(page)
    fill_the_rest(page)
    screenshot(page, "people-log-form-two-pupils-roles")
    page.get_by_role("button", name="Save entry").click()
    assert_saved(page, app, world)


def test_two_pupils_with_roles_a_sibling_and_a_colleague_without_javascript(
    nojs: Page,
    app,
    live_server,
    world,
    family,
):
    page = nojs
    page.goto(f"{live_server}/log")
    page.get_by_label("Find a pupil by name or UPN").fill("amel")
    page.get_by_role("button", name="Find", exact=True).click()
    page.locator("#pupil-results li", has_text="Amelia Hassan").get_by_text("Add", exact=True).click()
    page.get_by_label("What happened").fill(NARRATIVE)
    page.get_by_role("button", name="Add sibling: Oliver Nowak").click()
    chips = page.get_by_role("list", name="Pupils on this entry")
    expect(chips.get_by_role("checkbox", name=re.compile("Oliver Nowak"))).to_be_checked()
    expect(page.get_by_label("What happened")).to_have_value(NARRATIVE)
    expect(page.locator(".staff-filter")).to_have_count(0)  # a short list needs no filter box
    fill_the_rest(page)
    screenshot(page, "people-log-form-two-pupils-roles-nojs")
    page.get_by_role("button", name="Save entry").click()
    assert_saved(page, app, world)
    assert page.evaluate("() => typeof window.htmx") == "undefined"


def test_a_long_staff_list_narrows_as_a_name_is_typed(page: Page, app, live_server, world):
    from cpoms.models import Role, School

    from conftest import make_user

    with app.app_context():
        school = db.session.get(School, world.school.id)
        for n in range(6):
            make_user(f"Colleague {n}", f"colleague{n}@ashgrove.example.org", roles=[(Role.STAFF, school, None)])
        db.session.commit()
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    page.locator("summary", has_text="Alert other staff").click()
    names = page.locator(".staff-list li:visible")
    expect(names).to_have_count(10)  # six colleagues, teacher2, the DSL, the deputy, SLT
    page.get_by_role("checkbox", name=re.compile(r"^Slt")).check()
    page.get_by_label("Find a member of staff").fill("colleague 3")
    expect(names).to_have_count(2)  # the match, and the one already chosen
    expect(page.get_by_role("checkbox", name=re.compile(r"^Colleague 3"))).to_be_visible()
    page.get_by_label("Find a member of staff").press("Enter")  # narrows; never submits the form
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)
    page.get_by_label("Find a member of staff").fill("")
    expect(names).to_have_count(10)
