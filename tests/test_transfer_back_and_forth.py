"""A pupil's file that goes back and forth between two trust schools, tried as the
school it left would: a school reads what it recorded itself and what it received
with the file while it held the pupil, never what is written after the pupil left
it (entries, their exports, and the monitoring list's reasons and notes)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.models import Role, School

from conftest import make_user

SECRET_LATER = "Written at Ashgrove after the pupil came back: tangerine-walrus."
BEFORE = "Written at Ashgrove before the pupil first left: cobalt-heron."
AT_BROOKFIELD = "Written at Brookfield while the pupil was there: saffron-otter."


@pytest.fixture
def people(app, world) -> dict:
    """Brookfield's senior leader and governor, and Ashgrove's senior leader is the world's."""
    with app.app_context():
        school = db.session.get(School, world.other_school.id)
        found = {
            key: make_user(f"Brookfield {key}", f"{key}@brookfield.example.org", roles=[(role, school, None)])
            for key, role in (("slt", Role.SLT), ("governor", Role.GOVERNOR))
        }
        db.session.commit()
        for user in found.values():
            db.session.refresh(user)
        db.session.expunge_all()
    return found


def move(client, auth, sender, receiver, pupil_id: int, to_school_id: int) -> int:
    """The sender's DSL sends the file in the app; the receiving DSL accepts it."""
    auth.as_(sender)
    response = client.post(
        f"/pupils/{pupil_id}/transfer",
        data={"destination": str(to_school_id), "method": "cp_system", "sent_on": uk_today().isoformat()},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    transfer_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    auth.as_(receiver)
    assert client.post(f"/transfers/{transfer_id}/accept").status_code == 303
    return transfer_id


def there_and_back(client, auth, world, pupil_id: int) -> None:
    move(client, auth, world["dsl"], world["other_dsl"], pupil_id, world.other_school.id)
    move(client, auth, world["other_dsl"], world["dsl"], pupil_id, world.school.id)


def test_a_school_the_pupil_left_does_not_read_what_is_written_after(app, client, auth, world, make_entry, people):
    pupil = world.pupils[0]
    before = make_entry(narrative=BEFORE)
    move(client, auth, world["dsl"], world["other_dsl"], pupil.id, world.other_school.id)
    at_brookfield = make_entry(recorder="other_teacher", pupils=[pupil], narrative=AT_BROOKFIELD)
    move(client, auth, world["other_dsl"], world["dsl"], pupil.id, world.school.id)
    later = make_entry(narrative=SECRET_LATER)
    chronology = f"/pupils/{pupil.id}/chronology"
    for who in (world["other_dsl"], people["slt"]):
        auth.as_(who)
        assert client.get(f"/entries/{later}").status_code == 404
        page = client.get(chronology)
        assert page.status_code == 200  # Brookfield keeps what it recorded and received
        text = page.get_data(as_text=True)
        assert SECRET_LATER not in text
        assert BEFORE in text and AT_BROOKFIELD in text
        assert client.get(f"/entries/{before}").status_code == 200
        csv = client.get(f"{chronology}.csv")
        assert csv.status_code == 200
        assert "tangerine" not in csv.get_data(as_text=True) and "cobalt-heron" in csv.get_data(as_text=True)
        pdf = client.get(f"{chronology}.pdf")
        assert pdf.status_code == 200
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "tangerine" not in text and "cobalt-heron" in text
    auth.as_(people["governor"])
    assert client.get(f"/entries/{before}").status_code == 404  # governors never read a received file
    assert client.get(f"/entries/{later}").status_code == 404
    # Ashgrove reads all of it: its own entries, and Brookfield's that came back with the file.
    auth.as_(world["dsl"])
    for entry_id in (before, at_brookfield, later):
        assert client.get(f"/entries/{entry_id}").status_code == 200


def test_a_second_transfer_sends_what_was_written_since(app, client, auth, world, make_entry, people):
    """A -> B -> A -> B: at the second arrival Brookfield receives the entries Ashgrove wrote
    in between; what Ashgrove writes after the pupil leaves again stays Ashgrove's."""
    pupil = world.pupils[0]
    there_and_back(client, auth, world, pupil.id)
    between = make_entry(narrative=SECRET_LATER)
    auth.as_(world["other_dsl"])
    assert client.get(f"/entries/{between}").status_code == 404
    move(client, auth, world["dsl"], world["other_dsl"], pupil.id, world.other_school.id)
    assert client.get(f"/entries/{between}").status_code == 200
    # Ashgrove cannot log for a pupil it no longer has; a shared entry about a sibling that stayed
    # names only pupils of Ashgrove, so Brookfield does not read it either.
    after = make_entry(pupils=world.pupils[1:2], narrative="Oliver alone, after: plum-lynx.")
    auth.as_(world["other_dsl"])
    assert client.get(f"/entries/{after}").status_code == 404


def test_the_receiving_schools_monitoring_notes_stay_there(app, client, auth, world, make_entry, people):
    pupil = world.pupils[0]
    auth.as_(world["dsl"])
    assert (
        client.post(
            f"/pupils/{pupil.id}/monitoring/start",
            data={
                "reason": "Ashgrove's reason: indigo-badger.",
                "starts_on": uk_today().isoformat(),
                "review_on": (uk_today() + timedelta(days=14)).isoformat(),
            },
        ).status_code
        == 303
    )
    assert client.post(f"/pupils/{pupil.id}/monitoring/end", data={"reason": "Ashgrove ends it."}).status_code == 303
    move(client, auth, world["dsl"], world["other_dsl"], pupil.id, world.other_school.id)
    # Brookfield received Ashgrove's monitoring with the file.
    auth.as_(world["other_dsl"])
    assert "indigo-badger" in client.get(f"/pupils/{pupil.id}/chronology").get_data(as_text=True)
    assert (
        client.post(
            f"/pupils/{pupil.id}/monitoring/start",
            data={
                "reason": "Brookfield's reason: vermilion-stoat.",
                "starts_on": uk_today().isoformat(),
                "review_on": (uk_today() + timedelta(days=7)).isoformat(),
            },
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/pupils/{pupil.id}/monitoring/review",
            data={
                "note": "Brookfield's note: ochre-marten.",
                "review_on": (uk_today() + timedelta(days=21)).isoformat(),
            },
        ).status_code
        == 303
    )
    for who in (world["dsl"], world["slt"], world["governor"]):
        auth.as_(who)
        page = client.get(f"/pupils/{pupil.id}/chronology")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "vermilion-stoat" not in text and "ochre-marten" not in text
        assert "indigo-badger" in text
    for who in (world["dsl"], world["slt"]):
        auth.as_(who)
        review = client.get("/review").get_data(as_text=True)
        assert "vermilion-stoat" not in review and "Amelia Hassan" not in review
