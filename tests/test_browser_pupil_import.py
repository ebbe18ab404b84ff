"""Importing pupils in a real browser (Chromium) at tablet width: choose the file,
read the preview, confirm; each page checked with axe and kept as a screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

# Its fixtures too: the tablet viewport and the unreachable CDN.
from conftest import check_page, open_page, sign_in

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parent / "data" / "pupils-sims.csv"


def test_upload_preview_and_confirm(page: Page, app, live_server, world):
    problems: list[str] = []
    sign_in(page, live_server, "admin", app)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils", exact=True).click()
    expect(page.get_by_role("heading", name="Import pupils from your MIS")).to_be_visible()
    check_page(page, "pupil-import-upload", problems)

    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the CSV file to import.")
    check_page(page, "pupil-import-upload-error", problems)

    page.get_by_label("The CSV file exported from your MIS").set_input_files(SAMPLE)
    page.get_by_label("Full import").check()  # the whole roll: a choice, never the default
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("heading", name="Will be marked as left (1)")).to_be_visible()
    expect(page.get_by_role("row", name="Isla Hartley")).to_be_visible()
    # Isla is a third of this small roll: said in words, and confirmed a second time.
    expect(page.get_by_role("heading", name="1 of the 3 pupils on roll would be marked as left")).to_be_visible()
    check_page(page, "pupil-import-preview", problems)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768, "the preview scrolls sideways"

    page.get_by_role("button", name="Import 2 new, 2 updated, 1 left").click()
    expect(page.get_by_role("alert")).to_contain_text("tick the box to confirm that 1 pupil has left")
    page.get_by_label("Yes, mark this pupil as left").check()
    page.get_by_role("button", name="Import 2 new, 2 updated, 1 left").click()
    expect(page.get_by_role("heading", name="Pupils imported")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Import done: 2 new, 2 updated")
    check_page(page, "pupil-import-result", problems)
    open_page(page, f"{live_server}/admin/pupils/import")
    assert not problems, "\n".join(problems)
