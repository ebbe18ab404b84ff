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
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cpoms import policy
from cpoms.chronology.queries import Filters, everything
from cpoms.demo import ensure_categories
from cpoms.exclusions.models import RecordExclusion, RecordExclusionEnd
from cpoms.extensions import db
from cpoms.log.models import EntryShare
from cpoms.models import (
    Alert,
    Entry,
    EntryPupil,
    EntryState,
    FollowUp,
    Kind,
    Pupil,
    Role,
    RoleAssignment,
    School,
    Trust,
    User,
)
from cpoms.monitoring import policy as monitoring_policy
from cpoms.monitoring.models import MonitoringEvent
from cpoms.tasks.models import Task
from cpoms.timefmt import now_utc
from cpoms.transfers.models import Transfer, TransferEvent, TransferStatus

from conftest import password_hash

# The school's policy (docs: DESIGN.md, "Roles and what each may see"), written out
# again here as the model's own reading of it, not imported from policy.
READS_SCHOOL = {Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.GOVERNOR, Role.TRUST_REP}
STAFF_LIKE = {Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT}  # read what they recorded or were alerted to
RECEIVES_FILES = {Role.DSL, Role.DEPUTY_DSL, Role.SLT}  # never governors
HELD_ACROSS_TRUST = {Role.TRUST_REP, Role.ADMIN}

SCHOOLS = 3
TRUST = "trust"


# --- generated worlds ----------------------------------------------------------------------


def assignments():
    at_school = st.tuples(st.sampled_from(Role.ALL), st.integers(0, SCHOOLS - 1))
    across = st.tuples(st.sampled_from(sorted(HELD_ACROSS_TRUST)), st.just(TRUST))
    return st.lists(st.one_of(at_school, at_school, across), min_size=1, max_size=2, unique=True)


people = st.lists(st.tuples(assignments(), st.sampled_from([True, True, True, False])), min_size=3, max_size=7)

step = st.one_of(
    # an entry about a pupil (and perhaps their classmates), by someone
    st.tuples(st.just("entry"), st.integers(0, 9), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("entry"), st.integers(0, 9), st.integers(0, 9), st.booleans()),
    # a pupil's file sent to another school of the trust: accepted, declined or not answered yet
    st.tuples(
        st.just("transfer"),
        st.integers(0, 9),
        st.integers(0, SCHOOLS - 1),
        st.sampled_from(
            [TransferStatus.ACCEPTED, TransferStatus.ACCEPTED, TransferStatus.DECLINED, TransferStatus.SENT]
        ),
    ),
    st.tuples(st.just("transfer"), st.integers(0, 9), st.integers(0, SCHOOLS - 1), st.just(TransferStatus.ACCEPTED)),
    # someone alerted to an entry by its recorder, given a task on it, or emailed as the team
    st.tuples(st.sampled_from(["share", "task", "alert"]), st.integers(0, 99), st.integers(0, 9)),
    st.tuples(st.just("monitor"), st.integers(0, 9)),
    # someone excluded from a pupil's record, or their exclusion ended
    st.tuples(st.just("exclude"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("unexclude"), st.integers(0, 9), st.integers(0, 9)),
)


@dataclass
class Script:
    people: list
    pupils: list[int]  # each pupil's first school
    steps: list


scripts = st.builds(
    Script,
    people=people,
    pupils=st.lists(st.integers(0, SCHOOLS - 1), min_size=1, max_size=3),
    steps=st.lists(step, min_size=2, max_size=14),
)

_serial = itertools.count()


@dataclass
class Record:
    """An entry or a monitoring event as the model sees it."""

    id: int
    school: int  # index
    pupils: list[int]  # indexes
    recorder: int | None = None
    alerted: set[int] = field(default_factory=set)  # people shared with, tasked, emailed


@dataclass
class Built:
    schools: list[School]
    users: list[User]
    pupils: list[Pupil]
    entries: list[Record]
    monitoring: list[Record]
    # each school's copy of each pupil's file: (school, pupil) -> {("entry" | "monitoring", record id)}
    copies: dict[tuple[int, int], set]
    # (person, pupil) excluded from the pupil's record now
    excluded: set[tuple[int, int]] = field(default_factory=set)


def build(script: Script, category_id: int) -> Built:
    """The world in the database, and the model's view of it alongside."""
    n = next(_serial)
    trust = Trust(name=f"Generated trust {n}")
    schools = [School(slug=f"gen-{n}-{i}", name=f"School {i} of {n}", trust=trust) for i in range(SCHOOLS)]
    db.session.add_all([trust, *schools])
    db.session.flush()
    users = []
    for i, (roles, active) in enumerate(script.people):
        user = User(email=f"gen{n}.{i}@example.org", name=f"Person {i}", password_hash=password_hash(), active=active)
        for role, where in roles:
            user.roles.append(
                RoleAssignment(
                    role=role,
                    school_id=None if where == TRUST else schools[where].id,
                    trust_id=trust.id if where == TRUST else None,
                )
            )
        users.append(user)
    pupils = [
        Pupil(
            school_id=schools[s].id,
            upn=f"G{n:06d}{i:06d}"[:13],
            first_name=f"Pupil{i}",
            last_name="Gen",
            date_of_birth=now_utc().date() - timedelta(days=3000),
            year_group=3,
            class_name="3A",
        )
        for i, s in enumerate(script.pupils)
    ]
    db.session.add_all(users + pupils)
    db.session.flush()
    at = now_utc() - timedelta(days=2)
    holder = list(script.pupils)  # each pupil's school now
    copies: dict[tuple[int, int], set] = {}
    entries: list[Record] = []
    monitoring: list[Record] = []
    in_force: dict[tuple[int, int], RecordExclusion] = {}
    for number, (kind, *args) in enumerate(script.steps):
        at += timedelta(seconds=1)  # every step strictly after the last
        if kind == "entry":
            first, recorder, classmates = args[0] % len(pupils), args[1] % len(users), args[2]
            school = holder[first]
            about = [first] + (
                [p for p in range(len(pupils)) if p != first and holder[p] == school] if classmates else []
            )
            entry = Entry(
                school_id=schools[school].id,
                category_id=category_id,
                recorded_by_id=users[recorder].id,
                source="staff_observation",
                occurred_at=at,
                created_at=at,
                narrative=f"Step {number}",
            )
            db.session.add(entry)
            db.session.flush()
            db.session.add(EntryState(entry_id=entry.id, school_id=entry.school_id, status="open"))
            db.session.add_all(EntryPupil(entry_id=entry.id, pupil_id=pupils[p].id) for p in about)
            entries.append(Record(entry.id, school, about, recorder=recorder))
            for p in about:
                copies.setdefault((school, p), set()).add(("entry", entry.id))
        elif kind == "transfer":
            pupil, to, status = args[0] % len(pupils), args[1], args[2]
            if to == holder[pupil]:
                continue
            transfer = Transfer(
                pupil_id=pupils[pupil].id,
                from_school_id=schools[holder[pupil]].id,
                to_school_id=schools[to].id,
                method="cp_system",
                started_by_id=users[0].id,
                started_at=at,
                status=status,
                sent_on=at.date(),
                closed_at=at if status != TransferStatus.SENT else None,
            )
            db.session.add(transfer)
            db.session.flush()
            db.session.add_all(
                TransferEvent(transfer_id=transfer.id, kind=k, by_id=users[0].id, at=at)
                for k in ("started", "sent", *([status] if status != TransferStatus.SENT else []))
            )
            if status == TransferStatus.ACCEPTED:
                sent = copies.get((holder[pupil], pupil), set())
                copies.setdefault((to, pupil), set()).update(sent)
                holder[pupil] = to
                pupils[pupil].school_id = schools[to].id
        elif kind == "monitor":
            pupil = args[0] % len(pupils)
            event = MonitoringEvent(
                pupil_id=pupils[pupil].id,
                school_id=schools[holder[pupil]].id,
                kind="started",
                by_id=users[0].id,
                at=at,
                text=f"Step {number}",
            )
            db.session.add(event)
            db.session.flush()
            monitoring.append(Record(event.id, holder[pupil], [pupil]))
            copies.setdefault((holder[pupil], pupil), set()).add(("monitoring", event.id))
        elif kind in ("exclude", "unexclude"):
            key = (args[0] % len(users), args[1] % len(pupils))
            person, pupil = key
            if kind == "exclude" and key not in in_force:
                in_force[key] = RecordExclusion(
                    pupil_id=pupils[pupil].id,
                    user_id=users[person].id,
                    school_id=schools[holder[pupil]].id,
                    reason=f"Step {number}",
                    by_id=users[0].id,
                    at=at,
                )
                db.session.add(in_force[key])
            elif kind == "unexclude" and key in in_force:
                db.session.flush()
                ended = in_force.pop(key)
                db.session.add(RecordExclusionEnd(exclusion_id=ended.id, reason="Ended", by_id=users[0].id, at=at))
            db.session.flush()
        elif entries:
            record, person = entries[args[0] % len(entries)], args[1] % len(users)
            entry_id, user_id = record.id, users[person].id
            alert = Alert(
                entry_id=entry_id,
                school_id=schools[record.school].id,
                recipient_id=user_id,
                email=users[person].email,
                reason="safeguarding_team",
                created_at=at,
                next_attempt_at=at,
            )
            db.session.add(alert)
            db.session.flush()
            if kind == "share":
                if (
                    db.session.scalar(
                        select(EntryShare.id).where(EntryShare.entry_id == entry_id, EntryShare.user_id == user_id)
                    )
                    is None
                ):
                    db.session.add(
                        EntryShare(
                            entry_id=entry_id,
                            user_id=user_id,
                            shared_by_id=users[0].id,
                            alert_id=alert.id,
                            created_at=at,
                        )
                    )
            elif kind == "task":
                follow_up = FollowUp(
                    entry_id=entry_id, author_id=users[0].id, kind=Kind.TASK, occurred_at=at, text="Do this"
                )
                db.session.add(follow_up)
                db.session.flush()
                db.session.add(
                    Task(
                        follow_up_id=follow_up.id,
                        entry_id=entry_id,
                        school_id=alert.school_id,
                        assignee_id=user_id,
                        due_on=at.date(),
                    )
                )
            record.alerted.add(person)
            db.session.flush()
    db.session.commit()
    return Built(schools, users, pupils, entries, monitoring, copies, set(in_force))


# --- the reference model ---------------------------------------------------------------------


def held(script: Script, person: int) -> dict[str, set[int]]:
    """role -> the school indexes where this person holds it."""
    found: dict[str, set[int]] = {role: set() for role in Role.ALL}
    for role, where in script.people[person][0]:
        if where == TRUST:
            if role in HELD_ACROSS_TRUST:
                found[role] |= set(range(SCHOOLS))
        else:
            found[role].add(where)
    return found


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


def signed_in(user: User) -> User:
    """As after the two-factor step: access() reads the session's row."""
    user.session_row = SimpleNamespace(two_factor_at=now_utc())
    return user


PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


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
