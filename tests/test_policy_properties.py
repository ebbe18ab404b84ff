"""Property tests of cpoms/policy.py over generated worlds: schools of one trust, people
with random roles (at schools and across the trust), pupils, entries, transfers in
random sequences (back and forth, declined, never answered), colleagues alerted, tasks,
safeguarding alerts and monitoring, and people excluded from a pupil's record (and
exclusions ended), which outrank every role.

For every person and every record, three answers must agree: the list query (the SQL
the chronology, home page and search use), the single-record check (can_view_entry),
and a small reference model written here from the school's policy, which follows each
school's copy of a pupil's file as it is handed on. And "who may X at this school"
(holders, holds) must be exactly the people access() says may X there.

Each example builds its own trust in the one test database, so examples never see
each other's rows (which is why the function-scoped app fixture is safe here).
Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import itertools

from hypothesis import given
from sqlalchemy import select

from cpoms import policy
from cpoms.chronology.queries import Filters, everything
from cpoms.demo import ensure_categories
from cpoms.extensions import db
from cpoms.models import (
    Entry,
    Pupil,
    Role,
    User,
)
from cpoms.monitoring import policy as monitoring_policy
from cpoms.monitoring.models import MonitoringEvent

from worlds import Built, PROPERTY, Record, Script, build, held, scripts, signed_in

# The school's policy (docs: DESIGN.md, "Roles and what each may see"), written out
# again here as the model's own reading of it, not imported from policy.
READS_SCHOOL = {Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.GOVERNOR, Role.TRUST_REP}
STAFF_LIKE = {Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT}  # read what they recorded or were alerted to
RECEIVES_FILES = {Role.DSL, Role.DEPUTY_DSL, Role.SLT}  # never governors


# --- generated worlds ----------------------------------------------------------------------


# --- the reference model ---------------------------------------------------------------------


def schools_for(roles: dict[str, set[int]], wanted) -> set[int]:
    return set().union(*(roles[r] for r in wanted))


def model_reads(script: Script, built: Built, person: int, record: Record, kind: str) -> bool:
    if not script.people[person][1]:
        return False  # a deactivated account signs in to nothing
    if any((person, pupil) in built.excluded for pupil in record.pupils):
        return False  # kept from a pupil's record: nothing about them, whatever the role
    roles = held(script, person)
    if record.school in schools_for(roles, READS_SCHOOL):
        return True
    if (
        kind == "entry"
        and record.school in schools_for(roles, STAFF_LIKE)
        and (record.recorder == person or person in record.alerted)
    ):
        return True
    # The copies of the file this person's school holds: what it was handed, while it held the pupil.
    return any(
        (kind, record.id) in built.copies.get((school, pupil), set())
        for school in schools_for(roles, RECEIVES_FILES)
        for pupil in record.pupils
    )


# --- the properties ---------------------------------------------------------------------------


@PROPERTY
@given(script=scripts)
def test_lists_single_checks_and_the_model_agree_on_every_record(app, script):
    with app.test_request_context():
        category_id = ensure_categories()[0].id
        built = build(script, category_id)
        entry_ids = [r.id for r in built.entries]
        event_ids = [r.id for r in built.monitoring]
        for person, user in enumerate(built.users):
            user = signed_in(db.session.get(User, user.id))
            listed = set(
                db.session.scalars(select(Entry.id).where(Entry.id.in_(entry_ids), policy.visible_entries(user)))
            )
            events = set(
                db.session.scalars(
                    select(MonitoringEvent.id).where(
                        MonitoringEvent.id.in_(event_ids), monitoring_policy.visible_monitoring(user)
                    )
                )
            )
            chronologies = {
                pupil.id: {e.id for e in everything(user, pupil, Filters()).items} for pupil in built.pupils
            }
            for record in built.entries:
                expected = model_reads(script, built, person, record, "entry")
                single = policy.can_view_entry(user, db.session.get(Entry, record.id))
                where = f"person {person} {script.people[person]}, entry {record}"
                assert (record.id in listed) == single == expected, where
                for p in range(len(built.pupils)):
                    on_chronology = record.id in chronologies[built.pupils[p].id]
                    assert on_chronology == (expected and p in record.pupils), where
            for record in built.monitoring:
                expected = model_reads(script, built, person, record, "monitoring")
                assert (record.id in events) == expected, f"person {person}, monitoring {record}"
            for p, pupil in enumerate(built.pupils):
                pupil = db.session.get(Pupil, pupil.id)
                if (person, p) in built.excluded:
                    assert not policy.can_view_chronology(user, pupil), f"person {person}, pupil {p}"
                if script.people[person][1]:  # (a deactivated account is asked nothing)
                    assert policy.reads_about_pupil(user, pupil) == ((person, p) not in built.excluded)


@PROPERTY
@given(script=scripts)
def test_who_holds_a_capability_is_whom_access_says_may(app, script):
    with app.test_request_context():
        built = build(script, ensure_categories()[0].id)
        user_ids = [u.id for u in built.users]
        users = [signed_in(db.session.get(User, i)) for i in user_ids]
        for capability, school in itertools.product(policy.CAPABILITIES, built.schools):
            may = {u.id for u in users if school.id in policy.access(u).schools(capability)}
            active = {u.id for u in users if u.active}
            holders = {u.id for u in db.session.scalars(policy.holders(capability, [school.id]))} & set(user_ids)
            assert holders == may & active, (capability, school.slug)
            rows = db.session.execute(policy.holders_with_roles(capability, [school.id])).all()
            assert {u.id for u, s, _ in rows} & set(user_ids) == holders
            assert all(s.id == school.id and role in policy.CAPABILITIES[capability] for _, s, role in rows)
            holding = set(
                db.session.scalars(
                    select(User.id).where(User.id.in_(user_ids), policy.holds(capability, User.id, school.id))
                )
            )
            assert holding == may, (capability, school.slug)
            # About a pupil: never someone excluded from their record.
            for p, pupil in enumerate(built.pupils):
                kept = {built.users[person].id for person, q in built.excluded if q == p}
                about = {u.id for u in db.session.scalars(policy.holders(capability, [school.id], [pupil.id]))}
                assert about & set(user_ids) == holders - kept, (capability, school.slug, p)
