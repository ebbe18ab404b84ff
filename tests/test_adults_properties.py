"""Property test of who reads a concern about an adult, over generated worlds (the people,
roles and schools of tests/test_policy_properties.py): for every person and every concern,
the list's SQL (visible_concerns), the single check (can_view_concern) and a model written
here from the policy agree, and nobody ever reads, or counts on the termly report, a
concern that names them, whatever roles they hold."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from cpoms.adults import operations
from cpoms.adults import policy as adults_policy
from cpoms.adults.models import AdultConcern, CaseManagerSetting
from cpoms.demo import ensure_categories
from cpoms.extensions import db
from cpoms.models import Role, User
from cpoms.timefmt import now_utc

from worlds import PROPERTY, SCHOOLS, build, held, scripts, signed_in

# Each concern: at which school, about whom (a person of the world by index, or None: a typed-in visitor).
concerns = st.lists(st.tuples(st.integers(0, SCHOOLS - 1), st.one_of(st.integers(0, 9), st.none())), max_size=8)
dsls_allowed = st.lists(st.booleans(), min_size=SCHOOLS, max_size=SCHOOLS)


def model_reads(script, person: int, school: int, subject: int | None, about_head: bool, allowed: list[bool]) -> bool:
    if not script.people[person][1] or person == subject:
        return False
    roles = held(script, person)
    if about_head:
        return school in roles[Role.CHAIR_OF_GOVERNORS]
    return school in roles[Role.HEADTEACHER] or (allowed[school] and school in roles[Role.DSL])


def model_counts(script, person: int, school: int, subject: int | None, reads: bool) -> bool:
    """The termly report: what they manage, and every concern at a school they oversee; never one naming them."""
    if not script.people[person][1] or person == subject:
        return False
    roles = held(script, person)
    return reads or school in roles[Role.GOVERNOR] | roles[Role.TRUST_REP]


@PROPERTY
@given(script=scripts, raised=concerns, allowed=dsls_allowed)
def test_the_list_the_single_check_and_the_model_agree_and_nobody_reads_a_concern_naming_them(
    app, script, raised, allowed
):
    with app.test_request_context():
        built = build(script, ensure_categories()[0].id)
        users = built.users
        for i, yes in enumerate(allowed):
            db.session.add(CaseManagerSetting(school_id=built.schools[i].id, dsl_allowed=yes, set_by_id=users[0].id))
        made = []
        for school, subject in raised:
            subject = None if subject is None else subject % len(users)
            person = users[subject] if subject is not None else None
            concern, _ = operations.raise_concern(
                users[0],
                built.schools[school],
                subject_kind="staff" if person else "visitor",
                person=person,
                typed_name="" if person else "A Visitor",
                subject_role="",
                happened_at=now_utc() - timedelta(hours=1),
                location="Hall",
                what_happened="Something happened.",
                what_was_said="",
                pupils=[],
            )
            # The model's own reading: about the headteacher when the person named holds that role there (active).
            about_head = (
                subject is not None and script.people[subject][1] and school in held(script, subject)[Role.HEADTEACHER]
            )
            assert concern.about_headteacher == about_head
            made.append((concern.id, school, subject, about_head))
        db.session.commit()
        ids = [m[0] for m in made]
        for person, user in enumerate(users):
            db.session.expire_all()
            user = signed_in(db.session.get(User, user.id))
            listed = set(
                db.session.scalars(
                    select(AdultConcern.id).where(AdultConcern.id.in_(ids), adults_policy.visible_concerns(user))
                )
            )
            counted = set(
                db.session.scalars(
                    select(AdultConcern.id).where(AdultConcern.id.in_(ids), adults_policy.report_clause(user))
                )
            )
            for concern_id, school, subject, about_head in made:
                where = f"person {person} {script.people[person]}, concern at {school} about {subject}"
                expected = model_reads(script, person, school, subject, about_head, allowed)
                single = adults_policy.can_view_concern(user, db.session.get(AdultConcern, concern_id))
                assert (concern_id in listed) == single == expected, where
                assert (concern_id in counted) == model_counts(script, person, school, subject, expected), where
                if subject == person:
                    assert concern_id not in listed and concern_id not in counted, where
