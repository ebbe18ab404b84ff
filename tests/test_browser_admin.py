"""The admin pages in Chromium at tablet width, with JavaScript and without: add a
user, reorder a category; every page checked with axe and kept as a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cpoms.extensions import db
from cpoms.models import Category, User

from conftest import PASSWORD, totp_code

# Its fixtures too: the tablet viewport and the unreachable CDN.
from conftest import assert_no_reload, check_page, fill_sign_in, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(params=["js", "nojs"])
def browser_page(request, page, new_context):
    if request.param == "js":
        return page, True
    context = new_context(java_script_enabled=False)
    nojs = context.new_page()
    nojs.set_default_timeout(10_000)
    return nojs, False


def look(page: Page, js: bool, name: str, problems: list[str]) -> None:
    """The screenshot, and with JavaScript axe and the page's width."""
    check_page(page, name, problems, javascript=js)
    if js:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 768, f"{name} scrolls sideways"


def first_categories(app, n=2) -> list[str]:
    with app.app_context():
        return [c.name for c in db.session.scalars(select(Category).order_by(Category.order, Category.name))][:n]


def test_add_a_user_and_move_a_category(browser_page, app, live_server, world, trust_admin):
    page, js = browser_page
    suffix = "" if js else "-nojs"
    problems: list[str] = []
    if js:
        sign_in(page, live_server, "admin", app)
    else:
        page.goto(f"{live_server}/login")
        fill_sign_in(page, "admin", app)
    page.goto(f"{live_server}/admin/users")
    look(page, js, f"admin-users{suffix}", problems)
    page.get_by_role("link", name="Add a user").click()
    expect(page.get_by_role("heading", name="Add a user")).to_be_visible()
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the person's name.")
    look(page, js, f"admin-new-user-error{suffix}", problems)
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Work email address").fill("priya@ashgrove.example.org")
    page.get_by_label("Role, and where").select_option(label="Senior leadership at Ashgrove Primary School")
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("heading", name="Priya Shah")).to_be_visible()
    expect(page.get_by_role("row", name="Senior leadership")).to_be_visible()
    look(page, js, f"admin-user{suffix}", problems)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "priya@ashgrove.example.org")) is not None

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill(trust_admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(app, trust_admin.email))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server}/admin/schools")
    expect(page.get_by_role("heading", name="Schools of the trust")).to_be_visible()
    look(page, js, f"admin-schools{suffix}", problems)

    # The categories are the trust's: its admins change them.
    first, second = first_categories(app)
    page.goto(f"{live_server}/admin/categories")
    if js:
        page.evaluate("() => { window.__noReload = 'still here'; }")
    look(page, js, f"admin-categories{suffix}", problems)
    page.get_by_role("button", name=f"Move down {first}").click()
    items = page.locator("#category-list > li h2")
    expect(items.nth(0)).to_contain_text(second)
    expect(items.nth(1)).to_contain_text(first)
    if js:
        assert_no_reload(page)  # htmx swapped the list in place
    assert first_categories(app) == [second, first]

    assert not problems, "\n".join(problems)
