"""Concerns about adults after the allegation: their own retention rules (from the dates
the case manager records), deletion by two case managers, termly counts with no names,
and the list of substantiated allegations for a reference."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from cpoms.adults.models import (
    AdultConcern,
    AdultConcernDeletion,
    AdultConcernPupil,
    AdultFollowUp,
    CaseManagerSetting,
)
from cpoms.audit import AuditEvent
from cpoms.common import uk_today
from cpoms.extensions import db
from cpoms.mis.retention import add_years
from cpoms.models import RoleAssignment
from cpoms.timefmt import now_utc, uk_date

from adults_support import WHAT, concern_ids, follow_up, raise_concern


def allow_dsls(client):
    """As the headteacher, through the settings page."""
    page = client.get("/adult-concerns/settings").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    assert (
        client.post("/adult-concerns/settings", data={"dsl_allowed": "yes", "submission_key": key}).status_code == 303
    )


def decided(client, concern_id, level, outcome=None):
    assert follow_up(client, concern_id, "assessment", level=level, text="Measured.").status_code == 303
    if outcome:
        assert follow_up(client, concern_id, "outcome", outcome=outcome, text="Investigated.").status_code == 303


def dates(client, concern_id, **values):
    data = {"born_on": "", "retires_on": "", "left_on": "", "text": "From the personnel file.", **values}
    return follow_up(client, concern_id, "dates", **data)


def retention_page(client) -> str:
    return client.get("/adult-concerns/retention").get_data(as_text=True)


def test_each_rule_gives_a_review_date_and_says_why(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    for _ in range(3):
        raise_concern(client, person_id=world["teacher2"].id)
    raise_concern(client, kind="visitor", name="Vic Visitor")
    raise_concern(client, kind="visitor", name="Una Unfounded")
    low, allegation, malicious, visitor, unfounded = concern_ids(app)
    auth.as_(cast["head"])
    decided(client, low, "low_level")
    decided(client, visitor, "low_level")
    decided(client, allegation, "harm_threshold", "unsubstantiated")
    decided(client, malicious, "harm_threshold", "malicious")
    decided(client, unfounded, "harm_threshold", "unfounded")
    page = retention_page(client)
    assert page.count("Review due") == 1  # the malicious allegation, found today
    assert "Malicious allegation: removed after review" in page
    ten = uk_date(add_years(uk_today(), 10))
    assert f"Ten years from the allegation is {ten}; their normal retirement date is not recorded" in page
    # Unfounded is not malicious: kept like the others (and never in a reference).
    assert "Unfounded allegation: kept to normal retirement age or ten years" in page
    assert "They still hold a role at the school." in page
    assert "No leaving date recorded" in page

    # The case manager records the dates: a date of birth gives retirement at 67.
    born = date(1975, 3, 4)
    assert dates(client, allegation, born_on=born.isoformat()).status_code == 303
    page = retention_page(client)
    assert f"normal retirement (age 67, from their date of birth): {uk_date(date(2042, 3, 4))}" in page
    assert f"Kept until {uk_date(date(2042, 3, 4))}." in page
    # A recorded retirement date earlier than ten years: ten years stand.
    assert dates(client, allegation, retires_on="2030-01-01").status_code == 303
    assert f"Kept until {ten}." in retention_page(client)
    # The typed-in visitor left (recorded): their low-level concern is due.
    left = uk_today() - timedelta(days=3)
    assert dates(client, visitor, left_on=left.isoformat()).status_code == 303
    page = retention_page(client)
    assert f"They left on {uk_date(left)} (recorded)." in page and page.count("Review due") == 2
    # teacher2's account leaves the school: theirs is due too.
    with app.app_context():
        db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.user_id == world["teacher2"].id))
        db.session.commit()
    page = retention_page(client)
    assert "They have left: their account no longer holds a role at the school." in page
    assert page.count("Review due") == 3
    # The dates are follow-ups like any other: shown on the concern, append-only.
    assert f"Date of birth:</strong> {uk_date(born)}" in client.get(f"/adult-concerns/{allegation}").get_data(
        as_text=True
    )
    auth.as_(world["teacher1"])
    assert client.get("/adult-concerns/retention").status_code == 403


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "Enter at least one of the three dates."),
        ({"born_on": "1850-01-01"}, "Enter a date of birth between 1900 and today."),
        ({"born_on": "not a date"}, "Not a valid date value."),
        ({"left_on": (uk_today() + timedelta(days=2)).isoformat()}, "it cannot be in the future"),
        ({"retires_on": "9999-12-31"}, "Enter a retirement date between 1900 and 2150."),
        ({"born_on": "1980-01-01", "text": ""}, "Write the reasons."),
    ],
)
def test_bad_dates_are_a_clear_message(app, client, auth, world, cast, values, message):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    [concern_id] = concern_ids(app)
    auth.as_(cast["head"])
    response = dates(client, concern_id, **values)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(AdultFollowUp))


def malicious_allegation(app, client, auth, world, cast, dsls_allowed: bool = True) -> int:
    """A malicious allegation about teacher2 (a pupil involved). Everyone's roles were given
    two days ago; with dsls_allowed, the headteacher let the DSLs manage concerns a day ago."""
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id, pupils=[world.pupils[0].id])
    [concern_id] = concern_ids(app)
    auth.as_(cast["head"])
    decided(client, concern_id, "harm_threshold", "malicious")
    with app.app_context():
        db.session.execute(text("UPDATE role_assignments SET granted_at = :t"), {"t": now_utc() - timedelta(2)})
        if dsls_allowed:
            db.session.add(
                CaseManagerSetting(
                    school_id=world.school.id,
                    dsl_allowed=True,
                    set_by_id=cast["head"].id,
                    set_at=now_utc() - timedelta(1),
                )
            )
        db.session.commit()
    return concern_id


@pytest.fixture
def found_malicious(app, client, auth, world, cast):
    return malicious_allegation(app, client, auth, world, cast)


def propose(client, concern_id, reason="Found malicious; reviewed."):
    return client.post(f"/adult-concerns/{concern_id}/deletion", data={"reason": reason})


def test_two_case_managers_delete_a_concern_leaving_an_audit_record_without_content(
    app, client, auth, world, cast, found_malicious
):
    concern_id = found_malicious
    auth.as_(cast["head"])
    assert "Review and propose deletion" in retention_page(client)
    assert propose(client, concern_id, reason="").status_code == 422
    assert propose(client, concern_id).status_code == 303
    # Not the proposer.
    page = client.get(f"/adult-concerns/{concern_id}/deletion").get_data(as_text=True)
    assert "You cannot confirm it (you proposed it)" in page
    client.post(f"/adult-concerns/{concern_id}/deletion/confirm")
    assert concern_ids(app) == [concern_id]
    # The DSL, a case manager here, is told on their home page, and confirms.
    auth.as_(world["dsl"])
    assert "1 deletion after review waiting for you to confirm" in client.get("/").get_data(as_text=True)
    response = client.post(f"/adult-concerns/{concern_id}/deletion/confirm", follow_redirects=True)
    assert "The concern is deleted, with its 2 follow-ups" in response.get_data(as_text=True)
    with app.app_context():
        for model in (AdultConcern, AdultFollowUp, AdultConcernPupil):
            assert not db.session.scalar(select(func.count()).select_from(model)), model
        proposal = db.session.scalar(select(AdultConcernDeletion))
        assert proposal.confirmed_by_id == world["dsl"].id
        assert proposal.reason == "(removed with the concern)"  # it may have named them
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("adult_concern_deletion_%"))))
        assert [e.action for e in events] == ["adult_concern_deletion_proposed", "adult_concern_deletion_confirmed"]
        logged = " ".join(str(e.detail) for e in events)
        assert "Teacher" not in logged and WHAT not in logged and "malicious" not in logged.lower()
    assert client.get(f"/adult-concerns/{concern_id}").status_code == 404


def test_a_review_not_due_cannot_be_proposed(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    raise_concern(client, person_id=world["teacher2"].id)
    [concern_id] = concern_ids(app)
    auth.as_(cast["head"])
    decided(client, concern_id, "harm_threshold", "substantiated")
    response = propose(client, concern_id)
    assert response.status_code == 409 and "not due yet" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(AdultConcernDeletion))


@pytest.mark.parametrize("how", ["given_by_proposer", "made_after", "allowed_after"])
def test_an_accomplice_of_the_proposer_cannot_confirm(app, client, auth, world, cast, how):
    concern_id = malicious_allegation(app, client, auth, world, cast, dsls_allowed=how != "allowed_after")
    auth.as_(cast["head"])
    assert propose(client, concern_id).status_code == 303
    if how == "allowed_after":  # the proposer lets the DSLs in, to find a second person
        allow_dsls(client)
    with app.app_context():
        if how == "given_by_proposer":
            db.session.execute(
                text("UPDATE role_assignments SET granted_by_id = :h WHERE user_id = :u"),
                {"h": cast["head"].id, "u": world["dsl"].id},
            )
        elif how == "made_after":
            db.session.execute(
                text("UPDATE role_assignments SET granted_at = :t WHERE user_id = :u"),
                {"t": now_utc() + timedelta(minutes=1), "u": world["dsl"].id},
            )
        db.session.commit()
    auth.as_(world["dsl"])
    response = client.post(f"/adult-concerns/{concern_id}/deletion/confirm", follow_redirects=True)
    assert "Not deleted:" in response.get_data(as_text=True)
    assert concern_ids(app) == [concern_id]
    # Anyone who manages it may withdraw the proposal.
    assert client.post(f"/adult-concerns/{concern_id}/deletion/withdraw").status_code == 303
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(AdultConcernDeletion))


def test_nobody_else_reaches_the_deletion(app, client, auth, world, cast, found_malicious):
    concern_id = found_malicious
    auth.as_(cast["head"])
    propose(client, concern_id)
    for name in ("teacher1", "teacher2", "governor", "admin"):  # teacher2: the person named
        auth.as_(world[name])
        assert client.get(f"/adult-concerns/{concern_id}/deletion").status_code == 404, name
        assert client.post(f"/adult-concerns/{concern_id}/deletion/confirm").status_code == 404, name
        assert client.post(f"/adult-concerns/{concern_id}/deletion/withdraw").status_code == 404, name
    assert concern_ids(app) == [concern_id]


def test_the_tables_refuse_a_deletion_without_its_grant(app, client, auth, world, cast, found_malicious):
    for table in ("adult_concerns", "adult_follow_ups", "adult_concern_pupils"):
        with app.app_context():
            with pytest.raises(DBAPIError):
                db.session.execute(text(f"DELETE FROM {table}"))  # nosec B608: constant names
            db.session.rollback()
    assert concern_ids(app) == [found_malicious]


def test_termly_counts_for_the_case_manager_and_governors_with_no_names(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    for _ in range(3):
        raise_concern(client, person_id=world["teacher2"].id)
    raise_concern(client, person_id=world["governor"].id)
    low, harm, unassessed, about_governor = concern_ids(app)
    auth.as_(cast["head"])
    decided(client, low, "low_level")
    decided(client, harm, "harm_threshold", "substantiated")
    follow_up(client, harm, "lado", lado_on=uk_today().isoformat(), lado_name="Lee Lado", text="Advice.")
    page = client.get("/adult-concerns/report").get_data(as_text=True)
    row = re.search(r'<tr><th scope="row">[^<]+</th>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td>(\d+)</td>", row)
    # raised, low, harm, not assessed, LADO, then substantiated, malicious, false, unsubstantiated, unfounded
    assert cells == ["4", "1", "1", "2", "1", "1", "0", "0", "0", "0"]
    assert "Teacher2" not in page and WHAT not in page
    # The governor sees counts only (never one naming them), and no concern.
    auth.as_(world["governor"])
    page = client.get("/adult-concerns/report").get_data(as_text=True)
    row = re.search(r'<tr><th scope="row">[^<]+</th>(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row)[0] == "3"
    assert client.get(f"/adult-concerns/{harm}").status_code == 404
    assert client.get("/adult-concerns").status_code == 403
    auth.as_(world["teacher1"])
    assert client.get("/adult-concerns/report").status_code == 403


def test_a_reference_lists_only_substantiated_allegations_about_the_same_adult(app, client, auth, world, cast):
    auth.as_(world["teacher1"])
    for _ in range(5):
        raise_concern(client, person_id=world["teacher2"].id)
    raise_concern(client, kind="visitor", name="Someone Else")
    substantiated, false_one, low, unfounded, malicious, other = concern_ids(app)
    auth.as_(cast["head"])
    decided(client, substantiated, "harm_threshold", "substantiated")
    decided(client, false_one, "harm_threshold", "false")
    decided(client, low, "low_level")
    decided(client, unfounded, "harm_threshold", "unfounded")
    decided(client, malicious, "harm_threshold", "malicious")
    decided(client, other, "harm_threshold", "substantiated")
    page = client.get(f"/adult-concerns/{low}/reference").get_data(as_text=True)
    assert page.count('<li class="timeline-item">') == 1 and "Outcome:</strong> Substantiated" in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_adult_reference"))
        assert event is not None and json.loads(event.detail)["listed"] == [substantiated]
    auth.as_(world["teacher2"])
    assert client.get(f"/adult-concerns/{low}/reference").status_code == 404
