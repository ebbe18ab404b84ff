"""`flask generate`: a synthetic trust at the scale of ten years of records.

Rows go in with Core `insert()` and executemany (COPY on PostgreSQL), a batch
of entries at a time (their pupils, states, follow-ups and alert rows with
them), so a million entries take minutes, not hours. Ids are assigned here rather than by the
database, so one batch needs no round trip per row; PostgreSQL's sequences are
moved past them at the end.

The shape follows what schools record: a few pupils account for a large share
of entries (some have 500 or more), behaviour and first aid are the common
categories, most safeguarding entries have a string of follow-ups, and older
entries are reviewed and closed while the newest wait. No audit rows are
written: the audit log is a hash chain the application alone appends to.
"""

from __future__ import annotations

import base64
import random
import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate

import click
from flask.cli import with_appcontext
from sqlalchemy import insert, select, text
from werkzeug.security import generate_password_hash

from cpoms.demo import FIRST_NAMES, LAST_NAMES, ensure_categories
from cpoms.entries.categories import keep_alerts_team
from cpoms.entries.operations import ACTIONS
from cpoms.extensions import db
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
from cpoms.reports import counters

DEFAULT_PASSWORD = "concern-log-bench"
YEARS = 10
TEACHERS_PER_SCHOOL = 20
# Share of entries per category, roughly as a primary school records them.
CATEGORY_SHARE = {
    "Behaviour": 34,
    "First aid / medical": 20,
    "Safeguarding": 15,
    "General welfare": 12,
    "Parent engagement": 9,
    "SEN": 6,
    "Complaint": 4,
}
SENTENCES = {
    "Safeguarding": [
        "The pupil flinched when an adult reached past them.",
        "They said they did not want to go home tonight.",
        "I asked an open question and wrote down exactly what they said.",
        "A mark was seen on the forearm during PE.",
        "They arrived hungry at breakfast club and asked for food to take home.",
        "An adult not on the collection list tried to collect the pupil.",
        "The pupil has been withdrawn in class for several days.",
        "They mentioned an older person they talk to online.",
    ],
    "Behaviour": [
        "Pushed another pupil at lunch after an argument about a game.",
        "Refused to join the carpet session.",
        "Threw a pencil pot and then calmed in the reading corner.",
        "Both pupils were spoken to and apologised.",
        "Used unkind words in the playground.",
    ],
    "First aid / medical": [
        "Grazed knee in the playground at morning break.",
        "Cleaned and a plaster applied.",
        "Bumped head on a table edge; cold compress and a head bump letter home.",
        "Inhaler used before PE as in the care plan.",
        "Parent told at pick-up.",
    ],
    "General welfare": [
        "Very tired in class most mornings this week.",
        "Fell asleep during reading.",
        "Seems to have fallen out with their usual friends.",
        "Uniform has not been washed for some days.",
    ],
    "Parent engagement": [
        "Parent came to the office worried about friendship problems.",
        "Agreed a meeting with the class teacher on Friday.",
        "Carer phoned about a change of address.",
    ],
    "SEN": [
        "Finding two-step instructions hard in maths this half term.",
        "Much better with visual prompts.",
        "Speech and language targets reviewed with the SENCO.",
    ],
    "Complaint": [
        "Parent complained that a trip letter was not received.",
        "Copy sent and the newsletter process checked.",
        "Complaint about lunchtime supervision passed to the head.",
    ],
}
CHILD_WORDS = [
    "I don't want to go home.",
    "It happened at the weekend.",
    "Nobody was there in the morning.",
    "I was up really late playing.",
    "He said it was a secret.",
]
FOLLOW_UP_TEXT = {
    Kind.ACTION: "Spoke with the class teacher and checked in with the pupil at lunch.",
    Kind.RISK: "No injuries seen; pupil calm by the end of the day.",
    Kind.DECISION: "Not referring to children's social care at this stage.",
    Kind.AGENCY: "Consultation line called for advice.",
    Kind.OUTCOME: "Family engaged with early help; attendance improved.",
    Kind.NOTE: "Parent spoken to at pick-up.",
    Kind.REVIEWED: "",
    Kind.CLOSED: "Resolved: no further action needed.",
    Kind.REOPENED: "",
}
SAFEGUARDING_STEPS = [Kind.ACTION, Kind.RISK, Kind.DECISION, Kind.AGENCY, Kind.NOTE, Kind.OUTCOME]
OTHER_STEPS = [Kind.ACTION, Kind.NOTE, Kind.OUTCOME]
AGENCIES = ["Early Help", "Children's social care", "School nurse", "Police", "CAMHS"]
HOUR, DAY = 3600.0, 86400.0


@dataclass
class Ids:
    """The next free id of each table, so rows can reference each other before insert."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, count: int = 1) -> int:
        first = self.next[table]
        self.next[table] = first + count
        return first


@dataclass
class SchoolStaff:
    id: int
    loggers: list[int]  # who records entries, teachers most often
    team: list[tuple[int, str]]  # (user id, email) of the safeguarding team
    reviewers: list[int]
    pupils: list[int] = field(default_factory=list)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


class Generator:
    def __init__(self, schools: int, pupils: int, entries: int, seed: int, password: str, batch: int, echo=click.echo):
        self.n_schools, self.n_pupils, self.n_entries = schools, pupils, entries
        # Synthetic data only; a seeded generator makes runs repeatable.
        self.rng = random.Random(seed)  # nosec B311
        self.seed, self.password, self.batch, self.echo = seed, password, batch, echo
        self.now = time.time()
        self.ids = Ids()
        self.rows = {name: 0 for name in ("entries", "entry_pupils", "entry_states", "follow_ups", "alerts")}

    # --- people and places ---------------------------------------------------

    def run(self) -> dict[str, int]:
        prefix = f"bench{self.seed}-"
        if db.session.scalar(select(School.id).where(School.slug.like(f"{prefix}%"))):
            raise click.ClickException(
                f"this database already has generated schools ({prefix}...): generate into a fresh one"
            )
        categories = ensure_categories()
        db.session.commit()
        self.categories = [(c.id, c.name, c.alerts_safeguarding_team) for c in categories]
        for table in (
            "trusts",
            "schools",
            "users",
            "role_assignments",
            "pupils",
            "entries",
            "entry_pupils",
            "follow_ups",
            "alerts",
        ):
            self.ids.next[table] = (db.session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1  # nosec B608
        started = time.monotonic()
        self.schools = self._people(prefix)
        self._entries(started)
        counters.recount()  # the reports' counts and waits of everything inserted, set-based
        db.session.commit()
        self._move_sequences()
        took = time.monotonic() - started
        self.echo(f"Done in {took:.0f} s: " + ", ".join(f"{n:,} {t}" for t, n in self.rows.items()))
        return self.rows

    def _people(self, prefix: str) -> list[SchoolStaff]:
        rng = self.rng
        password_hash = generate_password_hash(self.password)
        trust_id = self.ids.take("trusts")
        self._insert(Trust, [{"id": trust_id, "name": f"Bench Trust {self.seed}"}])
        users, roles, schools, staff = [], [], [], []

        def person(email: str, role: str, school_id: int | None) -> int:
            user_id = self.ids.take("users")
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            # Everyone comes enrolled in two-factor sign-in (staff too, so that they
            # read the entries they log), with a secret from the seeded generator:
            # the bench and the load test compute the codes with pyotp.
            users.append(
                {
                    "id": user_id,
                    "email": email,
                    "name": name,
                    "password_hash": password_hash,
                    "active": True,
                    "created_at": at(self.now - YEARS * 365 * DAY),
                    "totp_secret": base64.b32encode(rng.randbytes(20)).decode(),
                    "totp_enrolled_at": at(self.now - YEARS * 365 * DAY),
                }
            )
            # COPY on PostgreSQL fills no Python defaults: every column is given.
            roles.append(
                {
                    "id": self.ids.take("role_assignments"),
                    "user_id": user_id,
                    "role": role,
                    "school_id": school_id,
                    "trust_id": trust_id if school_id is None else None,
                    "granted_at": at(self.now - YEARS * 365 * DAY),
                }
            )
            return user_id

        for n in range(self.n_schools):
            school_id = self.ids.take("schools")
            slug = f"{prefix}{n + 1:02d}"
            schools.append(
                {"id": school_id, "trust_id": trust_id, "slug": slug, "name": f"Bench Primary School {n + 1}"}
            )
            domain = f"{slug}.example.org"
            dsl = person(f"dsl@{domain}", Role.DSL, school_id)
            deputy = person(f"deputy@{domain}", Role.DEPUTY_DSL, school_id)
            slt = person(f"slt@{domain}", Role.SLT, school_id)
            teachers = [person(f"teacher{t + 1}@{domain}", Role.STAFF, school_id) for t in range(TEACHERS_PER_SCHOOL)]
            person(f"governor@{domain}", Role.GOVERNOR, school_id)
            person(f"admin@{domain}", Role.ADMIN, school_id)
            staff.append(
                SchoolStaff(
                    id=school_id,
                    loggers=teachers * 4 + [slt, dsl, deputy],
                    team=[(dsl, f"dsl@{domain}"), (deputy, f"deputy@{domain}")],
                    reviewers=[dsl, dsl, deputy, slt],
                )
            )
        person(f"trust@{prefix.rstrip('-')}.example.org", Role.TRUST_REP, None)
        self._insert(School, schools)
        self._insert(User, users)
        self._insert(RoleAssignment, roles)

        pupils = []
        today = date.today()
        for n in range(self.n_pupils):
            school = staff[n % self.n_schools]
            pupil_id = self.ids.take("pupils")
            year_group = rng.randrange(7)
            digits = f"{800 + n % self.n_schools:03d}{n:09d}"
            pupils.append(
                {
                    "id": pupil_id,
                    "school_id": school.id,
                    "upn": _check_letter(digits) + digits,
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": rng.choice(LAST_NAMES),
                    "preferred_name": None,
                    "year_group": year_group,
                    "active": True,
                    "class_name": f"{'R' if year_group == 0 else year_group}{rng.choice('ABC')}",
                    "date_of_birth": date(today.year - 5 - year_group, 9, 1) + timedelta(days=rng.randrange(365)),
                }
            )
            school.pupils.append(pupil_id)
        self._insert(Pupil, pupils)
        db.session.commit()
        # A few pupils account for many entries: lognormal weights put a few
        # percent of pupils at four or more times the mean.
        self.pupil_school = {p["id"]: staff[i % self.n_schools] for i, p in enumerate(pupils)}
        self.pupil_ids = [p["id"] for p in pupils]
        self.pupil_weights = list(accumulate(rng.lognormvariate(0, 1.1) for _ in pupils))
        self.echo(f"{self.n_schools} schools, {len(users)} staff, {self.n_pupils:,} pupils")
        return staff

    # --- entries and what follows them -------------------------------------------

    def _entries(self, started: float) -> None:
        rng = self.rng
        span = YEARS * 365 * DAY
        # Creation times in order, so ids rise with time as they do in use.
        times = sorted(self.now - span + rng.random() * (span - HOUR) for _ in range(self.n_entries))
        category_weights = list(accumulate(CATEGORY_SHARE.get(name, 1) for _, name, _ in self.categories))
        narratives = {
            name: [
                " ".join(
                    rng.sample(
                        SENTENCES.get(name, SENTENCES["General welfare"]),
                        k=min(len(SENTENCES.get(name, SENTENCES["General welfare"])), 2 + i % 3),
                    )
                )
                for i in range(40)
            ]
            for _, name, _ in self.categories
        }
        done = 0
        while done < self.n_entries:
            count = min(self.batch, self.n_entries - done)
            about = rng.choices(self.pupil_ids, cum_weights=self.pupil_weights, k=count)
            rows = {name: [] for name in self.rows}
            first_id = self.ids.take("entries", count)
            for n in range(count):
                category = self.categories[bisect(category_weights, rng.random() * category_weights[-1])]
                self._entry(rows, first_id + n, times[done + n], about[n], category, narratives)
            for table, model in (
                ("entries", Entry),
                ("entry_pupils", EntryPupil),
                ("entry_states", EntryState),
                ("follow_ups", FollowUp),
                ("alerts", Alert),
            ):
                if rows[table]:
                    self._insert(model, rows[table])
                self.rows[table] += len(rows[table])
            # Past the ORM's insert, so the batch's flags are set as the app sets them.
            keep_alerts_team(EntryState.entry_id.between(first_id, first_id + count - 1))
            db.session.commit()
            done += count
            took = time.monotonic() - started
            self.echo(
                f"  entries {done:>10,} / {self.n_entries:,} ({100 * done / self.n_entries:3.0f}%)"
                f"  follow-ups {self.rows['follow_ups']:>10,}  {took:6.0f} s  {done / took:,.0f}/s"
            )

    def _entry(self, rows, entry_id: int, created: float, pupil_id: int, category, narratives) -> None:
        rng = self.rng
        category_id, name, alerts = category
        school = self.pupil_school[pupil_id]
        safeguarding = name == "Safeguarding"
        disclosure = rng.random() < (0.35 if safeguarding else 0.08)
        source = (
            "pupil_disclosure"
            if disclosure
            else rng.choice(
                ["staff_observation", "staff_observation", "parent_carer", "another_pupil", "external_agency", "other"]
            )
        )
        occurred = created - rng.uniform(5 * 60, 3 * HOUR)
        rows["entries"].append(
            {
                "id": entry_id,
                "school_id": school.id,
                "category_id": category_id,
                "recorded_by_id": rng.choice(school.loggers),
                "source": source,
                "occurred_at": at(occurred),
                "created_at": at(created),
                "narrative": rng.choice(narratives[name]),
                "child_words": rng.choice(CHILD_WORDS) if disclosure else None,
                "told_dsl_in_person": safeguarding and rng.random() < 0.6,
            }
        )
        pupils = [pupil_id]
        if rng.random() < 0.12 and len(school.pupils) > 1:
            other = rng.choice(school.pupils)
            if other != pupil_id:
                pupils.append(other)
        for p in pupils:
            rows["entry_pupils"].append({"id": self.ids.take("entry_pupils"), "entry_id": entry_id, "pupil_id": p})
        state = {
            "entry_id": entry_id,
            "school_id": school.id,
            "status": "open",
            "reviewed_at": None,
            "reviewed_by_id": None,
            "first_action_at": None,
            "updated_at": at(created),
        }
        for kind, author, when in self._follow_up_plan(created, safeguarding, school):
            rows["follow_ups"].append(self._follow_up(entry_id, kind, author, when))
            moment = at(when)
            state["updated_at"] = moment
            if kind == Kind.REVIEWED and state["reviewed_at"] is None:
                state["reviewed_at"], state["reviewed_by_id"] = moment, author
            if kind in ACTIONS and state["first_action_at"] is None:
                state["first_action_at"] = moment
            if kind in (Kind.CLOSED, Kind.REOPENED):
                state["status"] = "closed" if kind == Kind.CLOSED else "open"
        rows["entry_states"].append(state)
        if alerts:
            for user_id, email in school.team:
                rows["alerts"].append(self._alert(entry_id, school.id, user_id, email, created))

    def _follow_up_plan(self, created: float, safeguarding: bool, school: SchoolStaff):
        """(kind, author, time) of what the school did about one entry, in order, none in the future."""
        rng = self.rng
        age_days = (self.now - created) / DAY
        # Almost everything older than a few weeks has been reviewed; the newest wait.
        likely = 0.995 if age_days > 21 else 0.8 if age_days > 3 else 0.3
        if rng.random() >= likely:
            return []
        steps = [Kind.REVIEWED]
        if safeguarding:
            steps += rng.choices(SAFEGUARDING_STEPS, k=rng.randint(1, 7))
        else:
            steps += rng.choices(OTHER_STEPS, k=rng.randint(0, 1))
        if age_days > 60 and rng.random() < 0.97 or rng.random() < 0.3:
            if rng.random() < 0.03:
                steps += [Kind.CLOSED, Kind.REOPENED, Kind.ACTION]
            steps.append(Kind.CLOSED)
        plan, when = [], created + rng.uniform(10 * 60, (6 * HOUR) if safeguarding else 2 * DAY)
        team = [user_id for user_id, _ in school.team]
        for kind in steps:
            if when >= self.now:
                break
            author = rng.choice(team if safeguarding or kind == Kind.CLOSED else school.reviewers)
            plan.append((kind, author, when))
            when += rng.uniform(HOUR, 10 * DAY)
        return plan

    def _follow_up(self, entry_id: int, kind: str, author: int, when: float) -> dict:
        rng = self.rng
        moment = at(when)
        return {
            "id": self.ids.take("follow_ups"),
            "entry_id": entry_id,
            "author_id": author,
            "kind": kind,
            "occurred_at": moment,
            "created_at": moment,
            "text": FOLLOW_UP_TEXT[kind],
            "reason": (
                "Threshold not met on what we know now."
                if kind == Kind.DECISION
                else "New information from the family."
                if kind == Kind.REOPENED
                else "No further concerns after a period of monitoring."
                if kind == Kind.CLOSED
                else None
            ),
            "risk_level": rng.choice(["low", "medium", "high"]) if kind == Kind.RISK else None,
            "agency_name": rng.choice(AGENCIES) if kind == Kind.AGENCY else None,
            "agency_reference": f"REF-{rng.randrange(10**6):06d}" if kind == Kind.AGENCY else None,
        }

    def _alert(self, entry_id: int, school_id: int, user_id: int, email: str, created: float) -> dict:
        """Alerts are sent within seconds, now and then after a retry; very rarely given up on."""
        rng = self.rng
        attempts = 1 if rng.random() < 0.97 else rng.randint(2, 4)
        failed = rng.random() < 0.0005
        sent = created + (attempts - 1) * 60 * 2 ** (attempts - 2) + rng.uniform(1, 5)
        return {
            "id": self.ids.take("alerts"),
            "entry_id": entry_id,
            "school_id": school_id,
            "recipient_id": user_id,
            "email": email,
            "reason": "safeguarding_team",
            "status": "failed" if failed else "sent",
            "attempts": 10 if failed else attempts,
            "last_error": "SMTPServerDisconnected: Connection unexpectedly closed" if failed else None,
            "created_at": at(created),
            "next_attempt_at": at(sent),
            "claimed_at": at(sent - 1),
            "sent_at": None if failed else at(sent),
        }

    @staticmethod
    def _insert(model, rows: list[dict]) -> None:
        """One batch into one table: Core executemany; on PostgreSQL, COPY, which
        psycopg streams without parsing a statement per row (ten times faster)."""
        table = model.__table__
        if db.engine.dialect.name != "postgresql":
            db.session.execute(insert(table), rows)
            return
        columns = list(rows[0])
        connection = db.session.connection().connection.driver_connection  # in the session's transaction
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])

    def _move_sequences(self) -> None:
        if db.engine.dialect.name != "postgresql":
            return
        for table in self.ids.next:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
        db.session.commit()
        # Vacuumed and analysed now, rather than by autovacuum during the first benchmark.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _check_letter(digits: str) -> str:
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    return letters[sum(int(d) * w for d, w in zip(digits, range(2, 14))) % 23]


@click.command("generate")
@click.option("--schools", default=20, show_default=True)
@click.option("--pupils", default=8000, show_default=True)
@click.option("--entries", default=1_000_000, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True, help="Every generated account's password.")
@click.option("--batch", default=10_000, show_default=True, help="Entries per insert batch (and commit).")
@with_appcontext
def generate_command(schools: int, pupils: int, entries: int, seed: int, password: str, batch: int) -> None:
    """Fill the database with a synthetic trust: schools, staff, pupils, entries, follow-ups, alerts.

    Accounts: dsl@, deputy@, slt@, teacher1@..teacher20@, governor@, admin@ at
    bench<SEED>-NN.example.org for school NN, and trust@bench<SEED>.example.org.
    """
    if min(schools, pupils, batch) < 1 or entries < 0 or pupils < schools:
        raise click.BadParameter("need at least one school, as many pupils as schools, and a positive batch")
    Generator(schools, pupils, entries, seed, password, batch).run()
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:  # the planner's statistics, as PostgreSQL's ANALYZE above
            conn.exec_driver_sql("ANALYZE")
