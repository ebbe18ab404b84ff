"""The synthetic demo trust. Every name here is invented; no real pupil appears."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyotp
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .admin.operations import COMMAND_LINE, add_role, create_user
from .entries.categories import keep_alerts_team
from .entries.models import Amendment, EntryCategory, EntryLink
from .entries.operations import add_follow_up
from .extensions import db
from .guidance.models import GuidanceVersion
from .log.operations import record_entry
from .models import Category, Entry, EntryState, Kind, Pupil, Role, School, Trust, User
from .policy import REQUIRES_TWO_FACTOR
from .timefmt import UK, now_utc

DEMO_TRUST = "West London Primary Schools"
SCHOOLS = [
    ("ashgrove", "Ashgrove Primary School"),
    ("brookfield", "Brookfield Primary School"),
    ("cedar-park", "Cedar Park Primary School"),
]
PUPILS_PER_SCHOOL = 60

CATEGORIES = [
    (
        "Safeguarding",
        True,
        "Any worry that a child may be harmed or at risk of harm: something you saw, heard or were told, "
        "or a change in the child. If in doubt, choose this. The safeguarding team is alerted at once.",
    ),
    (
        "Behaviour",
        False,
        "How a child acted, in class, at play or online, against the behaviour policy. If you think it "
        "comes from an unmet need, say so in what you write: the SENCO can add SEN later.",
    ),
    (
        "First aid / medical",
        False,
        "Injuries, illness, medication and first aid given in school. An injury nobody saw happen, or "
        "that the child cannot explain, is Safeguarding.",
    ),
    (
        "Parent engagement",
        False,
        "A parent or carer raised something, or you spoke with them: at the gate, by phone, in a "
        "meeting. Choose it when that is how the matter reached you.",
    ),
    (
        "SEN",
        False,
        "How a child learns, communicates or copes, noticed over time: patterns that help the SENCO "
        "plan support. A one-off incident is Behaviour.",
    ),
    ("Complaint", False, "A complaint about the school from a parent, carer or pupil, and how it is being handled."),
    (
        "General welfare",
        False,
        "Wellbeing worries that are not about harm: tiredness, hunger, friendships, mood, lateness. "
        "Small worries add up: the safeguarding team sees the pattern.",
    ),
]

STAFF = [
    # local part, role, name pattern (school initial appended for uniqueness)
    ("dsl", Role.DSL, "Designated Safeguarding Lead"),
    ("deputy", Role.DEPUTY_DSL, "Deputy DSL"),
    ("slt", Role.SLT, "Head of School"),
    ("teacher1", Role.STAFF, "Class Teacher"),
    ("teacher2", Role.STAFF, "Class Teacher"),
    ("governor", Role.GOVERNOR, "Safeguarding Governor"),
    ("admin", Role.ADMIN, "School Administrator"),
]
STAFF_NAMES = {
    "ashgrove": [
        "Priya Shah",
        "Tom Okafor",
        "Helen Morris",
        "Grace Adeyemi",
        "Liam Walsh",
        "Margaret Hughes",
        "Sunita Patel",
    ],
    "brookfield": [
        "Daniel Kowalski",
        "Aisha Rahman",
        "Peter Lloyd",
        "Chloe Bennett",
        "Marcus Green",
        "Rosemary Clarke",
        "Yusuf Ali",
    ],
    "cedar-park": [
        "Fiona Campbell",
        "Kwame Mensah",
        "Sarah O'Neill",
        "Ben Carter",
        "Zara Hussain",
        "Geoffrey Price",
        "Mei Lin",
    ],
}
TRUST_REP = ("trust@westlondon.example.org", "Catherine Doyle")
TRUST_ADMIN = ("admin@westlondon.example.org", "Joanne Whitfield")
GUIDANCE_FILE = Path(__file__).with_name("demo_text") / "recording_guidance.md"

FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "Noah",
    "Ava",
    "Muhammad",
    "Freya",
    "Leo",
    "Zainab",
    "Arlo",
    "Maya",
    "Theo",
    "Ivy",
    "Yusuf",
    "Lily",
    "Kai",
    "Sofia",
    "Ethan",
    "Aaliyah",
    "Jacob",
    "Chloe",
    "Reuben",
    "Amara",
    "Finn",
    "Hana",
    "Oscar",
    "Ruby",
    "Tomasz",
    "Imani",
    "Harry",
    "Layla",
    "Samuel",
    "Nadia",
    "Archie",
    "Eliza",
    "Dev",
    "Poppy",
    "Kofi",
    "Mila",
    "Luca",
]
LAST_NAMES = [
    "Ahmed",
    "Baker",
    "Campbell",
    "Da Silva",
    "Evans",
    "Fernandes",
    "Green",
    "Hassan",
    "Ivanova",
    "Johnson",
    "Khan",
    "Lewis",
    "Martin",
    "Nowak",
    "Osei",
    "Patel",
    "Quinn",
    "Robinson",
    "Singh",
    "Taylor",
    "Usman",
    "Vaughan",
    "Williams",
    "Xu",
    "Young",
    "Zielinski",
    "Adebayo",
    "Brown",
    "Chowdhury",
    "Doherty",
]
CLASSES = ["Oak", "Willow", "Rowan", "Hazel"]

NARRATIVES = {
    "Safeguarding": [
        (
            "During the register the pupil flinched when I reached past them, then said they did not "
            "want to go home tonight. I asked an open question and wrote down exactly what they said.",
            "Dad gets really angry when he has been out.",
        ),
        (
            "Pupil arrived wearing the same clothes as all week, hungry at breakfast club and asked "
            "for food to take home. Said mum has been asleep a lot.",
            "There's nothing in the cupboards.",
        ),
        (
            "At pick-up an adult I did not recognise tried to collect the pupil. They were not on the "
            "collection list. Office called the parent, who had not arranged it.",
            None,
        ),
    ],
    "Behaviour": [
        (
            "Pushed another pupil off the climbing frame at lunch after an argument about a game. "
            "Both spoken to; apology given.",
            None,
        ),
        (
            "Refused to join the carpet session and threw a pencil pot. Calmed in the reading corner "
            "after ten minutes.",
            None,
        ),
    ],
    "First aid / medical": [
        ("Grazed knee in the playground at morning break. Cleaned and plaster applied. Parent told at pick-up.", None),
        ("Bumped head on a table edge in PE. Cold compress; head bump letter sent home.", None),
    ],
    "Parent engagement": [
        (
            "Parent came to the office worried about friendship problems at lunchtime. "
            "Agreed a meeting with the class teacher on Friday.",
            None,
        ),
    ],
    "SEN": [
        (
            "Finding it hard to follow two-step instructions in maths this half term; "
            "noticeably better with visual prompts.",
            None,
        ),
    ],
    "Complaint": [
        (
            "Parent complained by phone that a school trip letter was not received. "
            "Copy sent and newsletter process checked.",
            None,
        ),
    ],
    "General welfare": [
        (
            "Very tired in class most mornings this week and fell asleep during reading. "
            "Said they had been on a tablet late.",
            "I was up really late playing.",
        ),
    ],
}


def _upn(rng: random.Random, school_index: int, serial: int) -> str:
    """A UPN of the right shape with a valid check letter (made up, like the names)."""
    digits = f"{204 + school_index:03d}{2100 + school_index:04d}{rng.randint(10, 24):02d}{serial:03d}"
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    check = sum(int(d) * w for d, w in zip(digits, range(2, 14))) % 23
    return letters[check] + digits


# The category whose entries always alert the safeguarding team (models.Category.always_alerts).
SAFEGUARDING = "Safeguarding"


def ensure_categories() -> list[Category]:
    existing = {c.name: c for c in db.session.scalars(select(Category))}
    for order, (name, alerts, description) in enumerate(CATEGORIES):
        if name not in existing:
            existing[name] = Category(
                name=name,
                alerts_safeguarding_team=alerts,
                description=description,
                order=order,
                always_alerts=name == SAFEGUARDING,
            )
            db.session.add(existing[name])
    db.session.flush()
    return [existing[name] for name, _, _ in CATEGORIES]


def _user(
    email: str, name: str, password_hash: str, role: str, school: School | None = None, trust: Trust | None = None
):
    """The demo's account with this role, made as the operator's create-user makes one (audited)."""
    grant = (role, school.id if school else None, trust.id if trust else None)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user, _ = create_user(None, name, email, grant, via=COMMAND_LINE, mail=False)
        user.password_hash = password_hash
    else:
        add_role(None, user, grant, via=COMMAND_LINE)
    return user


def _two_factor(user: User, role: str) -> str | None:
    """Roles that need two-factor sign-in come enrolled, so the demo can be tried
    at once: the secret is printed for an authenticator app. Staff are left
    unenrolled, to show logging without it."""
    if role not in REQUIRES_TWO_FACTOR:
        return None
    if not user.two_factor_enrolled:
        user.totp_secret, user.totp_enrolled_at = pyotp.random_base32(), now_utc()
    return user.totp_secret


def load_demo(password: str, seed: int = 2026) -> list[tuple[str, str]]:
    """Create what is missing of the demo trust; return (email, description, TOTP
    secret or None) of its accounts."""
    # Picks synthetic demo data; guards nothing, so a seeded generator is right.
    rng = random.Random(seed)  # nosec B311
    categories = ensure_categories()
    trust = db.session.scalar(select(Trust).where(Trust.name == DEMO_TRUST))
    if trust is None:
        trust = Trust(name=DEMO_TRUST)
        db.session.add(trust)
        db.session.flush()
    accounts: list[tuple[str, str, str | None]] = []
    # Every demo account has the one password printed for all of them: hashed once (scrypt
    # takes a tenth of a second of CPU by design; the demo makes 23 accounts).
    password_hash = generate_password_hash(password)
    for index, (slug, name) in enumerate(SCHOOLS):
        school = db.session.scalar(select(School).where(School.slug == slug))
        if school is None:
            school = School(slug=slug, name=name, trust=trust)
            db.session.add(school)
            db.session.flush()
        staff = {}
        for (local, role, title), person in zip(STAFF, STAFF_NAMES[slug]):
            email = f"{local}@{slug}.example.org"
            user = _user(email, person, password_hash, role, school=school)
            staff[local] = user
            accounts.append((email, f"{Role.LABELS[role]}, {name} ({person})", _two_factor(user, role)))
        # The head of school is its headteacher too: the case manager of concerns about adults.
        add_role(None, staff["slt"], (Role.HEADTEACHER, school.id, None), via=COMMAND_LINE)
        # and its safeguarding governor chairs the governors: who reads a concern about the headteacher.
        add_role(None, staff["governor"], (Role.CHAIR_OF_GOVERNORS, school.id, None), via=COMMAND_LINE)
        db.session.flush()
        pupils = _pupils(rng, school, index)
        if not db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == school.id)):
            _entries(rng, school, pupils, staff, categories)
    rep = _user(TRUST_REP[0], TRUST_REP[1], password_hash, Role.TRUST_REP, trust=trust)
    accounts.append(
        (
            TRUST_REP[0],
            f"{Role.LABELS[Role.TRUST_REP]}, {DEMO_TRUST} ({TRUST_REP[1]})",
            _two_factor(rep, Role.TRUST_REP),
        )
    )
    trust_admin = _user(TRUST_ADMIN[0], TRUST_ADMIN[1], password_hash, Role.ADMIN, trust=trust)
    accounts.append(
        (
            TRUST_ADMIN[0],
            f"{Role.LABELS[Role.ADMIN]}, {DEMO_TRUST} ({TRUST_ADMIN[1]})",
            _two_factor(trust_admin, Role.ADMIN),
        )
    )
    db.session.flush()
    _guidance(trust, trust_admin)
    return accounts


def _guidance(trust: Trust, author: User) -> None:
    """The trust's recording guidance, for all its schools, unless it has some already."""
    if db.session.scalar(select(GuidanceVersion.id).where(GuidanceVersion.trust_id == trust.id).limit(1)):
        return
    db.session.add(
        GuidanceVersion(
            trust=trust,
            created_by=author,
            body=GUIDANCE_FILE.read_text("utf-8"),
            note="First version, written for the app.",
        )
    )
    db.session.flush()


def _pupils(rng: random.Random, school: School, index: int) -> list[Pupil]:
    existing = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id)))
    if existing:
        return existing
    pupils = []
    today = date.today()
    for serial in range(PUPILS_PER_SCHOOL):
        year_group = serial % 7
        age = 4 + year_group
        dob = date(today.year - age - (1 if today.month < 9 else 0), 9, 1) + timedelta(days=rng.randint(0, 364))
        pupils.append(
            Pupil(
                school=school,
                upn=_upn(rng, index, serial),
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=dob,
                year_group=year_group,
                class_name=f"{'R' if year_group == 0 else year_group}{CLASSES[serial % len(CLASSES)]}",
            )
        )
    # Some brothers and sisters, as the MIS gives them: a shared family id (and surname).
    for serial in range(0, len(pupils) - 1, 10):
        older, younger = pupils[serial], pupils[serial + 1]
        younger.last_name = older.last_name
        older.family_id = younger.family_id = f"FAM{index:02d}{serial:04d}"
    db.session.add_all(pupils)
    db.session.flush()
    return pupils


def _entries(rng, school, pupils, staff, categories) -> None:
    """About a dozen entries over the last month, some reviewed, acted on and closed."""
    by_name = {c.name: c for c in categories}
    now = now_utc()
    recorders = [staff["teacher1"], staff["teacher2"], staff["slt"]]
    plan = [
        "Safeguarding",
        "Behaviour",
        "First aid / medical",
        "Safeguarding",
        "General welfare",
        "Parent engagement",
        "SEN",
        "Behaviour",
        "Safeguarding",
        "Complaint",
        "First aid / medical",
        "General welfare",
    ]
    entries = []
    for n, category_name in enumerate(plan):
        narrative, words = rng.choice(NARRATIVES[category_name])
        day = (now - timedelta(days=30 - n * 2.5)).astimezone(UK)
        occurred = day.replace(hour=8, minute=40) + timedelta(minutes=rng.randint(0, 390))
        recorder = rng.choice(recorders)
        source = "pupil_disclosure" if words else rng.choice(["staff_observation", "parent_carer"])
        recorded_at = occurred + timedelta(minutes=rng.randint(5, 90))
        entry = record_entry(
            recorder,
            rng.sample(pupils, 2 if n % 5 == 4 else 1),
            by_name[category_name],
            source,
            occurred,
            narrative,
            words,
            told_dsl_in_person=category_name == "Safeguarding",
            recorded_at=recorded_at,
        )
        if n < len(plan) - 4:  # the newest few are still waiting for review
            _review(entry, staff, category_name)
        entries.append(entry)
    _evolve(entries, staff, by_name["Safeguarding"])


def _evolve(entries: list[Entry], staff: dict, safeguarding: Category) -> None:
    """How concerns grow: a behaviour entry later also counts as safeguarding, one
    account is corrected, and it is linked to the first safeguarding entry (rows, as the
    rest of the demo: the demo queues no alerts)."""
    behaviour, first = entries[1], entries[0]
    dsl, at = staff["dsl"], behaviour.created_at + timedelta(days=1)
    db.session.add_all(
        [
            EntryCategory(
                entry=behaviour,
                category=safeguarding,
                added_by=dsl,
                added_at=at,
                reason="Mum has since told the office about arguments at home; this may be linked.",
            ),
            Amendment(
                entry=behaviour,
                author=behaviour.recorded_by,
                created_at=at + timedelta(hours=1),
                text="This happened at morning break, not at lunch.",
                reason="I checked the duty rota: I was on the playground at break.",
            ),
            EntryLink(
                entry_id=min(first.id, behaviour.id),
                other_entry_id=max(first.id, behaviour.id),
                linked_by=dsl,
                linked_at=at + timedelta(hours=2),
                reason="Possibly related: read them together at the next review.",
            ),
        ]
    )
    keep_alerts_team(EntryState.entry_id == behaviour.id)


def _review(entry: Entry, staff: dict, category_name: str) -> None:
    dsl = staff["dsl"]
    at = entry.created_at + timedelta(hours=2)
    steps = [(Kind.REVIEWED, "", {})]
    if category_name == "Safeguarding":
        steps += [
            (
                Kind.RISK,
                "Spoke with the class teacher; no injuries seen. Pupil calm by end of day.",
                {"risk_level": "medium"},
            ),
            (
                Kind.DECISION,
                "Not referring to children's social care at this stage.",
                {"reason": "Threshold not met on what we know now; early help offered to the family."},
            ),
            (
                Kind.AGENCY,
                "Early help consultation line called for advice.",
                {"agency_name": "Early Help", "agency_reference": "EH-DEMO-0042"},
            ),
        ]
    else:
        steps += [(Kind.ACTION, "Discussed with the class teacher and parent informed.", {})]
        steps += [
            (
                Kind.CLOSED,
                "Resolved: no further action needed.",
                {"reason": "Parent and class teacher report no further incidents."},
            )
        ]
    for i, (kind, text, extra) in enumerate(steps):
        when = at + timedelta(hours=i * 3)
        add_follow_up(dsl, entry, kind, text, occurred_at=when, recorded_at=when, **extra)
