"""One entry: reading it, and the follow-ups, review, close and reopen appended to it."""

import re

import pytest
from sqlalchemy import select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import EntryState, FollowUp


def follow_ups(app, entry_id):
    with app.app_context():
        return list(db.session.scalars(select(FollowUp).where(FollowUp.entry_id == entry_id).order_by(FollowUp.id)))


def state(app, entry_id):
    with app.app_context():
        return db.session.get(EntryState, entry_id)


HX = {"HX-Request": "true", "HX-Target": "activity"}


def test_viewing_an_entry_is_audited(app, client, auth, world, make_entry):
    entry_id = make_entry(narrative="Said she was scared of the dark at home.")
    auth.as_(world["dsl"])
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Said she was scared of the dark at home." in html
    assert "Not yet reviewed" in html
    with app.app_context():
        views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_entry")).all()
        assert [(v.user_id, v.entry_id, v.pupil_id) for v in views] == [(world["dsl"].id, entry_id, None)]


@pytest.mark.parametrize(
    "data, stored",
    [
        ({"kind": "action", "text": "Phoned mum at 3pm."}, {"kind": "action"}),
        (
            {"kind": "risk_assessment", "text": "Bruise seen; explanation consistent.", "risk_level": "low"},
            {"risk_level": "low"},
        ),
        (
            {"kind": "decision", "text": "No referral to social care.", "reason": "Threshold not met."},
            {"reason": "Threshold not met."},
        ),
        (
            {"kind": "agency", "text": "Consulted on the phone.", "agency_name": "MASH", "agency_reference": "M-123"},
            {"agency_name": "MASH", "agency_reference": "M-123"},
        ),
        ({"kind": "outcome", "text": "Family accepted early help."}, {"kind": "outcome"}),
        ({"kind": "note", "text": "Class teacher keeping an eye."}, {"kind": "note"}),
    ],
)
def test_team_adds_each_kind_of_follow_up_without_javascript(app, client, auth, world, make_entry, data, stored):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    response = client.post(f"/entries/{entry_id}/follow-ups", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/entries/{entry_id}#activity"
    [item] = follow_ups(app, entry_id)
    assert item.text == data["text"] and item.author_id == world["dsl"].id
    for key, value in stored.items():
        assert getattr(item, key) == value
    assert data["text"] in client.get(f"/entries/{entry_id}").get_data(as_text=True)


def test_follow_up_via_htmx_returns_the_activity_section_in_place(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["slt"])
    response = client.post(
        f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": "Met the family."}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="activity"')
    assert "Met the family." in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert re.search(r'<textarea[^>]*name="text"[^>]*>\s*</textarea>', html)  # a fresh form


def test_first_action_time_is_recorded_for_reports(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "note", "text": "Noted."})
    assert state(app, entry_id).first_action_at is None
    client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": "Called."})
    assert state(app, entry_id).first_action_at is not None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "action", "text": ""}, "Write the details."),
        ({"kind": "", "text": "Something"}, "Choose what you are adding."),
        ({"kind": "risk_assessment", "text": "Seen."}, "Choose the level of risk."),
        ({"kind": "risk_assessment", "text": "Seen.", "risk_level": "extreme"}, "Not a valid choice."),
        ({"kind": "decision", "text": "No referral."}, "Give the reason for this decision."),
        ({"kind": "agency", "text": "Phoned."}, "Name the agency."),
        ({"kind": "closed", "text": "Sneaky"}, "Not a valid choice."),
        ({"kind": "action", "text": "Done.", "occurred_at": "2999-01-01T09:00"}, "This cannot be in the future."),
    ],
)
def test_invalid_follow_ups_are_refused_and_keep_the_text(app, client, auth, world, make_entry, data, message):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    for headers in ({}, HX):
        response = client.post(f"/entries/{entry_id}/follow-ups", data=data, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in html
        if data["text"]:
            assert data["text"] in html
    assert follow_ups(app, entry_id) == []


def test_recorder_may_add_notes_only_to_their_own_entry(app, client, auth, world, make_entry):
    entry_id = make_entry(recorder="teacher1")
    auth.as_(world["teacher1"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert 'name="kind" value="note"' in page and "Mark as reviewed" not in page
    assert client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": "x"}).status_code == 422
    assert (
        client.post(
            f"/entries/{entry_id}/follow-ups", data={"kind": "note", "text": "Mum told me more at pick-up."}
        ).status_code
        == 303
    )
    assert [f.kind for f in follow_ups(app, entry_id)] == ["note"]
    assert client.post(f"/entries/{entry_id}/review", data={}).status_code == 403
    assert client.post(f"/entries/{entry_id}/close", data={"outcome": "x"}).status_code == 403


def test_review_close_and_reopen(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["deputy"])
    assert client.post(f"/entries/{entry_id}/review", data={"note": "Read; speaking to teacher."}).status_code == 303
    reviewed = state(app, entry_id)
    assert reviewed.reviewed_at is not None and reviewed.reviewed_by_id == world["deputy"].id

    response = client.post(f"/entries/{entry_id}/close", data={"outcome": "", "rationale": ""})
    assert response.status_code == 422
    assert "Record the outcome before closing." in response.get_data(as_text=True)
    assert "Give the reason it can be closed now." in response.get_data(as_text=True)
    assert state(app, entry_id).status == "open"
    # An outcome without the rationale is refused too, and what was typed stays.
    response = client.post(f"/entries/{entry_id}/close", data={"outcome": "Early help in place.", "rationale": " "})
    assert response.status_code == 422 and "Early help in place." in response.get_data(as_text=True)
    assert state(app, entry_id).status == "open"

    assert (
        client.post(
            f"/entries/{entry_id}/close",
            data={"outcome": "Early help in place.", "rationale": "Family engaging; no further concerns."},
        ).status_code
        == 303
    )
    assert state(app, entry_id).status == "closed"
    again = client.post(f"/entries/{entry_id}/close", data={"outcome": "Twice", "rationale": "Again"})
    assert again.status_code == 409 and "already closed" in again.get_data(as_text=True)

    assert client.post(f"/entries/{entry_id}/reopen", data={"reason": ""}).status_code == 422
    assert client.post(f"/entries/{entry_id}/reopen", data={"reason": "New disclosure today."}).status_code == 303
    assert state(app, entry_id).status == "open"
    assert client.post(f"/entries/{entry_id}/reopen", data={"reason": "Again"}).status_code == 409

    kinds = [(f.kind, f.text, f.reason) for f in follow_ups(app, entry_id)]
    assert kinds == [
        ("reviewed", "Read; speaking to teacher.", None),
        ("closed", "Early help in place.", "Family engaging; no further concerns."),
        ("reopened", "", "New disclosure today."),
    ]
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Early help in place." in page and "New disclosure today." in page
    assert "Family engaging; no further concerns." in page


def test_slt_reviews_but_does_not_close(client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["slt"])
    assert client.post(f"/entries/{entry_id}/review", data={}).status_code == 303
    assert client.post(f"/entries/{entry_id}/close", data={"outcome": "x"}).status_code == 403


def test_entries_and_follow_ups_are_never_updated_or_deleted(app, client, auth, world, make_entry, count_queries):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    with count_queries() as statements:
        client.get(f"/entries/{entry_id}")
        client.post(f"/entries/{entry_id}/review", data={})
        client.post(f"/entries/{entry_id}/follow-ups", data={"kind": "action", "text": "Called."})
        client.post(f"/entries/{entry_id}/close", data={"outcome": "Done.", "rationale": "Resolved."})
        client.post(f"/entries/{entry_id}/reopen", data={"reason": "More."})
    writes = [s.split()[0:3] for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    touched = {w[1] if w[0].upper() == "UPDATE" else w[2] for w in writes}
    # Only the projection of where each entry stands, and the head of the audit chain.
    assert touched == {"entry_states", "audit_chain_head"}


def test_readers_without_write_rights_see_no_forms(client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["governor"])
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Add to this entry" not in html and "Mark as reviewed" not in html
    assert "A.H." in html and "Amelia" not in html and "Hassan" not in html
