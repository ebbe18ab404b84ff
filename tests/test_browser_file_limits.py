"""File size limits in a real browser: a file over the limit is named as soon as it is
chosen, and a 413 (from the app or a proxy in front of it) is shown on the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import open_page, sign_in
from helpers import PHOTO

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides():
    return {"ATTACHMENT_MAX_BYTES": 200 * 1024}  # small, so the browser need not carry 20 MB


def test_a_file_too_large_is_named_at_once_and_a_413_is_shown(page: Page, app, live_server, world):
    sign_in(page, live_server, "dsl", app)
    open_page(page, f"{live_server}/log?pupil={world.pupils[0].id}")
    page.get_by_text("Attach files (optional)").click()
    files = page.get_by_label("Files")
    files.set_input_files({"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"0" * 300_000})
    expect(
        page.get_by_text("“scan.pdf” is larger than 0.2 MB, the most a file may be. Choose the files again.")
    ).to_be_visible()
    assert files.evaluate("input => input.files.length") == 0
    # A proxy in front may refuse a large body too (413): htmx shows nothing for it by itself.
    page.route(
        "**/log",
        lambda route: (
            route.fulfill(status=413, body="Too large") if route.request.method == "POST" else route.continue_()
        ),
    )
    files.set_input_files(PHOTO)
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("alert").filter(has_text="That was too large to send")).to_be_visible()
