"""Concerns about adults: raised by anyone who logs, read by the case manager only, never by
the person named (whatever their roles: the sweep below asks every GET route of the app as
them), alerts with no content, typed append-only follow-ups, patterns on the home page."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from cpoms.adults import operations
from cpoms.adults import policy as adults_policy
from cpoms.adults.models import AdultConcern, AdultConcernPupil, AdultFollowUp
from cpoms.adults.operations import ALERT_REASON
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Alert, Pupil, Role, RoleAssignment, School, User
from cpoms.timefmt import now_utc

from page_crawl import sweep_get
from sweep import ROLES
from adults_support import PLACE, SAID, WHAT, concern_ids, follow_up, raise_concern, raise_form

# Every route as every role: the sweep's configuration (conftest.config_overrides).
pytestmark = pytest.mark.sweep


def body_of(envelope) -> str:
    message = email.message_from_bytes(envelope.original_content)
    parts = [message] if not message.is_multipart() else [p for p in message.walk() if not p.is_multipart()]
    return message["Subject"] + "\n" + "\n".join(p.get_payload(decode=True).decode() for p in parts)


def test_staff_raise_a_concern_and_are_told_only_that_it_was_received(mail_app, smtp, app, client, auth, world, cast):
    auth.as_(world["teacher2"], verified=False)  # staff raise one without two-factor sign-in too
    response = raise_concern(client, person_id=world["teacher1"].id, pupils=[world.pupils[0].id])
    assert response.status_code == 303
    assert response.headers["Location"] == "/adult-concerns/received"
    received = client.get("/adult-concerns/received").get_data(as_text=True)
    assert "Your concern was received" in received
    for secret in (WHAT, SAID, PLACE, "Teacher1"):
        assert secret not in received
    [concern_id] = concern_ids(app)
    # Not even the raiser reads it again.
    auth.as_(world["teacher2"])
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404
    assert client.get("/adult-concerns").status_code == 403
    # The headteacher is alerted, with nothing of the concern in the email.
    assert smtp.inbox.recipients == ["head@ashgrove.example.org"]
    body = body_of(smtp.inbox.messages[0])
    assert "A concern about an adult has been raised at Ashgrove Primary School" in body
    assert "/adult-concerns" in body
    for secret in ("Shouted", "grabbed", "regret", "corridor", "Teacher1", "Teacher2", "Amelia", "Hassan", "A.H."):
        assert secret not in body, secret
    with app.app_context():
        concern = db.session.get(AdultConcern, concern_id)
        assert concern.subject_user_id == world["teacher1"].id and not concern.about_headteacher
        assert [p.id for p in concern.pupils] == [world.pupils[0].id]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "raise_adult_concern"))
        assert WHAT not in (event.detail or "") and "Teacher1" not in (event.detail or "")
    # The headteacher reads it; the view is audited.
    auth.as_(cast["head"])
    page = client.get(f"/adult-concerns/{concern_id}").get_data(as_text=True)
    assert WHAT in page and SAID in page and PLACE in page and "Amelia Hassan" in page
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.action == "view_adult_concern", AuditEvent.user_id == cast["head"].id)
        )


def test_a_form_sent_twice_raises_one_concern(app, client, auth, world, cast):
    auth.as_(world["teacher2"])
    page = client.get("/adult-concerns/new").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    data = {**raise_form(person_id=world["teacher1"].id), "submission_key": key}
    assert client.post("/adult-concerns/new", data=data).status_code == 303
    again = client.post("/adult-concerns/new", data=data)
    assert again.status_code == 303 and again.headers["Location"] == "/adult-concerns/received"
    assert len(concern_ids(app)) == 1


def test_bad_input_is_a_clear_message_never_a_500(app, client, auth, world, cast):
    auth.as_(world["teacher2"])
    empty = client.post("/adult-concerns/new", data={})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Write what happened" in html and "Say where it happened" in html
    # Someone of another school, a pupil of another school: refused on their field, nothing saved.
    other = raise_concern(client, person_id=world["other_teacher"].id, pupils=[world.other_pupils[0].id])
    assert other.status_code == 422
    html = other.get_data(as_text=True)
    assert "Choose a member of staff of this school from the list." in html
    assert "could not be found at this school" in html
    # Nobody chosen and no name typed.
    assert raise_concern(client, kind="visitor").status_code == 422
    assert concern_ids(app) == []
    # A typed visitor is fine.
    assert raise_concern(client, kind="visitor", name="Vic Visitor").status_code == 303


def test_a_concern_about_the_headteacher_goes_to_the_chair_and_not_the_head(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    assert raise_concern(client, person_id=cast["head"].id).status_code == 303
    [concern_id] = concern_ids(app)
    with app.app_context():
        assert db.session.get(AdultConcern, concern_id).about_headteacher
        recipients = list(db.session.scalars(select(Alert.recipient_id).where(Alert.reason == ALERT_REASON)))
    assert recipients == [cast["chair"].id]
    auth.as_(cast["head"])
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404
    listed = client.get("/adult-concerns").get_data(as_text=True)
    assert f"/adult-concerns/{concern_id}" not in listed and "Hana Head" not in listed.split('id="main"')[-1]
    auth.as_(cast["chair"])
    assert WHAT in client.get(f"/adult-concerns/{concern_id}").get_data(as_text=True)


def test_the_dsl_manages_concerns_only_where_the_headteacher_allows(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    [concern_id] = concern_ids(app)
    auth.as_(world["dsl"])
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404
    assert client.get("/adult-concerns/settings").status_code == 403
    auth.as_(cast["head"])
    page = client.get("/adult-concerns/settings").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    assert (
        client.post("/adult-concerns/settings", data={"dsl_allowed": "yes", "submission_key": key}).status_code == 303
    )
    auth.as_(world["dsl"])
    assert WHAT in client.get(f"/adult-concerns/{concern_id}").get_data(as_text=True)
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 200
    auth.as_(world["deputy"])  # deputies are not case managers
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404


def test_the_case_manager_records_assessment_lado_decision_action_and_outcome(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    [concern_id] = concern_ids(app)
    auth.as_(cast["head"])
    assert client.post(f"/adult-concerns/{concern_id}/assessment", data={}).status_code == 422
    assert client.post(f"/adult-concerns/{concern_id}/nonsense", data={}).status_code == 404
    assert (
        follow_up(client, concern_id, "assessment", level="harm_threshold", text="Physical handling.").status_code
        == 303
    )
    today = now_utc().date().isoformat()
    lado = follow_up(
        client, concern_id, "lado", lado_on=today, lado_name="Lee Lado", lado_reference="LADO/42", text="Suspend."
    )
    assert lado.status_code == 303
    assert follow_up(client, concern_id, "decision", text="Refer to HR.").status_code == 303
    assert (
        follow_up(client, concern_id, "action", suspension_considered="yes", text="Suspended pending.").status_code
        == 303
    )
    assert follow_up(client, concern_id, "outcome", outcome="substantiated", text="Evidence.").status_code == 303
    page = client.get(f"/adult-concerns/{concern_id}").get_data(as_text=True)
    for shown in (
        "Allegation: may meet the harm threshold",
        "Lee Lado",
        "LADO/42",
        "Refer to HR.",
        "Suspended pending.",
    ):
        assert shown in page
    assert "Outcome: Substantiated" in page
    with app.app_context():
        kinds = list(db.session.scalars(select(AdultFollowUp.kind).order_by(AdultFollowUp.id)))
        assert kinds == ["assessment", "lado", "decision", "action", "outcome"]
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "add_adult_follow_up")) == 5


def test_an_allegation_without_a_lado_consultation_is_overdue_after_a_working_day(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    [concern_id] = concern_ids(app)
    auth.as_(cast["head"])
    follow_up(client, concern_id, "assessment", level="harm_threshold", text="Physical handling.")
    from cpoms.adults import queries

    with app.test_request_context():
        row = queries.concern_page(db.session.get(AdultConcern, concern_id))
        row.concern.raised_at = now_utc() - timedelta(days=7)  # in memory only: the row is never updated
        assert row.lado_overdue
        db.session.rollback()


def test_concern_tables_are_append_only(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    with app.app_context():
        for statement in ("UPDATE adult_concerns SET location = 'x'", "DELETE FROM adult_concerns"):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()


def test_several_low_level_concerns_about_one_adult_are_flagged_on_the_home_page(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    for _ in range(3):
        raise_concern(client, person_id=world["teacher2"].id)
    raise_concern(client, kind="visitor", name="Vic Visitor")
    ids = concern_ids(app)
    auth.as_(cast["head"])
    for concern_id in ids[:2]:
        follow_up(client, concern_id, "assessment", level="low_level", text="Code of conduct.")
    assert "Patterns of low-level concerns" not in client.get("/").get_data(as_text=True)
    follow_up(client, ids[2], "assessment", level="low_level", text="Code of conduct.")
    follow_up(client, ids[3], "assessment", level="low_level", text="Code of conduct.")
    home = client.get("/").get_data(as_text=True)
    assert "Patterns of low-level concerns" in home and "Teacher2" in home and "Vic Visitor" not in home
    app.config["ADULT_PATTERN_COUNT"] = 4
    assert "Patterns of low-level concerns" not in client.get("/").get_data(as_text=True)


# --- nobody named in a concern ever sees it: every route of the app, as each kind of person ---

NAMED = [r for r in ROLES if r != "anonymous"]


def concern_naming(app, world, role: str, secret: str) -> int:
    """A concern at ashgrove naming this person (someone of another school may work here too)."""
    with app.test_request_context():
        concern, _ = operations.raise_concern(
            db.session.get(User, world["teacher2" if role != "teacher2" else "teacher1"].id),
            db.session.get(School, world.school.id),
            subject_kind="staff",
            person=db.session.get(User, world[role].id),
            typed_name="",
            subject_role="",
            happened_at=now_utc() - timedelta(hours=1),
            location=f"Place {secret}",
            what_happened=f"What happened {secret}",
            what_was_said=f"Said {secret}",
            pupils=[db.session.get(Pupil, world.pupils[0].id)],  # the sweep's pupil
        )
        db.session.commit()
        return concern.id


@pytest.fixture
def chair_is_governor(app, world, sample):
    """The sweep's ashgrove: slt is the headteacher (the sample), governor chairs the governors."""
    with app.app_context():
        db.session.add(
            RoleAssignment(user_id=world["governor"].id, role=Role.CHAIR_OF_GOVERNORS, school_id=world.school.id)
        )
        db.session.commit()


@pytest.mark.parametrize("named", NAMED)
def test_the_person_named_finds_nothing_of_it_on_any_route(app, client, auth, world, sample, chair_is_governor, named):
    secret = f"zq{named}qz"
    concern_id = concern_naming(app, world, named, secret)
    ids = {**sample, "concern_id": concern_id}
    # Someone does manage it (so the sweep is not vacuous): and reads it.
    with app.test_request_context():
        concern = db.session.get(AdultConcern, concern_id)
        managers = [u.id for u in adults_policy.case_managers(concern)]
    assert managers and world[named].id not in managers
    manager = next(u for u in world.users.values() if u.id in managers)
    auth.as_(manager)
    assert secret in client.get(f"/adult-concerns/{concern_id}").get_data(as_text=True)
    # The named person, on every GET route of the app, and writing on it.
    auth.as_(world[named])
    for _, url, shown in sweep_get(app, client, ids):
        assert secret not in shown and f"/adult-concerns/{concern_id}" not in shown, (named, url)
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404
    assert client.post(f"/adult-concerns/{concern_id}/decision", data={"text": "x"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AdultFollowUp)) == 0


def test_the_list_and_the_single_record_check_agree(app, world, sample, chair_is_governor, auth, client):
    concerns = [concern_naming(app, world, role, f"s{role}") for role in NAMED]
    concerns.append(sample["concern_id"])
    for role in NAMED:
        auth.as_(world[role])
        client.get("/")  # a request as them, then the policy's two forms in its context
        with app.test_request_context():
            user = db.session.get(User, world[role].id)
            from flask_login import login_user

            login_user(user)
            user.session_row = SimpleNamespace(two_factor_at=now_utc())
            listed = set(db.session.scalars(select(AdultConcern.id).where(adults_policy.visible_concerns(user))))
            checked = {c for c in concerns if adults_policy.can_view_concern(user, db.session.get(AdultConcern, c))}
            assert listed == checked, role
            named = set(db.session.scalars(select(AdultConcern.id).where(AdultConcern.subject_user_id == user.id)))
            assert not (listed & named), role


def test_a_pupils_chronology_shows_the_case_manager_a_line_and_nobody_anything(app, client, auth, world, cast):
    auth.as_(world["teacher2"])
    raise_concern(client, person_id=world["teacher1"].id, pupils=[world.pupils[0].id])
    chronology = f"/pupils/{world.pupils[0].id}/chronology"
    auth.as_(world["dsl"])
    page = client.get(chronology).get_data(as_text=True)
    assert "about an adult" not in page and WHAT not in page
    # The headteacher, given a reading role at the school too, sees the line and no content.
    with app.app_context():
        db.session.add(RoleAssignment(user_id=cast["head"].id, role=Role.SLT, school_id=world.school.id))
        db.session.commit()
    auth.as_(cast["head"])
    page = client.get(chronology).get_data(as_text=True)
    assert "1 concern about an adult involves this child" in page
    assert WHAT not in page and SAID not in page and "Teacher1" not in page


def test_a_refusal_does_not_tell_the_audit_log_pages_that_a_concern_exists(app, client, auth, world, cast):
    """The admin may be the person named: the school's audit log must not say "refused
    adult concern 7", not even for someone else's attempt."""
    auth.as_(world["teacher2"], verified=False)
    raise_concern(client, person_id=world["admin"].id)
    [concern_id] = concern_ids(app)
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404
    with app.app_context():
        refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "denied_adult_concern"))
        assert refused is not None and refused.user_id == world["teacher2"].id
    auth.as_(world["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "adult concern" not in page.lower() and "concern about an adult" not in page.lower()


def test_where_nobody_manages_concerns_the_raiser_is_told_and_the_admins_warned(app, client, auth, world):
    """No headteacher in the app (the world has none): the concern is kept, but nobody is
    alerted. The raiser must not believe it has been read, and the admins must see why."""
    auth.as_(world["teacher2"], verified=False)
    response = raise_concern(client, person_id=world["teacher1"].id)
    assert response.headers["Location"] == "/adult-concerns/received?nobody=1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nobody at this school is set up in the app to read it yet" in page
    assert "Tell the headteacher in person today" in page and "has been told" not in page
    assert len(concern_ids(app)) == 1
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(Alert).where(Alert.reason == ALERT_REASON))
    auth.as_(world["admin"])
    home = client.get("/").get_data(as_text=True)
    assert "Concerns about adults at Ashgrove Primary School have nobody to read them" in home
    assert "headteacher or chair of governors" in home
    # Staff see no such notice: it is the admins' to act on.
    auth.as_(world["teacher1"], verified=False)
    assert "have nobody to read them" not in client.get("/").get_data(as_text=True)


def test_with_a_case_manager_the_raiser_is_told_it_was_passed_on_and_no_warning_shows(app, client, auth, world, cast):
    auth.as_(world["teacher2"], verified=False)
    response = raise_concern(client, person_id=world["teacher1"].id)
    assert response.headers["Location"] == "/adult-concerns/received"
    assert "The case manager has been told" in client.get("/adult-concerns/received").get_data(as_text=True)
    auth.as_(world["admin"])
    assert "have nobody to read them" not in client.get("/").get_data(as_text=True)


HX = {"HX-Request": "true"}


def test_the_children_are_chosen_with_the_log_forms_picker_with_and_without_javascript(app, client, auth, world, cast):
    amelia, other = world.pupils[0], world.other_pupils[0]
    first = amelia.first_name[:3].lower()
    auth.as_(world["teacher2"], verified=False)
    page = client.get("/adult-concerns/new").get_data(as_text=True)
    assert "<select" not in page.split('id="pupil_ids"')[1].split("</fieldset>")[0]  # no long list
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    typed = {**raise_form(person_id=world["teacher1"].id), "submission_key": key}
    # Without JavaScript: "Find" posts the form back with the results; nothing is saved.
    response = client.post("/adult-concerns/new", data={**typed, "q": first, "find": "1"})
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and f'name="add_pupil" value="{amelia.id}"' in shown
    assert WHAT in shown  # what was typed is kept
    # "Add" puts the child on as a chip (a ticked checkbox), still without saving.
    response = client.post("/adult-concerns/new", data={**typed, "add_pupil": str(amelia.id)})
    shown = response.get_data(as_text=True)
    assert f'name="pupil_ids" value="{amelia.id}"' in shown and "chip-role" not in shown
    assert concern_ids(app) == []
    # Sending it saves the child's link.
    assert client.post("/adult-concerns/new", data={**typed, "pupil_ids": [str(amelia.id)]}).status_code == 303
    with app.app_context():
        [link] = db.session.scalars(select(AdultConcernPupil))
        assert link.pupil_id == amelia.id
    # With JavaScript: the typeahead's results and the chip, from this school only.
    results = client.get(f"/adult-concerns/pupils?q={first}", headers=HX).get_data(as_text=True)
    assert f"/adult-concerns/pupils/{amelia.id}?school={world.school.id}" in results
    chip = client.get(f"/adult-concerns/pupils/{amelia.id}", headers=HX).get_data(as_text=True)
    assert f'name="pupil_ids" value="{amelia.id}"' in chip and "chip-role" not in chip
    assert client.get(f"/adult-concerns/pupils/{other.id}", headers=HX).status_code == 404
    # Without htmx the addresses lead back to the form.
    assert client.get(f"/adult-concerns/pupils?q={first}").status_code == 302
