"""The two-person deletion after the retention review holds against one admin acting
alone: an earlier date of birth from the MIS is not counted until a DSL accepts it, and
a confirmer (or an accepter) is a DSL who held the role before, given by someone else."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cpoms.audit import AuditEvent
from cpoms.common import uk_today as today
from cpoms.extensions import db
from cpoms.mis.models import RetentionDeletion
from cpoms.mis.retention import add_years
from cpoms.models import Entry, Pupil, Role, RoleAssignment, User
from cpoms.timefmt import now_utc

# Amelia (conftest: born 14/03/2018, year 4, 4Oak) as the MIS would give her, born in 1995:
# her records would look past the 25-year retention period.
AMELIA_1995 = (
    b"UPN,Legal Forename,Legal Surname,Date of Birth,Year,Reg Group\r\n"
    b"A204210010001,Amelia,Hassan,14/03/1995,4,4Oak\r\n"
)


def upload(client, data: bytes, path: str = "/admin/pupils/import"):
    form = {"school": "ashgrove", "file": FileStorage(io.BytesIO(data), "pupils.csv", content_type="text/csv")}
    boundary, body = encode_multipart(form)  # no "full": a partial file, nobody is marked as left
    response = client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 303
    return response.headers["Location"]


def propose(client, pupil_id: int):
    return client.post(
        f"/admin/pupils/retention/{pupil_id}/propose", data={f"p{pupil_id}-reason": "Retention period ended."}
    )


def new_dsl_account(client, world, email: str) -> int:
    """The admin makes a DSL account on the users page for an address they control."""
    response = client.post(
        "/admin/users/new", data={"name": "Helper", "email": email, "grant": f"dsl@school:{world.school.id}"}
    )
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


def as_user(app, auth, user_id: int):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
    return auth.as_(user)


def proposals(app) -> list[RetentionDeletion]:
    with app.app_context():
        found = list(db.session.scalars(select(RetentionDeletion)))
        db.session.expunge_all()
        return found


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Entry))


def test_one_admin_cannot_delete_a_record_alone_through_a_changed_date_of_birth(app, client, auth, world, make_entry):
    """The whole attack, step by step, as the admin did it."""
    make_entry(narrative="Amelia said something private.")
    amelia = world.pupils[0].id
    auth.as_(world["admin"])
    preview = client.get(upload(client, AMELIA_1995)).get_data(as_text=True)
    assert client.post(upload(client, AMELIA_1995)).status_code == 303
    page = client.get("/admin/pupils/retention").get_data(as_text=True)
    propose(client, amelia)
    helper = new_dsl_account(client, world, "helper@ashgrove.example.org")
    as_user(app, auth, helper)
    for proposal in proposals(app):
        client.post(f"/retention-deletions/{proposal.id}/confirm")
    assert entries(app) == 1, "one admin deleted a child's record alone"

    # Why: the retention period is still counted from 2018, so nothing was due to propose...
    assert proposals(app) == []
    assert "until a DSL accepts it" in preview
    assert f'id="flagged-{amelia}"' in page and "Propose deletion" not in page
    # ...and the admin's own DSL cannot accept the earlier date either.
    assert "You cannot accept this" in client.get("/retention-deletions").get_data(as_text=True)
    assert client.post(f"/retention-deletions/dates-of-birth/{amelia}/accept").status_code == 303
    with app.app_context():
        assert db.session.get(Pupil, amelia).retention_date_of_birth is not None
    with app.app_context():
        [flag] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "date_of_birth_flagged"))
        assert flag.user_id == world["admin"].id and flag.pupil_id == amelia


def test_a_dsl_the_proposer_made_cannot_confirm(app, client, auth, world, make_entry):
    """A record genuinely due: the admin proposes, then makes a DSL to confirm it."""
    amelia = world.pupils[0].id
    with app.app_context():
        db.session.execute(update(Pupil).where(Pupil.id == amelia).values(date_of_birth=add_years(today(), -26)))
        db.session.commit()
    make_entry(narrative="Amelia said something private.")
    auth.as_(world["admin"])
    made_before = new_dsl_account(client, world, "before@ashgrove.example.org")
    assert propose(client, amelia).status_code == 303
    [proposal] = proposals(app)
    made_after = new_dsl_account(client, world, "after@ashgrove.example.org")

    for helper, why in (
        (made_before, "the person who proposed it gave you your role"),
        (made_after, "you became a designated safeguarding lead after"),
    ):
        as_user(app, auth, helper)
        assert client.post(f"/retention-deletions/{proposal.id}/confirm").status_code == 403
        assert why in client.get("/retention-deletions").get_data(as_text=True)
    assert entries(app) == 1

    auth.as_(world["dsl"])  # a DSL since before the proposal, given the role by someone else
    assert client.post(f"/retention-deletions/{proposal.id}/confirm").status_code == 303
    assert entries(app) == 0


def test_the_schools_dsl_accepts_an_earlier_date_of_birth_then_it_counts(app, client, auth, world):
    amelia = world.pupils[0].id
    auth.as_(world["admin"])
    client.post(upload(client, AMELIA_1995))
    auth.as_(world["dsl"])
    page = client.get("/retention-deletions").get_data(as_text=True)
    assert "Earlier dates of birth to check" in page and "14 Mar 2018 → 14 Mar 1995" in page, page[page.find("<main") :]
    assert client.post(f"/retention-deletions/dates-of-birth/{amelia}/accept").status_code == 303
    with app.app_context():
        pupil = db.session.get(Pupil, amelia)
        assert pupil.retention_date_of_birth is None and str(pupil.date_of_birth) == "1995-03-14"
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "date_of_birth_accepted"))
        assert event.user_id == world["dsl"].id and json.loads(event.detail)["imported_by"] == world["admin"].id
    auth.as_(world["admin"])
    assert propose(client, amelia).status_code == 303
    assert len(proposals(app)) == 1


def test_a_later_date_of_birth_counts_at_once_and_clears_an_earlier_one(app, client, auth, world):
    amelia = world.pupils[0].id
    auth.as_(world["admin"])
    client.post(upload(client, AMELIA_1995))
    later = AMELIA_1995.replace(b"14/03/1995", b"20/03/2018")
    client.post(upload(client, later))
    with app.app_context():
        pupil = db.session.get(Pupil, amelia)
        assert pupil.retention_date_of_birth is None and pupil.retention_flagged_at is None
        assert str(pupil.date_of_birth) == "2018-03-20"


@pytest.mark.parametrize("when", [timedelta(0), timedelta(seconds=-1)])
def test_the_rule_compares_the_role_with_the_proposal(app, world, when):
    """A role given at the very moment of the proposal, or later, does not count; one
    given before it, by someone other than the proposer, does."""
    from cpoms.mis import policy as mis_policy

    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        dsl.session_row = type("Verified", (), {"two_factor_at": now_utc()})()
        [held] = [a for a in dsl.roles if a.role == Role.DSL]
        proposal = RetentionDeletion(
            pupil_id=world.pupils[0].id,
            school_id=world.school.id,
            reason="r",
            proposed_by_id=world["admin"].id,
            proposed_at=held.granted_at - when,
        )
        assert mis_policy.can_confirm_deletion(dsl, proposal) is (when < timedelta(0))
        held.granted_by_id = world["admin"].id
        assert not mis_policy.can_confirm_deletion(dsl, proposal)
        assert isinstance(held, RoleAssignment)
