"""A child-protection file transfer in a real browser, with and without JavaScript:
the sending DSL starts it from the chronology, the receiving DSL accepts it and reads the file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cpoms.extensions import db
from cpoms.timefmt import now_utc, to_uk
from cpoms.transfers.models import Transfer

from conftest import keep_screenshot, sign_in_with_the_form

pytestmark = pytest.mark.browser

NARRATIVE = "Came in with a bruise on her arm."


def other_transfers(app, world) -> None:
    """Something in each group of the dashboard: an overdue file sent outside the trust, one not yet sent."""
    with app.app_context():
        today = to_uk(now_utc()).date()
        outside = {
            "destination_name": "St Anne's Primary, Leeds",
            "contact_name": "Ms Patel",
            "contact_email": "dsl@stannes.example.org",
            "from_school_id": world.school.id,
            "started_by_id": world["dsl"].id,
        }
        db.session.add_all(
            [
                Transfer(
                    pupil_id=world.pupils[1].id,
                    method="secure_email",
                    status="sent",
                    sent_on=today - timedelta(days=14),
                    **outside,
                ),
                Transfer(pupil_id=world.pupils[2].id, method="courier", status="started", **outside),
            ]
        )
        db.session.commit()


@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_start_then_accept(new_context, app, live_server, world, make_entry, js):
    make_entry(narrative=NARRATIVE)
    other_transfers(app, world)
    context = new_context(java_script_enabled=js)  # a 768 px tablet, en-GB: conftest's browser_context_args
    page = context.new_page()
    page.set_default_timeout(10_000)
    suffix = "" if js else "-nojs"

    sign_in_with_the_form(page, live_server, "dsl@ashgrove.example.org", app, javascript=js)
    page.goto(f"{live_server}/pupils/{world.pupils[0].id}/chronology")
    page.get_by_role("link", name="Transfer the file to a new school").click()
    expect(page.get_by_role("heading", name="Transfer Amelia Hassan's child-protection file")).to_be_visible()
    # A mistake first: nothing chosen is refused with a message, and the choices typed stay.
    page.get_by_label("Electronic child-protection system").check()
    page.get_by_role("button", name="Start the transfer").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose the school the pupil is going to.")
    expect(page.get_by_label("Electronic child-protection system")).to_be_checked()
    page.get_by_label("Destination school").select_option(label="Brookfield Primary School")
    page.get_by_label("Date sent").fill(to_uk(now_utc()).date().isoformat())
    keep_screenshot(page, f"transfer-form{suffix}")
    page.get_by_role("button", name="Start the transfer").click()
    expect(
        page.get_by_role("heading", name="Amelia Hassan: Ashgrove Primary School to Brookfield Primary School")
    ).to_be_visible()
    expect(page.locator(".status")).to_have_text("Sent, awaiting receipt")
    page.get_by_role("link", name="All transfers").click()
    expect(page.locator("#overdue-heading")).to_contain_text("(1)")
    expect(page.locator("#pending-heading")).to_contain_text("(1)")
    expect(page.locator("#sent-heading")).to_contain_text("(1)")
    keep_screenshot(page, f"transfer-dashboard{suffix}")
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_the_form(page, live_server, "other_dsl@brookfield.example.org", app, javascript=js)
    page.locator("details.nav-menu summary").click()  # "More": the menu folds the less-used links
    page.get_by_role("link", name="Transfers").click()
    incoming = page.locator("section", has=page.locator("#incoming-heading"))
    incoming.get_by_role("link", name="Amelia Hassan").click()
    keep_screenshot(page, f"transfer-to-accept{suffix}")
    page.get_by_role("button", name="Accept the file").click()
    expect(page.get_by_role("heading", name="Amelia Hassan", exact=True)).to_be_visible()
    expect(page.get_by_text(NARRATIVE)).to_be_visible()
    expect(page.locator(".notice-success")).to_contain_text("records are now with Brookfield Primary School")
    expect(page.locator(".transfers-of-pupil")).to_contain_text("Accepted by the receiving school")
    context.close()
