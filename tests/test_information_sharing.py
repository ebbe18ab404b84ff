"""The information-sharing follow-up: with whom, what, why, on what basis, and
consent; the safeguarding team's to record, shown wherever follow-ups are."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cpoms.extensions import db
from cpoms.models import FollowUp, Kind

SHARED = {
    "kind": "information_sharing",
    "text": "Phoned the duty social worker after the meeting.",
    "shared_with": "Children's social care (MASH)",
    "shared_what": "The disclosure of 3 March and the bruise seen that day.",
    "share_purpose": "To ask for a strategy discussion.",
    "share_basis": "Safeguarding: public task, KCSIE.",
    "consent_sought": "no",
    "consent_note": "Asking the parent would place the child at risk.",
}


def share(client, entry_id, **changes):
    data = {k: v for k, v in {**SHARED, **changes}.items() if v is not None}
    return client.post(f"/entries/{entry_id}/follow-ups", data=data)


def test_the_team_records_information_sharing_and_it_is_shown_everywhere(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    form = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert 'value="information_sharing"' in form and "Lawful basis or reason for sharing" in form
    assert share(client, entry_id).status_code == 303
    with app.app_context():
        saved = db.session.scalar(select(FollowUp).where(FollowUp.kind == Kind.INFO_SHARING))
        assert saved.shared_with == SHARED["shared_with"] and saved.consent_sought is False
        assert saved.consent_note == SHARED["consent_note"] and saved.share_basis == SHARED["share_basis"]
        assert saved.entry.state.first_action_at is not None  # sharing is acting on the concern
    pupil = world.pupils[0].id
    for path in (f"/entries/{entry_id}", f"/pupils/{pupil}/chronology", f"/pupils/{pupil}/chronology?view=timeline"):
        page = client.get(path).get_data(as_text=True)
        assert "Information shared" in page and "Children&#39;s social care (MASH)" in page, path
        assert "To ask for a strategy discussion." in page and "Safeguarding: public task, KCSIE." in page
        assert "No: Asking the parent would place the child at risk." in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/pupils/{pupil}/chronology.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["What"] == "Information shared")
    assert row["Shared with"] == SHARED["shared_with"] and row["What was shared"] == SHARED["shared_what"]
    assert row["Why shared"] == SHARED["share_purpose"] and row["Lawful basis or reason"] == SHARED["share_basis"]
    assert row["Consent sought"] == "No: " + SHARED["consent_note"]
    pdf = PdfReader(io.BytesIO(client.get(f"/pupils/{pupil}/chronology.pdf").data))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Shared with: Children's social care (MASH)" in text and "Lawful basis or reason" in text
    auth.as_(world["governor"])
    review = client.get("/oversight").get_data(as_text=True)
    assert "Children&#39;s social care (MASH)" in review and "Information shared" in review


def test_consent_sought_needs_no_reason(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["deputy"])
    assert share(client, entry_id, consent_sought="yes", consent_note="ignored").status_code == 303
    with app.app_context():
        saved = db.session.scalar(select(FollowUp).where(FollowUp.kind == Kind.INFO_SHARING))
        assert saved.consent_sought is True and saved.consent_note is None
    assert "<dt>Consent sought</dt><dd>Yes</dd>" in client.get(f"/entries/{entry_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("shared_with", "", "Say who the information was shared with."),
        ("shared_with", "   ", "Say who the information was shared with."),
        ("shared_what", "", "Say what was shared."),
        ("share_purpose", "", "Say why it was shared."),
        ("share_basis", "", "Give the lawful basis or reason for sharing."),
        ("consent_sought", None, "Say whether consent was sought."),
        ("consent_sought", "maybe", "Not a valid choice."),
        ("consent_note", "", "Say why consent was not sought."),
        ("shared_with", "x" * 201, "Field cannot be longer than 200 characters."),
        ("text", "", "Write the details."),
    ],
)
def test_each_missing_piece_gets_its_own_message_and_nothing_is_lost(
    app, client, auth, world, make_entry, field, value, message
):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    response = share(client, entry_id, **{field: value})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and "There is a problem" in body
    for other in ("shared_what", "share_purpose"):
        if other != field:
            assert SHARED[other] in body  # what was typed is given back
    with app.app_context():
        assert db.session.scalar(select(FollowUp).where(FollowUp.kind == Kind.INFO_SHARING)) is None


def test_sharing_is_the_safeguarding_teams_to_record(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["slt"])
    assert 'value="information_sharing"' not in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    response = share(client, entry_id)
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    auth.as_(world["teacher1"])
    assert share(client, entry_id).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(FollowUp).where(FollowUp.kind == Kind.INFO_SHARING)) is None


def test_fields_of_other_kinds_are_not_stored_with_a_note(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    assert share(client, entry_id, kind="note").status_code == 303
    with app.app_context():
        note = db.session.scalar(select(FollowUp).where(FollowUp.kind == Kind.NOTE))
        assert (note.shared_with, note.consent_sought, note.consent_note) == (None, None, None)
