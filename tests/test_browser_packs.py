"""A child-protection file from one installation to another, in Chromium, with and without
JavaScript: Riverside Academy (another trust, its own server, database and signing key)
sends a transfer pack to a school outside its trust; Ashgrove's DSL uploads it, sees the
signature verified, confirms the pupil, and reads the records in the chronology."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from cpoms.extensions import db
from cpoms.models import Alert
from cpoms.packs import fileformat
from cpoms.packs.signing import spaced
from cpoms.timefmt import now_utc, to_uk

from conftest import keep_screenshot, sign_in_with_the_form
from pack_support import FOLLOW_UP, MARK, SENDER_EMAIL, SENDER_SCHOOL, make_sender

pytestmark = pytest.mark.browser
UPN = "A204210010001"


@pytest.fixture
def sender(tmp_path):
    made = make_sender(tmp_path, UPN)
    server = make_server("127.0.0.1", 0, made.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    made.base = f"http://127.0.0.1:{server.server_port}"
    yield made
    server.shutdown()


@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_a_pack_sent_from_another_installation_is_received_as_records(
    new_context, app, live_server, world, sender, tmp_path, js
):
    context = new_context(java_script_enabled=js, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    suffix = "" if js else "-nojs"

    # Riverside's DSL sends the file to a school outside their trust: the signed pack.
    sign_in_with_the_form(page, sender.base, SENDER_EMAIL, sender.app, javascript=js)
    page.goto(f"{sender.base}/pupils/{sender.pupil_id}/chronology")
    page.get_by_role("link", name="Transfer the file to a new school").click()
    page.get_by_label("Destination school").select_option(label="A school outside the trust")
    page.get_by_label("School name").fill("Ashgrove Primary School")
    page.get_by_label(re.compile("Contact at that school")).fill("Ms Dsl")
    page.get_by_label("Contact's email address").fill("dsl@ashgrove.example.org")
    page.get_by_label("Secure email").check()
    page.get_by_label("Date sent").fill(to_uk(now_utc()).date().isoformat())
    page.get_by_role("button", name="Start the transfer").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the transfer pack").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    fingerprint = fileformat.open_pack(path.read_bytes()).fingerprint
    page.get_by_role("button", name="Sign out").click()
    # The key's fingerprint, published on the sending installation's public page.
    page.goto(f"{sender.base}/signing-keys")
    expect(page.locator(".key-list")).to_contain_text(spaced(fingerprint))
    keep_screenshot(page, f"pack-signing-keys{suffix}")

    # Ashgrove's DSL, on this installation, receives it.
    sign_in_with_the_form(page, live_server, "dsl@ashgrove.example.org", app, javascript=js)
    page.goto(f"{live_server}/transfers")
    page.get_by_role("link", name="Receive a file from a school outside the trust").click()
    page.get_by_label("The pack (a .zip file)").set_input_files(str(path))
    page.get_by_role("button", name="Check the pack").click()
    expect(page.get_by_role("heading", name=f"Signature verified: a file from {SENDER_SCHOOL}")).to_be_visible()
    expect(page.locator(".pack-facts")).to_contain_text(fingerprint)
    keep_screenshot(page, f"pack-check{suffix}")
    # Not confirmed: asked again, nothing kept.
    page.get_by_label(re.compile("Amelia Hassan, born")).check()
    page.get_by_role("button", name="Add these records to the pupil's chronology").click()
    expect(page.locator(".error-summary")).to_contain_text("Confirm that this is the same child.")
    page.get_by_label(re.compile("Amelia Hassan, born")).check()
    page.get_by_label(re.compile("this is the same child")).check()
    page.get_by_role("button", name="Add these records to the pupil's chronology").click()

    expect(page.get_by_role("heading", name="Amelia Hassan", exact=True)).to_be_visible()
    received = page.locator("#received-files")
    expect(received).to_contain_text(f"Received from {SENDER_SCHOOL}")
    expect(received).to_contain_text("Signature verified")
    for words in ("quokka-lantern", FOLLOW_UP, MARK, "forearm.png"):
        expect(received).to_contain_text(words)
    expect(page.locator(".notice-success")).to_contain_text("signature verified")
    keep_screenshot(page, f"pack-received{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    keep_screenshot(page, f"pack-received-390{suffix}")
    with app.app_context():
        [receipt] = db.session.scalars(select(Alert).where(Alert.reason == "pack_receipt"))
        assert receipt.email == SENDER_EMAIL
    context.close()
