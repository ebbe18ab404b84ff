"""The drafts route (POST /drafts) without a browser: one draft per user and page,
given back only to its owner, kept until the form is saved, dropped after DRAFT_HOURS."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from cpoms.drafts import Draft
from cpoms.extensions import db
from cpoms.timefmt import now_utc, uk_local_input

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/log"}
TYPED = {"form_name": "LogEntryForm", "narrative": "Half-written: Isla was upset at the gate"}


def drafts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Draft))


def test_typing_saves_one_draft_per_page_and_says_when(app, auth, world):
    client = auth.as_(world["teacher1"])
    first = client.post("/drafts", data=TYPED, headers=HX)
    assert first.status_code == 200
    assert first.get_data(as_text=True).startswith("Draft saved ")
    client.post("/drafts", data={**TYPED, "narrative": TYPED["narrative"] + " this morning."}, headers=HX)
    assert drafts(app) == 1
    page = client.get("/log").get_data(as_text=True)
    assert "Isla was upset at the gate this morning." in page
    assert "Your draft from" in page
    assert "Isla was upset" in client.get("/log").get_data(as_text=True)  # kept until saved, not handed back once


def test_an_emptied_form_drops_the_draft(app, auth, world):
    client = auth.as_(world["teacher1"])
    client.post("/drafts", data=TYPED, headers=HX)
    assert client.post("/drafts", data={**TYPED, "narrative": "  "}, headers=HX).get_data(as_text=True).strip() == ""
    assert drafts(app) == 0


def test_a_draft_is_only_ever_given_back_to_its_owner(app, auth, world):
    auth.as_(world["teacher1"]).post("/drafts", data=TYPED, headers=HX)
    other = auth.as_(world["teacher2"])
    assert "Isla was upset" not in other.get("/log").get_data(as_text=True)
    assert drafts(app) == 1


def test_a_draft_older_than_draft_hours_is_not_given_back(app, auth, world):
    client = auth.as_(world["teacher1"])
    client.post("/drafts", data=TYPED, headers=HX)
    with app.app_context():
        hours = app.config["DRAFT_HOURS"]
        db.session.execute(update(Draft).values(saved_at=now_utc() - timedelta(hours=hours, minutes=1)))
        db.session.commit()
    assert "Isla was upset" not in client.get("/log").get_data(as_text=True)


def test_saving_the_entry_clears_the_draft(app, auth, world):
    client = auth.as_(world["teacher1"])
    client.post("/drafts", data=TYPED, headers=HX)
    form = {
        "pupil_ids": str(world.pupils[2].id),
        "category": str(world.categories["General welfare"].id),
        "source": "staff_observation",
        "narrative": TYPED["narrative"],
        "checked": "1",
        "form_name": "LogEntryForm",
        "occurred_at": uk_local_input(now_utc() - timedelta(minutes=10)),
    }
    assert client.post("/log", data=form, headers={"Referer": "http://localhost/log"}).status_code == 303
    assert drafts(app) == 0
    assert "Isla was upset" not in client.get("/log").get_data(as_text=True)


def test_the_follow_up_form_on_an_entry_keeps_its_draft_too(app, auth, world, make_entry):
    entry_id = make_entry()
    client = auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert 'id="draft-status"' in page
    typed = {"form_name": "FollowUpForm", "kind": "action", "text": "Phoned mum at 3pm; she will come in"}
    client.post("/drafts", data=typed, headers={**HX, "HX-Current-URL": f"http://localhost/entries/{entry_id}"})
    assert "Phoned mum at 3pm; she will come in" in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    saved = client.post(
        f"/entries/{entry_id}/follow-ups",
        data={**typed, "text": typed["text"] + "."},
        headers={"Referer": f"http://localhost/entries/{entry_id}"},
    )
    assert saved.status_code == 303
    assert drafts(app) == 0
