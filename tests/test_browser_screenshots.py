"""Screenshots of the main pages at tablet size (768x1024), for the README.

The normal run writes them to test-artifacts/screenshots/pages/ (gitignored), so a test
run never rewrites committed files; `make screenshots` (CPOMS_UPDATE_SCREENSHOTS=1)
writes them to docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cpoms.entries.operations import add_follow_up, mark_reviewed
from cpoms.extensions import db
from cpoms.models import Entry, Kind, User
from conftest import open_page, sign_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
FOLDER = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("CPOMS_UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots" / "pages"
)


def some_records(app, world, make_entry) -> int:
    entry_id = make_entry(
        recorder="teacher1",
        pupils=world.pupils[:2],
        category="Safeguarding",
        narrative="At 10:40 in the Year 4 classroom Amelia Hassan and Oliver Nowak told me an older "
        "boy took their dinner money at the gate this morning.",
        child_words="He said he would hit us if we told.",
        source="pupil_disclosure",
    )
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[2]],
        category="Behaviour",
        narrative="Isla Hartley pushed in the lunch queue and shouted at a dinner lady.",
    )
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[0]],
        category="General welfare",
        narrative="Amelia Hassan arrived without a coat in the rain for the third day running.",
    )
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        entry = db.session.get(Entry, entry_id)
        mark_reviewed(dsl, entry, "")
        add_follow_up(
            dsl, entry, Kind.RISK, "Both children frightened; the older boy is known to us.", risk_level="medium"
        )
        add_follow_up(
            dsl,
            entry,
            Kind.DECISION,
            "Staff on the gate at 8:30 for two weeks; parents told.",
            reason="Proportionate: a threat was made, no harm yet.",
        )
        db.session.commit()
    return entry_id


def test_screenshots_of_the_main_pages(page: Page, app, live_server, world, make_entry, teacher_enrolled):
    entry_id = some_records(app, world, make_entry)
    FOLDER.mkdir(parents=True, exist_ok=True)
    shots = []

    def shot(name: str, path: str) -> None:
        open_page(page, f"{live_server}{path}")
        page.screenshot(path=FOLDER / f"{name}.png")
        shots.append(name)

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
    assert all((FOLDER / f"{name}.png").stat().st_size > 10_000 for name in shots)
