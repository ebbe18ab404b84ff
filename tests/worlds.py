"""Generated worlds for the property tests: schools, people and their roles, records, and the reference model they are checked against."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from conftest import password_hash
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

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
from cpoms.monitoring.models import MonitoringEvent
from cpoms.tasks.models import Task
from cpoms.timefmt import now_utc
from cpoms.transfers.models import Transfer, TransferEvent, TransferStatus


HELD_ACROSS_TRUST = {Role.TRUST_REP, Role.ADMIN}


SCHOOLS = 3


TRUST = "trust"


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


def signed_in(user: User) -> User:
    """As after the two-factor step: access() reads the session's row."""
    user.session_row = SimpleNamespace(two_factor_at=now_utc())
    return user


PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
