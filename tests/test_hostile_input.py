"""Hostile input in every form field, query parameter and URL argument.

Each row of CASES is (route, field, hostile value, what must happen). The route's
valid request comes from ROUTES; a case changes one field of it. Every answer must
be a 4xx, or a page with a validation message, never a 5xx or a stack trace, and
hostile markup never comes back as markup. Unless a row says the value is a
legitimate save (SAVED: a narrative may well contain "<script>"), nothing is
written: every table but the audit log is unchanged (refusals ARE audited).

The tables are checked against the app: every route in app.url_map needs a row in
ROUTES, and every field of every form, every query parameter of every link and
every parameter the code reads from the request needs cases here (text fields: at
least a markup and an SQL case). A route or field added later fails the suite until
it has them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cpoms import append_only
from cpoms.adults.models import AdultConcern, AdultConcernDeletion, AdultFollowUp
from cpoms.attachments.models import StagedFile
from cpoms.auth.models import PasswordResetToken, UserSession
from cpoms.auth.sessions import hash_token
from cpoms.common import uk_today
from cpoms.keyinfo.models import KeyStatus, PoliceNotification
from cpoms.extensions import db
from cpoms.formfields import MAX_ID, NAME_REFUSED
from cpoms.guidance.models import GuidanceVersion
from cpoms.mis import imports, pupils
from cpoms.mis.models import RetentionDeletion
from cpoms.models import (
    Category,
    Entry,
    EntryPupil,
    EntryState,
    FollowUp,
    Pupil,
    Role,
    RoleAssignment,
    School,
    User,
)
from cpoms.monitoring.models import MonitoringEvent, MonitoringState
from cpoms.packs import fileformat as packs_format
from cpoms.reports.periods import current_academic_year
from cpoms.sso.models import SignInProvider
from cpoms.tasks.models import Task
from cpoms.timefmt import now_utc, uk_local_input
from cpoms.transfers.models import Transfer

from conftest import PASSWORD, make_user
from hostile_support import (
    ATTACHMENT_FILES,
    Case,
    Expect,
    P,
    Pristine,
    Route,
    assert_inert,
    assert_links_back_to,
    assert_safe,
    build_path,
    changed_tables,
    form_inputs,
    new_rows,
    parameters_read_in,
    request_for,
    sign_in_as,
    snapshot,
)
from pack_support import minimal_pack, received_sample, unzip
from sample_files import BAD_FILES, attach_png, pdf, png, zipped

APP_SOURCE = Path(__file__).resolve().parent.parent / "cpoms"
HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def pristine():
    made = Pristine(SMALL_FILES, make_sample)
    yield made
    made.close()


@pytest.fixture
def app(pristine):
    pristine.restore()
    return pristine.app


@pytest.fixture
def world(pristine, app):
    return pristine.world


@pytest.fixture
def sample(pristine, app) -> dict:
    return pristine.sample


def make_sample(app, world) -> dict:
    """Records the cases aim at: an open and a closed entry at ashgrove, one at brookfield.
    Inserted directly, once per module and worker (Pristine keeps the database they are in);
    with them, a pack waiting for its confirmation."""
    happened = now_utc() - timedelta(minutes=30)
    with app.app_context():
        behaviour = world.categories["Behaviour"].id

        def entry(recorder, pupil, status="open", **extra):
            return Entry(
                school_id=pupil.school_id,
                category_id=behaviour,
                recorded_by_id=world[recorder].id,
                source="staff_observation",
                occurred_at=happened,
                narrative="Pushed in the queue.",
                entry_pupils=[EntryPupil(pupil_id=pupil.id)],
                state=EntryState(school_id=pupil.school_id, status=status),
                **extra,
            )

        closed = FollowUp(kind="closed", author_id=world["dsl"].id, occurred_at=happened, text="Support in place.")

        def guidance(school, author):
            return GuidanceVersion(
                school_id=school.id, body="Write what you saw and heard.", created_by_id=world[author].id
            )

        # A member of staff who chose two-factor sign-in (and may turn it off), and is
        # locked out for now (for the admin's unlock).
        teacher3 = make_user("Teacher Three", "teacher3@ashgrove.example.org", two_factor=True)
        teacher3.roles.append(RoleAssignment(role=Role.STAFF, school_id=world.school.id))
        teacher3.failed_sign_ins, teacher3.locked_until = 5, now_utc() + timedelta(minutes=5)
        records = [
            entry("teacher1", world.pupils[0]),
            entry("teacher1", world.pupils[0], status="closed", follow_ups=[closed]),
            entry("other_teacher", world.other_pupils[0]),
            Category(name="Retired category", active=False, order=99),
            guidance(world.school, "admin"),
            guidance(world.other_school, "other_dsl"),
            teacher3,
        ]
        db.session.add_all(records)
        db.session.add(
            PasswordResetToken(
                user_id=world["teacher2"].id,
                token_hash=hash_token(RESET_TOKEN),
                expires_at=now_utc() + timedelta(hours=1),
            )
        )
        db.session.commit()
        entry_id, closed_id, other_entry_id, retired_id, guidance_id, other_guidance_id, teacher3_id = (
            r.id for r in records
        )
        teacher3_secret = teacher3.totp_secret
        follow_up_id = closed.id
        attachments = extra_sample(app, world, entry_id, other_entry_id)
        upload_id = imports.store(
            db.session.get(User, world["admin"].id),
            db.session.get(School, world.school.id),
            "pupils.csv",
            pupils.parse(PUPILS_CSV),
            full=False,
        ).id
        task_id = add_task_and_monitoring(world, entry("dsl", world.pupils[1]))
        exclusion_id = add_exclusion(world)
        db.session.commit()
        transfers = sample_transfers(world)
        administration = make_administration_sample(world)
        adults = make_adults_sample(world)
        key_information = make_key_information_sample(world)
        letter_name = a_letter_in_the_mailbox()
    stage_the_pack(app)
    with app.test_request_context():
        received = received_sample(world)
    return {
        **received,
        "letter_name": letter_name,
        **administration,
        **adults,
        **key_information,
        "app": app,
        "world": world,
        "entry_id": entry_id,
        "closed_entry_id": closed_id,
        "other_entry_id": other_entry_id,
        "pupil_id": world.pupils[0].id,
        "other_pupil_id": world.other_pupils[0].id,
        "other_pupil_name": "Noah Baker",
        "behaviour_id": world.categories["Behaviour"].id,
        "retired_category_id": retired_id,
        "category_ids": [c.id for c in world.categories.values()] + [retired_id],
        "css": "css/app.css",
        "guidance_id": guidance_id,
        "other_guidance_id": other_guidance_id,
        "school_id": world.school.id,
        "other_school_id": world.other_school.id,
        "trust_id": world.trust.id,
        "teacher1_id": world["teacher1"].id,
        "teacher3_id": teacher3_id,
        "teacher3_secret": teacher3_secret,
        "admin_id": world["admin"].id,
        "other_teacher_id": world["other_teacher"].id,
        "reset_token": RESET_TOKEN,
        "report_key": "months",
        "follow_up_id": follow_up_id,
        "upload_id": upload_id,
        "task_id": task_id,
        "teacher2_id": world["teacher2"].id,
        "monitored_pupil_id": world.pupils[2].id,
        "exclusion_id": exclusion_id,
        "deputy_id": world["deputy"].id,
        "dsl_id": world["dsl"].id,
        **transfers,
        **attachments,
    }


def a_letter_in_the_mailbox() -> str:
    """One email in the local mailbox (for its page), as the app would have sent it."""
    from flask_mail import Message

    from cpoms import mailbox

    with mailbox.Connection() as connection:
        return connection.send(
            Message(
                subject="Reset your password",
                recipients=["teacher2@ashgrove.example.org"],
                sender="cpoms@example.org",
                body="Follow the link to reset it.",
            )
        )


def add_exclusion(world) -> int:
    """other_teacher (of brookfield, who reads nothing at ashgrove) kept from Amelia's record:
    an exclusion in force, to end."""
    from cpoms.exclusions.models import RecordExclusion

    exclusion = RecordExclusion(
        pupil_id=world.pupils[0].id,
        user_id=world["other_teacher"].id,
        school_id=world.school.id,
        reason="Is the child's aunt.",
        by_id=world["dsl"].id,
        at=now_utc(),
    )
    db.session.add(exclusion)
    db.session.flush()
    return exclusion.id


def add_task_and_monitoring(world, task_entry) -> int:
    """A task for teacher2 on an entry of its own (so teacher2 reads no other sample
    entry), and a pupil already on the monitoring list (to review and end)."""
    db.session.add(task_entry)
    db.session.flush()
    follow_up = FollowUp(
        entry_id=task_entry.id, kind="task", author_id=world["dsl"].id, occurred_at=now_utc(), text="Check in daily."
    )
    task = Task(
        follow_up=follow_up,
        entry_id=task_entry.id,
        school_id=world.school.id,
        assignee_id=world["teacher2"].id,
        due_on=uk_today(),
    )
    watched = world.pupils[2]
    db.session.add_all(
        [
            follow_up,
            task,
            MonitoringState(
                pupil_id=watched.id,
                school_id=watched.school_id,
                active=True,
                started_on=uk_today(),
                review_on=uk_today() + timedelta(days=14),
                reason="Attendance.",
            ),
        ]
    )
    db.session.add(
        MonitoringEvent(
            pupil_id=watched.id,
            school_id=watched.school_id,
            kind="started",
            by_id=world["dsl"].id,
            starts_on=uk_today(),
            review_on=uk_today() + timedelta(days=14),
            text="Attendance.",
        )
    )
    db.session.flush()
    return task.id


def sample_transfers(world) -> dict:
    """Transfers the cases aim at: Oliver's file sent to brookfield; Isla's sent outside
    the trust, and another of hers started and not yet sent."""

    def transfer(pupil, status, to_school=None):
        outside = (
            {}
            if to_school
            else {
                "destination_name": "St Anne's Primary",
                "contact_name": "Ms Patel",
                "contact_email": "dsl@stannes.example.org",
            }
        )
        row = Transfer(
            pupil_id=pupil.id,
            from_school_id=world.school.id,
            to_school_id=to_school,
            method="secure_email",
            started_by_id=world["dsl"].id,
            status=status,
            sent_on=now_utc().date() if status == "sent" else None,
            **outside,
        )
        db.session.add(row)
        return row

    made = {
        "trust_transfer_id": transfer(world.pupils[1], "sent", world.other_school.id),
        "outside_transfer_id": transfer(world.pupils[2], "sent"),
        "started_transfer_id": transfer(world.pupils[2], "started"),
    }
    db.session.commit()
    return {key: row.id for key, row in made.items()}


# --- attachments and the body map (issue 4, items 7 and 8) ---
SMALL_FILES = {
    "ATTACHMENT_MAX_BYTES": 256 * 1024,
    "PACK_MAX_BYTES": 256 * 1024,
}  # oversize cases stay cheap: 256 KB a file


def extra_sample(app, world, entry_id: int, other_entry_id: int) -> dict:
    """An image and a PDF on the open entry, an image on brookfield's, and a file
    waiting on the log form of teacher2 (whose token nobody else may use)."""
    import hashlib

    from cpoms.attachments import staging
    from cpoms.attachments.sniff import PNG
    from cpoms.attachments.uploads import Upload

    data = png()
    with app.test_request_context():
        token = staging.stage(
            db.session, world["teacher2"].id, Upload(data, "arm.png", PNG, hashlib.sha256(data).hexdigest())
        )
        db.session.commit()
    return {
        "attachment_id": attach_png(app, entry_id, world["teacher1"].id),
        "pdf_attachment_id": attach_png(app, entry_id, world["teacher1"].id, "minutes.pdf", pdf()),
        "other_attachment_id": attach_png(app, other_entry_id, world["other_teacher"].id),
        "teacher2_staged_token": token,
    }


def upload(content: bytes, name: str):
    """A file as the browser sends it (made afresh each time: a request reads it once)."""
    return P(f"file-{name}-{len(content)}", lambda s: (io.BytesIO(content), name))


def make_administration_sample(world) -> dict:
    """For the admin pages: a trust-wide admin; teacher4, deactivated, with two roles (one to remove);
    Oliver past the retention period (to propose); a proposal to delete Isla's records."""
    trust_admin = make_user("Trust Admin", "admin@trust.example.org", two_factor=True)
    trust_admin.roles.append(RoleAssignment(role=Role.ADMIN, trust_id=world.trust.id))
    teacher4 = make_user("Teacher Four", "teacher4@ashgrove.example.org", active=False)
    extra = RoleAssignment(role=Role.GOVERNOR, school_id=world.school.id)
    teacher4.roles += [RoleAssignment(role=Role.STAFF, school_id=world.school.id), extra]
    db.session.get(Pupil, world.pupils[1].id).date_of_birth = date(1990, 1, 1)
    # Amelia's MIS date of birth is a year earlier than the one retention is counted from: a DSL accepts it.
    amelia = db.session.get(Pupil, world.pupils[0].id)
    amelia.retention_date_of_birth = date(amelia.date_of_birth.year + 1, 1, 1)
    amelia.retention_flagged_at, amelia.retention_flagged_by_id = now_utc(), world["admin"].id
    proposal = RetentionDeletion(
        pupil_id=world.pupils[2].id, school_id=world.school.id, reason="Reviewed.", proposed_by_id=world["admin"].id
    )
    db.session.add(proposal)
    provider = SignInProvider(
        trust_id=world.trust.id,
        slug="test",
        name="Test ID",
        kind="oidc",
        restriction="",
        issuer="https://id.example.org",
        client_id="concern-log",
        mfa_claim="amr",
        mfa_value="mfa",
        enabled=True,
    )
    db.session.add(provider)
    db.session.commit()
    return {
        "provider_id": provider.id,
        "provider_slug": provider.slug,
        "trust_admin_id": trust_admin.id,
        "teacher4_id": teacher4.id,
        "teacher4_extra_role_id": extra.id,
        "due_pupil_id": world.pupils[1].id,
        "proposal_id": proposal.id,
        "flagged_pupil_id": world.pupils[0].id,
    }


def make_adults_sample(world) -> dict:
    """For concerns about adults: ashgrove's headteacher, their case manager; a concern teacher1
    raised about teacher2, one about the headteacher (whom it names: never theirs to read) and
    one at brookfield."""
    head = make_user("Hana Head", "head@ashgrove.example.org", two_factor=True)
    head.roles.append(
        RoleAssignment(role=Role.HEADTEACHER, school_id=world.school.id, granted_at=now_utc() - timedelta(days=2))
    )
    # A second case manager: the one who proposed deleting a concern the headteacher may confirm.
    co_head = make_user("Cora Cohead", "cohead@ashgrove.example.org", two_factor=True)
    co_head.roles.append(
        RoleAssignment(role=Role.HEADTEACHER, school_id=world.school.id, granted_at=now_utc() - timedelta(days=2))
    )
    db.session.flush()

    def concern(school, raiser, subject, **extra):
        return AdultConcern(
            school_id=school.id,
            raised_by_id=world[raiser].id,
            subject_kind="staff",
            subject_user_id=subject.id,
            subject_name=subject.name,
            happened_at=now_utc() - timedelta(days=1),
            location="Upper corridor",
            what_happened="Shouted at a pupil and grabbed his sleeve.",
            **extra,
        )

    made = {
        "adult_concern_id": concern(world.school, "teacher1", world["teacher2"]),
        "head_concern_id": concern(world.school, "teacher1", head, about_headteacher=True),
        "other_adult_concern_id": concern(world.other_school, "other_teacher", world["other_dsl"]),
        # Found malicious: its review is due (one with a deletion waiting for a second case manager).
        "due_adult_concern_id": concern(world.school, "teacher1", world["teacher2"]),
        "pending_adult_concern_id": concern(world.school, "teacher1", world["teacher2"]),
    }
    db.session.add_all(made.values())
    db.session.flush()
    for key in ("due_adult_concern_id", "pending_adult_concern_id"):
        db.session.add(
            AdultFollowUp(
                concern_id=made[key].id, author_id=head.id, kind="outcome", outcome="malicious", text="Malicious."
            )
        )
    db.session.add(
        AdultConcernDeletion(
            concern_id=made["pending_adult_concern_id"].id,
            school_id=world.school.id,
            reason="Malicious, reviewed.",
            proposed_by_id=co_head.id,
            proposed_at=now_utc() - timedelta(hours=1),
        )
    )
    db.session.commit()
    ids = {key: row.id for key, row in made.items()}
    return {
        "head_id": head.id,
        **ids,
        # The concern a valid raise creates, whose page shows its text (ids are not reused: nothing is deleted).
        "next_adult_concern_id": max(ids.values()) + 1,
        "adult_follow_up_kind": "assessment",
    }


ENROLLING_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# teacher2 has begun setting up two-factor sign-in in this session: the key it was shown.
ENROLLING = {"totp_setup_secret": ENROLLING_SECRET}


def setup_key(s: dict) -> str:
    """The key teacher2's newest session with a set-up under way was shown (showing the page gives a new one)."""
    with s["app"].app_context():
        return db.session.scalar(
            select(UserSession.totp_setup_secret)
            .where(UserSession.user_id == s["world"]["teacher2"].id, UserSession.totp_setup_secret.is_not(None))
            .order_by(UserSession.id.desc())
            .limit(1)
        )


PUPILS_CSV = (
    b"UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\nC000000000001,Quinn,Ava,01/09/2019,3,3Ash\r\n"
)


def csv_file(content: bytes, name: str = "pupils.csv"):
    """A file as the browser sends it (made afresh each time: a request reads it once)."""
    return P(f"file-{name}-{len(content)}", lambda s: (io.BytesIO(content), name))


RESET_TOKEN = "a-reset-link-of-the-hostile-suite"  # nosec B105


def code(secret: str) -> str:
    """The code an authenticator app shows now (a fresh database: never used before)."""
    return pyotp.TOTP(secret).now()


def recent(**delta) -> str:
    return uk_local_input(now_utc() - timedelta(**delta))


def later(**delta) -> str:
    return uk_local_input(now_utc() + timedelta(**delta))


# --- how to make a valid request to each route -------------------------------------------

ENTRY = {"entry_id": "entry_id"}
# The report counters are kept as entries are written (cpoms/reports/counters.py): a status
# changed counts again, a first review or action is a wait ended.
COUNTERS = frozenset({"report_counts", "report_waits"})
ENTRY_WRITES = frozenset({"follow_ups", "entry_states"}) | COUNTERS

HOME = ("main.home", "GET")
LOGIN_PAGE = ("auth.login", "GET")
LOGIN = ("auth.login", "POST")
LOGOUT = ("auth.logout", "POST")
LOG_PAGE = ("log.new", "GET")
LOG = ("log.new", "POST")
SEARCH = ("log.pupil_search", "GET")
CHIP = ("log.pupil_chip", "GET")
ENTRY_PAGE = ("entries.show", "GET")
# The entry page's folded forms, fetched as their fold opens (htmx).
FOLDS = (("entries.fold_link", "GET"), ("entries.fold_category", "GET"), ("entries.fold_correction", "GET"))
FOLLOW_UP = ("entries.add_follow_up", "POST")
REVIEW = ("entries.review", "POST")
CLOSE = ("entries.close", "POST")
REOPEN = ("entries.reopen", "POST")
QUEUE = ("review.queue", "GET")
CHRONOLOGY = ("chronology.show", "GET")
STATIC = ("static", "GET")
TWO_FACTOR_PAGE = ("auth.two_factor", "GET")
TWO_FACTOR = ("auth.two_factor", "POST")
FORGOT_PAGE = ("auth.forgot", "GET")
FORGOT = ("auth.forgot", "POST")
RESET_PAGE = ("auth.reset", "GET")
RESET = ("auth.reset", "POST")
ENROL_PAGE = ("account.two_factor", "GET")
ENROL = ("account.two_factor", "POST")
NEW_CODES = ("account.recovery_codes", "POST")
TURN_OFF = ("account.turn_off_two_factor", "POST")
PASSWORD_PAGE = ("account.password", "GET")
CHANGE_PASSWORD = ("account.password", "POST")
USERS = ("admin.users", "GET")
FORCE_RESET = ("admin.force_reset", "POST")
RESET_TWO_FACTOR = ("admin.reset_two_factor", "POST")
FORCE_RESET_PAGE = ("admin.force_reset", "GET")
RESET_TWO_FACTOR_PAGE = ("admin.reset_two_factor", "GET")
UNLOCK = ("admin.unlock", "POST")
AUDIT_LOG = ("auditlog.log", "GET")
VIEWERS = ("auditlog.viewers", "GET")
GUIDANCE = ("guidance.show", "GET")
GUIDANCE_HISTORY = ("guidance.history", "GET")
GUIDANCE_VERSION = ("guidance.version", "GET")
GUIDANCE_EDIT_PAGE = ("guidance.edit", "GET")
GUIDANCE_EDIT = ("guidance.edit", "POST")
CATEGORIES_PAGE = ("guidance.categories", "GET")
CATEGORIES = ("guidance.categories", "POST")
HIDDEN = ("main.hidden", "GET")
REPORTS = ("reports.index", "GET")
REPORT_CSV = ("reports.download", "GET")
FULL_TEXT = ("search.results", "GET")
RETRY_ENTRY = ("entries.retry_alerts", "POST")
RETRY_ALL = ("main.retry_alerts", "POST")
OVERSIGHT = ("oversight.index", "GET")
CHRONOLOGY_CSV = ("chronology.export_csv", "GET")
CHRONOLOGY_PDF = ("chronology.export_pdf", "GET")
KEY_EVENT = ("chronology.mark_key_event", "POST")
IMPORT_PAGE = ("mis.upload", "GET")
IMPORT = ("mis.upload", "POST")
IMPORT_PREVIEW = ("mis.preview", "GET")
IMPORT_CONFIRM = ("mis.confirm", "POST")
RETENTION = ("mis.retention", "GET")
# Concerns that evolve: later categories, amendments, linked entries.
ADD_CATEGORY = ("entries.add_category", "POST")
AMEND = ("entries.amend", "POST")
LINK = ("entries.link", "POST")

COMPLETE_TASK = ("tasks.complete", "POST")
MONITORING_PAGE = ("monitoring.show", "GET")
START_MONITORING = ("monitoring.start", "POST")
REVIEW_MONITORING = ("monitoring.review", "POST")
END_MONITORING = ("monitoring.end", "POST")


MONITORING_WRITES = frozenset({"monitoring_events", "monitoring_states"})

# Who may not read a pupil's record (cpoms/exclusions/).
EXCLUSIONS_PAGE = ("exclusions.show", "GET")
EXCLUDE = ("exclusions.add", "POST")
END_EXCLUSION = ("exclusions.end", "POST")


def uk_day(offset: int) -> str:
    return (uk_today() + timedelta(days=offset)).isoformat()


TRANSFERS = ("transfers.dashboard", "GET")
TRANSFER_START_PAGE = ("transfers.start", "GET")
TRANSFER_START = ("transfers.start", "POST")
TRANSFER_PAGE = ("transfers.show", "GET")
TRANSFER_SENT = ("transfers.mark_sent", "POST")
TRANSFER_ACCEPT = ("transfers.accept", "POST")
TRANSFER_DECLINE = ("transfers.decline", "POST")
TRANSFER_RECEIPT = ("transfers.record_receipt", "POST")
TRANSFER_PACK = ("transfers.download_pack", "GET")
SUBJECT_ACCESS = ("transfers.subject_access", "POST")

DRAFT = ("drafts.save", "POST")

ATTACH = ("attachments.add", "POST")
# What I logged (the recorder's list), and the safeguarding team's message to an entry's recorder.
LOGGED = ("hearback.logged", "GET")
MESSAGE_RECORDER = ("hearback.message_recorder", "POST")
# The local mailbox (MAIL_BACKEND=mailbox, as hostile_support's app runs): only from this computer.
MAILBOX = ("mailbox.index", "GET")
LETTER = ("mailbox.show", "GET")
DOWNLOAD = ("attachments.download", "GET")
PREVIEW = ("attachments.preview", "GET")


def log_form(s: dict) -> dict:
    return {
        "pupil_ids": str(s["pupil_id"]),
        "category": str(s["behaviour_id"]),
        "source": "staff_observation",
        "occurred_at": recent(minutes=10),
        "narrative": "Pushed in the lunch queue.",
        "child_words": "He took my ball.",
        # The gentle check on save (cpoms/log/checks.py) has been shown: this save stands.
        # Without it, a short narrative gets the check again rather than being saved.
        "checked": "1",
    }


def new_password(s: dict) -> dict:
    return {"password": "plum kettle orbit lantern", "confirm": "plum kettle orbit lantern"}


def category_descriptions(s: dict) -> dict:
    return {f"description_{i}": "What this category is for." for i in s["category_ids"]}


SIGN_IN_WRITES = frozenset({"user_sessions", "users"})  # a new session; the account's sign-in time
ADMIN_TARGET = {"user_id": "teacher3_id"}
ACCOUNT_WRITES = frozenset({"users", "user_sessions", "recovery_codes", "password_reset_tokens"})


ROUTES: dict[tuple[str, str], Route] = {
    HOME: Route(),
    LOGIN_PAGE: Route(who=None),
    # Without two-factor sign-in (teacher1): the password alone signs in, so next= is followed at once.
    LOGIN: Route(
        who=None, data=lambda s: {"email": s["world"]["teacher1"].email, "password": PASSWORD}, writes=SIGN_IN_WRITES
    ),
    LOGOUT: Route(writes=frozenset({"user_sessions"})),
    TWO_FACTOR_PAGE: Route(verified=False),
    TWO_FACTOR: Route(
        verified=False, data=lambda s: {"code": code(s["world"]["dsl"].totp_secret)}, writes=SIGN_IN_WRITES
    ),
    FORGOT_PAGE: Route(who=None),
    FORGOT: Route(
        who=None,
        data=lambda s: {"email": s["world"]["teacher2"].email},
        writes=frozenset({"password_reset_tokens", "alerts"}),
    ),  # the reset email, in the outbox
    RESET_PAGE: Route(who=None, ids={"token": "reset_token"}),
    RESET: Route(who=None, ids={"token": "reset_token"}, data=new_password, writes=ACCOUNT_WRITES),
    ENROL_PAGE: Route(who="teacher2", verified=False, session=ENROLLING),
    ENROL: Route(
        who="teacher2",
        verified=False,
        session=ENROLLING,
        data=lambda s: {"code": code(setup_key(s))},
        writes=ACCOUNT_WRITES,
    ),
    NEW_CODES: Route(data=lambda s: {"codes-code": code(s["world"]["dsl"].totp_secret)}, writes=ACCOUNT_WRITES),
    TURN_OFF: Route(who="teacher3", data=lambda s: {"off-code": code(s["teacher3_secret"])}, writes=ACCOUNT_WRITES),
    PASSWORD_PAGE: Route(who="teacher1"),
    CHANGE_PASSWORD: Route(
        who="teacher1", data=lambda s: {**new_password(s), "current": PASSWORD}, writes=ACCOUNT_WRITES
    ),
    USERS: Route(who="admin"),
    FORCE_RESET: Route(
        who="admin", ids=ADMIN_TARGET, data=lambda s: {"confirm": "yes"}, writes=ACCOUNT_WRITES | {"alerts"}
    ),
    RESET_TWO_FACTOR: Route(who="admin", ids=ADMIN_TARGET, data=lambda s: {"confirm": "yes"}, writes=ACCOUNT_WRITES),
    FORCE_RESET_PAGE: Route(who="admin", ids=ADMIN_TARGET),
    RESET_TWO_FACTOR_PAGE: Route(who="admin", ids=ADMIN_TARGET),
    UNLOCK: Route(who="admin", ids=ADMIN_TARGET, writes=frozenset({"users"})),
    AUDIT_LOG: Route(who="admin", data=lambda s: {"who": "dsl", "since": "2024-09-01", "until": "2030-01-01"}),
    VIEWERS: Route(ids={"pupil_id": "pupil_id"}),
    GUIDANCE: Route(who="teacher1"),
    GUIDANCE_HISTORY: Route(who="teacher1"),
    GUIDANCE_VERSION: Route(who="teacher1", ids={"version_id": "guidance_id"}),
    GUIDANCE_EDIT_PAGE: Route(who="admin"),
    GUIDANCE_EDIT: Route(
        who="admin",
        data=lambda s: {"body": "Write facts, not opinions.", "note": "Clearer."},
        writes=frozenset({"guidance_versions"}),
    ),
    CATEGORIES_PAGE: Route(who="trust_admin"),
    CATEGORIES: Route(who="trust_admin", data=category_descriptions, writes=frozenset({"categories"})),
    HIDDEN: Route(who="teacher1", headers={"Referer": "http://localhost/log"}),
    # The years offered run from the sample's first entry (this year) to this year.
    REPORTS: Route(data=lambda s: {"year": str(current_academic_year()), "term": "autumn"}),
    REPORT_CSV: Route(ids={"key": "report_key"}, data=lambda s: {"year": str(current_academic_year())}),
    FULL_TEXT: Route(data=lambda s: {"q": "queue"}),
    # Nothing has failed in the sample: a retry is accepted and queues nothing.
    RETRY_ENTRY: Route(ids=ENTRY, writes=frozenset({"alerts"})),
    RETRY_ALL: Route(data=lambda s: {"next": "/review"}, writes=frozenset({"alerts"})),
    OVERSIGHT: Route(
        who="governor", data=lambda s: {"year": str(current_academic_year()), "sample": "10", "seed": "42"}
    ),
    CHRONOLOGY_CSV: Route(ids={"pupil_id": "pupil_id"}, data=lambda s: {"view": "timeline"}),
    CHRONOLOGY_PDF: Route(ids={"pupil_id": "pupil_id"}),
    IMPORT_PAGE: Route(who="admin"),
    IMPORT: Route(
        who="admin",
        data=lambda s: {"school": "ashgrove", "file": (io.BytesIO(PUPILS_CSV), "pupils.csv")},
        writes=frozenset({"pupil_imports"}),
    ),
    IMPORT_PREVIEW: Route(who="admin", ids={"upload_id": "upload_id"}),
    IMPORT_CONFIRM: Route(who="admin", ids={"upload_id": "upload_id"}, writes=frozenset({"pupils", "pupil_imports"})),
    RETENTION: Route(who="admin"),
    KEY_EVENT: Route(
        ids={"follow_up_id": "follow_up_id"},
        data=lambda s: {"pupil": str(s["pupil_id"]), "page": "1"},
        writes=frozenset({"key_events"}),
    ),
    LOG_PAGE: Route(who="teacher1"),
    LOG: Route(
        who="teacher1", data=log_form, writes=frozenset({"entries", "entry_pupils", "entry_states", "report_counts"})
    ),
    SEARCH: Route(who="teacher1", data=lambda s: {"q": "am"}, headers=HX),
    CHIP: Route(who="teacher1", ids={"pupil_id": "pupil_id"}, headers=HX),
    ENTRY_PAGE: Route(ids=ENTRY),
    **{fold: Route(ids=ENTRY, headers={"HX-Request": "true"}) for fold in FOLDS},
    FOLLOW_UP: Route(
        ids=ENTRY, data=lambda s: {"kind": "note", "text": "Spoke to mum at pick-up."}, writes=ENTRY_WRITES
    ),
    # The first review emails the recorder that it was reviewed (cpoms/hearback/operations.py): an alert.
    REVIEW: Route(ids=ENTRY, data=lambda s: {"note": "Read; agreed next steps."}, writes=ENTRY_WRITES | {"alerts"}),
    CLOSE: Route(
        ids=ENTRY,
        data=lambda s: {"outcome": "Support in place.", "rationale": "No concerns since."},
        writes=ENTRY_WRITES,
    ),
    REOPEN: Route(
        ids={"entry_id": "closed_entry_id"}, data=lambda s: {"reason": "New information."}, writes=ENTRY_WRITES
    ),
    QUEUE: Route(),
    CHRONOLOGY: Route(ids={"pupil_id": "pupil_id"}),
    STATIC: Route(who=None, ids={"filename": "css"}),
    # Concerns that evolve.
    ADD_CATEGORY: Route(
        ids=ENTRY,
        data=lambda s: {"category": str(s["world"].categories["SEN"].id), "reason": "Assessment requested."},
        writes=frozenset({"entry_categories"}),
    ),
    AMEND: Route(
        ids=ENTRY,
        data=lambda s: {"target": "narrative", "text": "It was at lunch.", "reason": "Wrong time."},
        writes=frozenset({"amendments"}),
    ),
    LINK: Route(
        ids=ENTRY,
        data=lambda s: {"other": str(s["closed_entry_id"]), "reason": "Same week."},
        writes=frozenset({"entry_links"}),
    ),
    # Tasks and monitoring (issue 4).
    COMPLETE_TASK: Route(
        who="teacher2", ids={"task_id": "task_id"}, data=lambda s: {"next": "/"}, writes=frozenset({"task_completions"})
    ),
    MONITORING_PAGE: Route(ids={"pupil_id": "pupil_id"}),
    START_MONITORING: Route(
        ids={"pupil_id": "pupil_id"},
        data=lambda s: {"reason": "Attendance and hunger.", "starts_on": uk_day(0), "review_on": uk_day(14)},
        writes=MONITORING_WRITES,
    ),
    REVIEW_MONITORING: Route(
        ids={"pupil_id": "monitored_pupil_id"},
        data=lambda s: {"note": "Better.", "review_on": uk_day(28)},
        writes=MONITORING_WRITES,
    ),
    END_MONITORING: Route(
        ids={"pupil_id": "monitored_pupil_id"}, data=lambda s: {"reason": "Support in place."}, writes=MONITORING_WRITES
    ),
    # --- who may not read a pupil's record (cpoms/exclusions/) ---
    EXCLUSIONS_PAGE: Route(ids={"pupil_id": "pupil_id"}),
    EXCLUDE: Route(
        ids={"pupil_id": "pupil_id"},
        data=lambda s: {"person": str(s["teacher2_id"]), "reason": "Is the child's aunt."},
        writes=frozenset({"record_exclusions"}),
    ),
    END_EXCLUSION: Route(
        ids={"pupil_id": "pupil_id", "exclusion_id": "exclusion_id"},
        data=lambda s: {"reason": "Has left the school."},
        writes=frozenset({"record_exclusion_ends"}),
    ),
    # --- child-protection file transfers and subject access (cpoms/transfers/) ---
    TRANSFERS: Route(),
    TRANSFER_START_PAGE: Route(ids={"pupil_id": "pupil_id"}),
    TRANSFER_START: Route(
        ids={"pupil_id": "pupil_id"},
        data=lambda s: {"destination": str(s["other_school_id"]), "method": "cp_system", "sent_on": date_today()},
        writes=frozenset({"transfers", "transfer_events", "alerts"}),
    ),
    TRANSFER_PAGE: Route(who="other_dsl", ids={"transfer_id": "trust_transfer_id"}),
    TRANSFER_SENT: Route(
        ids={"transfer_id": "started_transfer_id"},
        data=lambda s: {"sent_on": date_today()},
        writes=frozenset({"transfers", "transfer_events"}),
    ),
    TRANSFER_ACCEPT: Route(
        who="other_dsl",
        ids={"transfer_id": "trust_transfer_id"},
        writes=frozenset({"transfers", "transfer_events", "pupils"}),
    ),
    TRANSFER_DECLINE: Route(
        who="other_dsl",
        ids={"transfer_id": "trust_transfer_id"},
        data=lambda s: {"reason": "Not joining us."},
        writes=frozenset({"transfers", "transfer_events", "alerts"}),
    ),
    TRANSFER_RECEIPT: Route(
        ids={"transfer_id": "outside_transfer_id"},
        data=lambda s: {"confirmed_by": "Ms Patel", "on_date": date_today(), "note": "Signed for."},
        writes=frozenset({"transfers", "transfer_events"}),
    ),
    TRANSFER_PACK: Route(ids={"transfer_id": "outside_transfer_id"}),
    SUBJECT_ACCESS: Route(ids={"pupil_id": "pupil_id"}, writes=frozenset({"subject_access_exports"})),
    # --- drafts saved as people type (tablet) ---
    DRAFT: Route(
        who="teacher1",
        data=lambda s: {"form_name": "LogEntryForm", "narrative": "Typing, not saved yet."},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/log"},
        writes=frozenset({"drafts"}),
    ),
    # Attachments (issue 4, item 7).
    ATTACH: Route(
        ids=ENTRY,
        data=lambda s: {"attachments": (io.BytesIO(png()), "arm.png")},
        writes=frozenset({"attachments", ATTACHMENT_FILES}),
    ),
    DOWNLOAD: Route(ids={"attachment_id": "attachment_id"}),
    PREVIEW: Route(ids={"attachment_id": "attachment_id"}),
    # What I logged: teacher1 recorded the sample's entries. The DSL messages teacher1 about one
    # (the message, and its email in the outbox).
    LOGGED: Route(who="teacher1"),
    MESSAGE_RECORDER: Route(
        ids=ENTRY,
        data=lambda s: {"text": "Thank you. Please come and see me."},
        writes=frozenset({"recorder_messages", "alerts"}),
    ),
    # The local mailbox: not behind sign-in (who asked for a reset link is not signed in).
    MAILBOX: Route(who=None),
    LETTER: Route(who=None, ids={"name": "letter_name"}),
}
# The log form and follow-ups may carry files and (the log form) body-map marks.
FILE_WRITES = frozenset({"attachments", "body_map_marks", ATTACHMENT_FILES})
ROUTES[LOG] = Route(who="teacher1", data=log_form, writes=ROUTES[LOG].writes | FILE_WRITES)
ROUTES[FOLLOW_UP] = Route(ids=ENTRY, data=ROUTES[FOLLOW_UP].data, writes=ENTRY_WRITES | FILE_WRITES)


def date_today(**delta) -> str:
    return (now_utc() + timedelta(**delta)).date().isoformat()


# --- hostile values --------------------------------------------------------------------

SCRIPT = P("script", "<script>alert(1)</script>")
IMG = P("img-onerror", '<img src=x onerror="alert(1)">')
BREAKOUT = P("attr-breakout", '"><svg onload=alert(1)>')
SQL_OR = P("sql-or", "' OR 1=1 --")
SQL_DROP = P("sql-drop", '"; DROP TABLE entries; --')
NUL = P("nul", "before\x00after")
ONLY_NUL = P("only-nul", "\x00")
BLANK = P("blank", "   \n\t ")
EMPTY = P("empty", "")
LEFT_OUT = P("left-out", None)
MEGABYTE = P("1MB", "x" * 1_048_576)
LIKE_WILDCARDS = P("like-wildcards", "%_\\%")
ODD_UNICODE = P("odd-unicode", "\ufffd\u202egnp.exe\u200b\U0001f600")  # replacement, RTL override, zero width

NEGATIVE = P("negative", "-1")
ZERO = P("zero", "0")
OVER_INT32 = P("over-int32", str(MAX_ID + 1))
OVER_INT64 = P("over-2^63", str(2**63))
HUGE = P("huge", "9" * 40)
WORD = P("non-numeric", "abc")
DECIMAL = P("decimal", "1.5")
SUPERSCRIPT = P("superscript-digit", "\u00b2")
ARABIC_DIGIT = P("arabic-indic-digit", "\u0661")
SQL_ID = P("sql-id", "1 OR 1=1")
TRAVERSAL = P("traversal", "../../etc/passwd")

OTHER_PUPIL = P("other-school-pupil", lambda s: str(s["other_pupil_id"]))
OTHER_ENTRY = P("other-school-entry", lambda s: str(s["other_entry_id"]))
OWN_AND_OTHER_PUPIL = P("own-and-other-pupil", lambda s: [str(s["pupil_id"]), str(s["other_pupil_id"])])
TEN_THOUSAND_IDS = P("10000-ids", [str(i) for i in range(1, 10_001)])

IMPOSSIBLE_DATE = P("2026-02-30", "2026-02-30T10:00")
UK_ORDER = P("31/31/2026", "31/31/2026 10:00")
YEAR_ZERO = P("year-0", "0000-01-01T10:00")
YEAR_FIVE_DIGITS = P("year-99999", "99999-01-01T10:00")
YEAR_2100 = P("year-2100", "2100-01-01T10:00")
YEAR_9999 = P("year-9999", "9999-12-31T23:59")
BEFORE_2000 = P("1999", "1999-12-31T23:59")
TOMORROW = P("tomorrow", lambda s: later(days=1))
NOT_A_DATE = P("not-a-date", "yesterday")

ID_VALUES = (NEGATIVE, ZERO, OVER_INT32, OVER_INT64, HUGE, WORD, DECIMAL, SUPERSCRIPT, SQL_ID)
# The same URL converter reads every <int:...>: writes get the sharpest few.
SOME_IDS = (NEGATIVE, OVER_INT64, WORD, SQL_ID)
FAR_DATES = (IMPOSSIBLE_DATE, UK_ORDER, YEAR_ZERO, YEAR_FIVE_DIGITS, NOT_A_DATE)
FUTURE_DATES = (YEAR_2100, YEAR_9999, TOMORROW)


# A day typed where a date is asked (the transfer forms): none of these is one.
DAY_VALUES = (
    SCRIPT,
    SQL_OR,
    P("2026-02-30", "2026-02-30"),
    P("year-0", "0000-01-01"),
    P("year-99999", "99999-01-01"),
    NOT_A_DATE,
)
OUTSIDE = {
    "destination": "outside",
    "destination_name": "St Anne's Primary",
    "contact_name": "Ms Patel",
    "contact_email": "dsl@stannes.example.org",
}


# --- what must happen ----------------------------------------------------------------------

KEY_REFUSED = "This form could not be saved as it was sent. Check what you entered and save again."


def invalid(message: str) -> Expect:
    """The form again with this message: 422, nothing written."""
    return Expect((422,), message)


SAVED = Expect((303,), saved=True)  # a legitimate save: stored as typed (NULs dropped), shown escaped
ACCEPTED = Expect((303,), writes=True)  # a legitimate save that does not store the text as typed
SHOWN = Expect((200,))  # the page, the value ignored or shown as text
NEW_SETUP_KEY = Expect((200,), writes=frozenset({"user_sessions"}))  # each showing of set-up: a new key
MISSING = Expect((404,), "Page not found")
FORBIDDEN = Expect((403,), "You do not have access")
TOO_LARGE = Expect((413,), "That was too large to send")
REDIRECT_HOME = Expect((303,), location="/")
REDIRECT_SIGN_IN = Expect((303,), location="/login")
PICKER = Expect((200,))  # the no-JavaScript picker re-shows the form

NARRATIVE_REQUIRED = invalid("Write what happened, in your own words.")
TOO_LONG = invalid("Keep this under 20,000 characters.")
NOT_A_CHOICE = invalid("Not a valid choice.")
BAD_DATE = invalid("Not a valid datetime value.")
IN_FUTURE = invalid("This cannot be in the future.")
NO_PUPIL = invalid("Choose at least one pupil.")
PUPIL_NOT_FOUND = invalid("Some of these pupils could not be found")
TOO_MANY_PUPILS = invalid("An entry can be about 100 pupils at most.")
# The message goes on (", or there have been too many attempts..."): the same words
# for an unknown address, a wrong password and a locked account.
SIGN_IN_FAILED = invalid("That email address and password do not match an active account")
# A wrong password for a real account counts towards its lock (cpoms/auth/lockout.py):
# the count on the user row is the one thing such a refusal writes.
FAILURE_COUNTED = frozenset({"users"})
WRONG_PASSWORD = Expect((422,), SIGN_IN_FAILED.message, writes=FAILURE_COUNTED)
WRONG_CODE = Expect(
    (422,), "That code did not work. Enter the current code from your app, or a recovery code.", writes=FAILURE_COUNTED
)
CODE_REFUSED = invalid("That code did not work.")  # enrolling or managing: no lock to count towards
SHORT_SCRIPT = P("short-markup", "<b>1</b>")  # within the field's 20 characters


def code_refused(value: P) -> Expect:
    return CODE_REFUSED if len(value.value) <= 20 else TOO_LONG_CODE


CODE_REQUIRED = invalid("Enter the code from your authenticator app.")
TOO_LONG_CODE = invalid("Field cannot be longer than 20 characters.")
SIGNED_IN_HOME = Expect((303,), location="/", writes=True)
TO_THE_CODE_STEP = Expect((303,), location="/login/two-factor", writes=True)  # next= dropped on the way
BACK_TO_SIGN_IN = Expect((303,), location="/login", writes=True)
RESET_LINK_DEAD = Expect((404,), "This link no longer works")
# Asking for a reset link: the same answer whatever the address (nothing tells
# whether an account exists), and only a real, active account's link is written.
RESET_ASKED = Expect((303,), location="/login")
BACK_TO_USERS = Expect((303,), location="/admin/users", writes=True)
CSV_REFUSED = invalid("Some details need correcting")  # a download has no form to show: the error page
INVALID_DATE = invalid("Not a valid date value.")
SEARCH_REFUSED = invalid("Type a word to search for")

CHECK_SHOWN = Expect((200,), "The account is very short")
ROLE = "role_{pupil_id}"  # one select per chosen pupil, named by the pupil's id
BAD_ROLE = invalid("Choose each pupil's role from the list.")
STAFF_NOT_FOUND = invalid("Some of the staff chosen could not be found at Ashgrove Primary School.")
ALERTED = Expect(
    (303,), writes=frozenset({"entries", "entry_pupils", "entry_states", "alerts", "entry_shares", "report_counts"})
)  # the gentle check, once: nothing saved yet

# What the valid request of each POST route gets: the control for every case that
# should change nothing about the answer.
VALID_POST = {
    LOGIN: SIGNED_IN_HOME,
    LOGOUT: BACK_TO_SIGN_IN,
    TWO_FACTOR: SIGNED_IN_HOME,
    FORGOT: Expect((303,), location="/login", writes=True),
    RESET: BACK_TO_SIGN_IN,
    LOG: ACCEPTED,
    FOLLOW_UP: ACCEPTED,
    REVIEW: ACCEPTED,
    CLOSE: ACCEPTED,
    REOPEN: ACCEPTED,
    ENROL: Expect((200,), "Two-factor sign-in is on.", writes=True),
    NEW_CODES: Expect((200,), "Here are your new recovery codes.", writes=True),
    TURN_OFF: Expect((303,), location="/account/two-factor", writes=True),
    CHANGE_PASSWORD: Expect((303,), location="/", writes=True),
    FORCE_RESET: BACK_TO_USERS,
    RESET_TWO_FACTOR: BACK_TO_USERS,
    UNLOCK: BACK_TO_USERS,
    GUIDANCE_EDIT: Expect((303,), writes=True),
    RETRY_ENTRY: Expect((303,)),  # back to the entry
    RETRY_ALL: Expect((303,), location="/review"),
    KEY_EVENT: Expect((303,), writes=True),
    IMPORT: Expect((303,), writes=True),
    IMPORT_CONFIRM: Expect((303,), writes=True),
    CATEGORIES: Expect((303,), location="/guidance/categories", writes=True),
    ADD_CATEGORY: ACCEPTED,
    AMEND: ACCEPTED,
    LINK: ACCEPTED,
    COMPLETE_TASK: Expect((303,), location="/", writes=True),
    START_MONITORING: Expect((303,), writes=True),
    REVIEW_MONITORING: Expect((303,), writes=True),
    END_MONITORING: Expect((303,), writes=True),
    EXCLUDE: Expect((303,), writes=True),
    END_EXCLUSION: Expect((303,), writes=True),
    TRANSFER_START: Expect((303,), writes=True),
    TRANSFER_SENT: Expect((303,), writes=True),
    TRANSFER_ACCEPT: Expect((303,), writes=True),
    TRANSFER_DECLINE: Expect((303,), writes=True),
    TRANSFER_RECEIPT: Expect((303,), writes=True),
    SUBJECT_ACCESS: Expect((200,), writes=True),
    # --- drafts saved as people type (tablet): kept as JSON, so not "as typed" in a column ---
    DRAFT: Expect((200,), "Draft saved", writes=True),
    ATTACH: Expect((303,), writes=True),
    MESSAGE_RECORDER: Expect((303,), writes=True),  # back to the entry's messages
}

PREFIXED = {NEW_CODES: "codes-", TURN_OFF: "off-"}  # two code forms on one page: their fields are prefixed
AS_DSL = {"email": "dsl@ashgrove.example.org"}  # enrolled in two-factor sign-in
OTHER_SCHOOL_USER = P("other-school-user", lambda s: str(s["other_teacher_id"]))
OWN_ACCOUNT = P("own-account", lambda s: str(s["admin_id"]))
OTHER_SCHOOL = P("other-school", lambda s: str(s["other_school_id"]))
OTHER_PUPIL_NAME = P("other-school-pupil-name", "Noah")
BEHAVIOUR_DESCRIPTION = "description_{behaviour_id}"  # one field per category, named by its id
FTS_SYNTAX = (  # FTS5 and tsquery operators, as words someone might type
    P("fts-quotes", 'queue" OR "x'),
    P("fts-near", "NEAR(queue lunch)"),
    P("fts-column", "narrative:queue"),
    P("fts-prefix", "que*"),
    P("fts-boolean", "queue AND NOT OR"),
    P("fts-caret", "^queue"),
    P("tsquery", "queue & !lunch | (x:*)"),
)

# Where open-redirect attempts must not lead.
OFF_SITE = [
    P("protocol-relative", "//evil.example"),
    P("backslash", "/\\evil.example"),
    P("scheme-no-slashes", "https:evil.example"),
    P("absolute", "https://evil.example/"),
    P("encoded-slashes", "%2F%2Fevil.example"),
    P("javascript", "javascript:alert(1)"),
    P("data-url", "data:text/html,<script>alert(1)</script>"),
    P("triple-slash", "///evil.example"),
    P("tab", "/\t/evil.example"),
    P("leading-space", " //evil.example"),
    P("userinfo", "http://127.0.0.1@evil.example"),
    P("backslashes", "\\\\evil.example"),
    # urlsplit drops CR, LF and tab before it looks for a host: a line break once reached
    # the Location header (a 500, or a header planted by the link).
    P("crlf", "/\r\nSet-Cookie: planted=1"),
    P("lf", "/\nX: 1"),
    P("cr-host", "/\r//evil.example"),
]


def text_cases(route, name, *, saved=SAVED, required=None, too_long=TOO_LONG, long_text=20_001, extra=None):
    """The standard hostile texts for one free-text field that is saved and shown later."""
    rows = [Case(route, name, value, saved, extra=extra) for value in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL)]
    rows.append(Case(route, name, P(f"{long_text}-chars", "x" * long_text), too_long, extra=extra))
    rows.append(Case(route, name, MEGABYTE, TOO_LARGE, extra=extra))
    if required:
        rows += [Case(route, name, value, required, extra=extra) for value in (EMPTY, BLANK, ONLY_NUL)]
    return rows


def id_cases(route, name, expect, *, other=None, values=ID_VALUES):
    rows = [Case(route, name, value, expect) for value in values]
    if other:
        rows.append(Case(route, name, other, expect))
    return rows


def search_cases(route, name, expect, extra=None):
    values = (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, LIKE_WILDCARDS, ODD_UNICODE, P("10k-chars", "a" * 10_000))
    return [Case(route, name, value, expect, extra=extra) for value in values]


def password_cases(route, saved):
    """A new password, twice: rules apply to any text, and a hostile one that passes them is just a password."""

    def same(value):
        return {"confirm": value}

    rows = [Case(route, "password", v, saved, extra=same(v.value)) for v in (SCRIPT, SQL_DROP, IMG)]
    rows += [
        Case(route, "password", v, invalid("Use at least 12 characters."), extra=same(v.value))
        for v in (SQL_OR, NUL, P("nul-padded", "\x00" * 20))
    ]
    rows.append(
        Case(
            route,
            "password",
            P("201-chars", "abcd" * 50 + "e"),
            invalid("Use at most 200 characters."),
            extra=same("abcd" * 50 + "e"),
        )
    )
    rows.append(Case(route, "password", MEGABYTE, TOO_LARGE))
    rows.append(Case(route, "password", EMPTY, invalid("Enter a new password.")))
    rows += [Case(route, "confirm", v, invalid("The two passwords are not the same.")) for v in (SCRIPT, SQL_OR, NUL)]
    return rows


def filter_cases(route, name):
    return [Case(route, name, value, SHOWN) for value in (SCRIPT, SQL_OR, WORD, NEGATIVE, OVER_INT64, HUGE, EMPTY)]


CASES: list[Case] = [
    # Logging a concern (a teacher).
    *text_cases(LOG, "narrative", required=NARRATIVE_REQUIRED),
    *text_cases(LOG, "child_words", long_text=10_001, too_long=invalid("Keep this under 10,000 characters.")),
    *[Case(LOG, "category", v, NOT_A_CHOICE) for v in (OVER_INT32, OVER_INT64, ZERO, NEGATIVE)],
    Case(LOG, "category", P("retired", lambda s: str(s["retired_category_id"])), NOT_A_CHOICE),
    *[Case(LOG, "category", v, invalid("Choose a category.")) for v in (EMPTY, LEFT_OUT)],
    *[Case(LOG, "category", v, invalid("Invalid Choice: could not coerce.")) for v in (WORD, SQL_OR, DECIMAL, SCRIPT)],
    *[Case(LOG, "source", v, NOT_A_CHOICE) for v in (P("unknown", "hearsay"), SCRIPT, SQL_DROP)],
    Case(LOG, "source", LEFT_OUT, invalid("Choose how this came to your attention.")),
    *[Case(LOG, "occurred_at", v, BAD_DATE) for v in FAR_DATES],
    *[Case(LOG, "occurred_at", v, IN_FUTURE) for v in FUTURE_DATES],
    Case(LOG, "occurred_at", BEFORE_2000, invalid("Enter a date from 2000 onwards.")),
    Case(LOG, "occurred_at", LEFT_OUT, invalid("Enter when it happened.")),
    Case(LOG, "pupil_ids", OTHER_PUPIL, NO_PUPIL),
    Case(LOG, "pupil_ids", OWN_AND_OTHER_PUPIL, PUPIL_NOT_FOUND),
    Case(LOG, "pupil_ids", P("own-and-missing", lambda s: [str(s["pupil_id"]), "999999"]), PUPIL_NOT_FOUND),
    Case(LOG, "pupil_ids", P("own-and-garbage", lambda s: [str(s["pupil_id"]), "abc"]), PUPIL_NOT_FOUND),
    Case(LOG, "pupil_ids", TEN_THOUSAND_IDS, TOO_MANY_PUPILS),
    Case(LOG, "pupil_ids", LEFT_OUT, NO_PUPIL),
    *[Case(LOG, "pupil_ids", v, NO_PUPIL) for v in (*ID_VALUES, ARABIC_DIGIT)],
    Case(LOG, "told_dsl_in_person", SCRIPT, ACCEPTED),
    # Only exactly "1" skips the gentle check; anything else shows it (and saves nothing yet).
    *[Case(LOG, "checked", v, CHECK_SHOWN) for v in (LEFT_OUT, EMPTY, SCRIPT, SQL_OR, P("true", "true"))],
    Case(LOG, "narrative", P("script-unchecked", "<script>AB</script> said J.S."), CHECK_SHOWN, extra={"checked": ""}),
    *search_cases(LOG, "q", PICKER, extra={"find": "1"}),
    Case(LOG, "q", MEGABYTE, TOO_LARGE, extra={"find": "1"}),
    Case(LOG, "find", SCRIPT, PICKER),
    *[Case(LOG, "add_pupil", v, PICKER) for v in (OTHER_PUPIL, *ID_VALUES, TEN_THOUSAND_IDS)],
    # The log form's page, its pupil search and its pupil chips (htmx pieces).
    *search_cases(LOG_PAGE, "q", SHOWN),
    *[Case(LOG_PAGE, "pupil", v, SHOWN) for v in (OTHER_PUPIL, *ID_VALUES, TEN_THOUSAND_IDS)],
    *search_cases(SEARCH, "q", SHOWN),
    Case(SEARCH, "find", SCRIPT, SHOWN),
    *id_cases(CHIP, "pupil_id", MISSING, other=OTHER_PUPIL),
    Case(CHIP, "pupil_id", TRAVERSAL, MISSING),
    Case(CHIP, "add_pupil", SCRIPT, SHOWN),  # htmx sends the result button's own name and value
    # An entry and what is appended to it (the DSL, who may add every kind).
    *id_cases(ENTRY_PAGE, "entry_id", MISSING, other=OTHER_ENTRY),
    *[case for fold in FOLDS for case in id_cases(fold, "entry_id", MISSING, other=OTHER_ENTRY)],
    *id_cases(FOLLOW_UP, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(FOLLOW_UP, "text", required=invalid("Write the details.")),
    *text_cases(
        FOLLOW_UP, "reason", extra={"kind": "decision"}, required=invalid("Give the reason for this decision.")
    ),
    *text_cases(
        FOLLOW_UP,
        "agency_name",
        extra={"kind": "agency"},
        long_text=201,
        too_long=invalid("Field cannot be longer than 200 characters."),
        required=invalid("Name the agency."),
    ),
    Case(FOLLOW_UP, "agency_name", BREAKOUT, SAVED, extra={"kind": "agency"}),
    *text_cases(
        FOLLOW_UP,
        "agency_reference",
        extra={"kind": "agency", "agency_name": "Social care"},
        long_text=101,
        too_long=invalid("Field cannot be longer than 100 characters."),
    ),
    Case(FOLLOW_UP, "agency_reference", BREAKOUT, SAVED, extra={"kind": "agency", "agency_name": "Police"}),
    *[
        Case(FOLLOW_UP, "kind", v, NOT_A_CHOICE)
        for v in (P("closed", "closed"), P("reviewed", "reviewed"), P("reopened", "reopened"), SCRIPT, SQL_OR)
    ],
    Case(FOLLOW_UP, "kind", LEFT_OUT, invalid("Choose what you are adding.")),
    Case(FOLLOW_UP, "kind", P("action", "action"), NOT_A_CHOICE, who="teacher1"),  # the recorder adds notes only
    Case(FOLLOW_UP, "kind", P("note", "note"), MISSING, who="teacher2"),  # not theirs: looks missing
    Case(FOLLOW_UP, "kind", P("note", "note"), FORBIDDEN, who="governor"),
    *[
        Case(FOLLOW_UP, "risk_level", v, NOT_A_CHOICE, extra={"kind": "risk_assessment"})
        for v in (P("extreme", "extreme"), SCRIPT, SQL_OR)
    ],
    Case(FOLLOW_UP, "risk_level", EMPTY, invalid("Choose the level of risk."), extra={"kind": "risk_assessment"}),
    *[Case(FOLLOW_UP, "occurred_at", v, BAD_DATE) for v in FAR_DATES],
    *[Case(FOLLOW_UP, "occurred_at", v, IN_FUTURE) for v in FUTURE_DATES],
    Case(FOLLOW_UP, "occurred_at", BEFORE_2000, invalid("Enter a date from 2000 onwards.")),
    *id_cases(REVIEW, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(REVIEW, "note"),
    Case(REVIEW, "note", P("note", "Read."), FORBIDDEN, who="teacher1"),
    *id_cases(CLOSE, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(CLOSE, "outcome", required=invalid("Record the outcome before closing.")),
    *text_cases(CLOSE, "rationale", required=invalid("Give the reason it can be closed now.")),
    Case(CLOSE, "outcome", P("outcome", "Done."), FORBIDDEN, who="slt"),
    *id_cases(REOPEN, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    Case(
        REOPEN, "entry_id", P("open-entry", lambda s: str(s["entry_id"])), Expect((409,), "This entry is already open.")
    ),
    *text_cases(REOPEN, "reason", required=invalid("Give the reason for reopening.")),
    # The review queue and a chronology: filters that are not in the choices are ignored.
    *filter_cases(QUEUE, "category"),
    *filter_cases(QUEUE, "status"),
    *filter_cases(QUEUE, "page"),
    *filter_cases(QUEUE, "school"),
    Case(QUEUE, "school", TRAVERSAL, SHOWN),
    Case(QUEUE, "school", P("other-school", "brookfield"), SHOWN),
    *id_cases(CHRONOLOGY, "pupil_id", MISSING, other=OTHER_PUPIL),
    *filter_cases(CHRONOLOGY, "category"),
    # Pages with no parameters ignore made-up ones.
    Case(HOME, "next", P("protocol-relative", "//evil.example"), SHOWN),
    Case(ENTRY_PAGE, "next", SCRIPT, SHOWN),
    # ?link=choose lists the pupils' recent entries in the link form: anything else, the page as usual.
    *[Case(ENTRY_PAGE, "link", v, SHOWN) for v in (P("choose", "choose"), SCRIPT, SQL_OR, EMPTY)],
    # ?form= opens one folded form (the fold's link without JavaScript): anything else, none.
    *[Case(ENTRY_PAGE, "form", v, SHOWN) for v in (P("correction", "correction"), SCRIPT, SQL_OR, EMPTY, NUL)],
    # Signing in and out: next= never leads off the site. A signed-in session is written.
    *[Case(LOGIN, "?next", target, SIGNED_IN_HOME) for target in OFF_SITE],
    Case(LOGIN, "?next", P("local", "/review"), Expect((303,), location="/review", writes=True)),
    # With two-factor sign-in (the DSL), next= is carried to the code step only when it is safe.
    *[
        Case(LOGIN, "?next", P(f"{target.label}-then-code", target.value), TO_THE_CODE_STEP, extra=AS_DSL)
        for target in OFF_SITE
    ],
    Case(
        LOGIN,
        "?next",
        P("local-then-code", "/review"),
        extra=AS_DSL,
        expect=Expect((303,), location="/login/two-factor?next=/review", writes=True),
    ),
    *[Case(TWO_FACTOR, "?next", target, SIGNED_IN_HOME) for target in OFF_SITE],
    Case(TWO_FACTOR, "?next", P("local", "/review"), Expect((303,), location="/review", writes=True)),
    Case(LOGIN_PAGE, "next", SCRIPT, SHOWN),
    Case(TWO_FACTOR_PAGE, "next", SCRIPT, SHOWN),
    *[Case(LOGIN, "email", v, SIGN_IN_FAILED) for v in (SCRIPT, BREAKOUT, SQL_OR, SQL_DROP, NUL)],
    Case(
        LOGIN, "email", P("255-chars", "a" * 245 + "@x.example"), invalid("Field cannot be longer than 254 characters.")
    ),
    Case(LOGIN, "email", MEGABYTE, TOO_LARGE),
    *[Case(LOGIN, "password", v, WRONG_PASSWORD) for v in (SQL_OR, SQL_DROP, SCRIPT, ODD_UNICODE)],
    Case(LOGIN, "password", MEGABYTE, TOO_LARGE),
    *[Case(LOGOUT, "?next", target, BACK_TO_SIGN_IN) for target in OFF_SITE[:3]],
    # The code step: anything but the current code is a failure that counts towards the lock.
    *[
        Case(TWO_FACTOR, "code", v, WRONG_CODE if len(v.value) <= 20 else TOO_LONG_CODE)
        for v in (
            SCRIPT,
            IMG,
            SQL_OR,
            SQL_DROP,
            NUL,
            ODD_UNICODE,
            BLANK,
            P("arabic-indic-digits", "\u0661" * 6),
            SHORT_SCRIPT,
        )
    ],
    Case(TWO_FACTOR, "code", P("21-chars", "1" * 21), TOO_LONG_CODE),
    *[Case(TWO_FACTOR, "code", v, CODE_REQUIRED) for v in (EMPTY, LEFT_OUT)],
    Case(TWO_FACTOR, "code", MEGABYTE, TOO_LARGE),
    # Asking for a reset link, and the link.
    *[Case(FORGOT, "email", v, RESET_ASKED) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, ODD_UNICODE)],
    Case(
        FORGOT,
        "email",
        P("255-chars", "a" * 245 + "@x.example"),
        invalid("Field cannot be longer than 254 characters."),
    ),
    Case(FORGOT, "email", EMPTY, invalid("Enter your email address.")),
    Case(FORGOT, "email", MEGABYTE, TOO_LARGE),
    Case(FORGOT_PAGE, "next", SCRIPT, SHOWN),
    *[
        Case(route, "token", v, RESET_LINK_DEAD)
        for route in (RESET_PAGE, RESET)
        for v in (IMG, SQL_OR, NUL, HUGE, P("long", "x" * 5000), P("other-case", RESET_TOKEN.upper()))
    ],
    *[Case(RESET_PAGE, "token", v, MISSING) for v in (TRAVERSAL, SCRIPT)],  # a "/" in it: no such page
    *password_cases(RESET, BACK_TO_SIGN_IN),
    # The signed-in person's account.
    *[Case(ENROL, "code", v, code_refused(v)) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, BLANK, SHORT_SCRIPT)],
    Case(ENROL, "code", P("21-chars", "1" * 21), TOO_LONG_CODE),
    Case(ENROL, "code", EMPTY, CODE_REQUIRED),
    Case(ENROL, "code", MEGABYTE, TOO_LARGE),
    Case(ENROL_PAGE, "next", SCRIPT, NEW_SETUP_KEY),
    *[Case(NEW_CODES, "codes-code", v, code_refused(v)) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, SHORT_SCRIPT)],
    Case(NEW_CODES, "codes-code", MEGABYTE, TOO_LARGE),
    *[Case(TURN_OFF, "off-code", v, code_refused(v)) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, SHORT_SCRIPT)],
    Case(TURN_OFF, "off-code", MEGABYTE, TOO_LARGE),
    # Two-factor sign-in is required of a DSL: the button is refused, whatever the code.
    Case(TURN_OFF, "off-code", SCRIPT, Expect((303,), location="/account/two-factor"), who="dsl"),
    *[
        Case(CHANGE_PASSWORD, "current", v, invalid("That is not your current password."))
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL)
    ],
    Case(CHANGE_PASSWORD, "current", MEGABYTE, TOO_LARGE),
    *password_cases(CHANGE_PASSWORD, Expect((303,), location="/", writes=True)),
    Case(PASSWORD_PAGE, "next", SCRIPT, SHOWN),
    # An admin's pages: accounts of their own school only, and never their own from here.
    *[
        case
        for route in (FORCE_RESET, RESET_TWO_FACTOR, UNLOCK, FORCE_RESET_PAGE, RESET_TWO_FACTOR_PAGE)
        for case in (
            *id_cases(route, "user_id", MISSING, other=OTHER_SCHOOL_USER, values=SOME_IDS),
            Case(route, "user_id", OWN_ACCOUNT, MISSING),
            Case(route, "user_id", P("teacher1", lambda s: str(s["teacher1_id"])), FORBIDDEN, who="dsl"),
        )
    ],
    # Only the confirm page's button acts: any other "confirm" shows that page again, nothing changed.
    *[
        Case(route, "confirm", v, invalid("Nothing has changed yet"))
        for route in (FORCE_RESET, RESET_TWO_FACTOR)
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, EMPTY)
    ],
    *[Case(route, "confirm", MEGABYTE, TOO_LARGE) for route in (FORCE_RESET, RESET_TWO_FACTOR)],
    Case(USERS, "next", SCRIPT, SHOWN),
    Case(USERS, "next", SCRIPT, FORBIDDEN, who="teacher1"),
    # The audit log: text filters are data, never SQL; dates in range; other schools' pupils not found.
    *[
        Case(AUDIT_LOG, name, v, SHOWN)
        for name in ("who", "pupil")
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, LIKE_WILDCARDS, ODD_UNICODE, OTHER_PUPIL_NAME)
    ],
    *[
        Case(AUDIT_LOG, name, P("101-chars", "a" * 101), invalid("Field cannot be longer than 100 characters."))
        for name in ("who", "pupil")
    ],
    *[Case(AUDIT_LOG, "action", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("unknown", "entry.deleted"))],
    *[
        Case(AUDIT_LOG, name, v, INVALID_DATE)
        for name in ("since", "until")
        for v in (
            P("2026-02-30", "2026-02-30"),
            P("31/12/2025", "31/12/2025"),
            P("year-0", "0000-01-01"),
            P("year-99999", "99999-01-01"),
            NOT_A_DATE,
            SCRIPT,
            SQL_OR,
        )
    ],
    Case(AUDIT_LOG, "since", P("1999", "1999-12-31"), invalid("Enter a date from 2000 onwards.")),
    Case(AUDIT_LOG, "since", P("year-1", "0001-01-01"), invalid("Enter a date from 2000 onwards.")),
    *[Case(AUDIT_LOG, "until", v, SHOWN) for v in (P("year-9999", "9999-12-31"), P("year-2100", "2100-01-01"), EMPTY)],
    Case(AUDIT_LOG, "since", EMPTY, SHOWN),
    Case(AUDIT_LOG, "since", P("year-9999-alone", "9999-12-31"), SHOWN, extra={"until": ""}),
    *[
        Case(AUDIT_LOG, name, v, invalid("The end date must be on or after the start date."))
        for name, v in (
            ("until", P("before-since", "2024-08-31")),
            ("since", P("after-until", "2030-01-02")),
            ("since", P("year-9999", "9999-12-31")),
        )
    ],
    *filter_cases(AUDIT_LOG, "before"),
    Case(AUDIT_LOG, "who", SCRIPT, FORBIDDEN, who="dsl"),  # the log is the admins'
    *id_cases(VIEWERS, "pupil_id", MISSING, other=OTHER_PUPIL),
    *filter_cases(VIEWERS, "before"),
    Case(VIEWERS, "pupil_id", P("own-pupil", lambda s: str(s["pupil_id"])), MISSING, who="slt"),  # the team only
    # The recording guidance: another school's page is not found; the text an admin saves is inert.
    *[
        Case(route, "school", v, MISSING)
        for route in (GUIDANCE, GUIDANCE_HISTORY, GUIDANCE_EDIT_PAGE)
        for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NEGATIVE, OVER_INT64, HUGE, EMPTY)
    ],
    *[
        Case(route, "trust", v, MISSING)
        for route in (GUIDANCE_HISTORY, GUIDANCE_EDIT_PAGE)
        for v in (SCRIPT, SQL_OR, NEGATIVE, OVER_INT64, P("missing", "999999"))
    ],
    Case(GUIDANCE_EDIT_PAGE, "trust", P("own-trust", lambda s: str(s["trust_id"])), MISSING),  # a school's admin
    *id_cases(
        GUIDANCE_VERSION, "version_id", MISSING, other=P("other-school-version", lambda s: str(s["other_guidance_id"]))
    ),
    *text_cases(
        GUIDANCE_EDIT,
        "body",
        long_text=50_001,
        too_long=invalid("Keep the guidance under 50,000 characters."),
        required=invalid("Write the guidance."),
    ),
    Case(GUIDANCE_EDIT, "body", BREAKOUT, SAVED),
    Case(GUIDANCE_EDIT, "body", P("markdown-javascript-link", "[Read this](javascript:alert(1))"), SAVED),
    Case(GUIDANCE_EDIT, "body", P("markdown-image-onerror", '![x](x" onerror="alert(1))'), SAVED),
    *text_cases(GUIDANCE_EDIT, "note", long_text=201, too_long=invalid("Keep this under 200 characters.")),
    Case(GUIDANCE_EDIT, "preview", SCRIPT, SHOWN),
    Case(GUIDANCE_EDIT, "body", P("script-previewed", SCRIPT.value), SHOWN, extra={"preview": "1"}),
    *[Case(GUIDANCE_EDIT, "?school", v, MISSING) for v in (OTHER_SCHOOL, SCRIPT, SQL_OR)],
    Case(GUIDANCE_EDIT, "?trust", P("own-trust", lambda s: str(s["trust_id"])), MISSING),
    Case(GUIDANCE_EDIT, "body", P("text", "Write it down."), FORBIDDEN, who="dsl"),
    *text_cases(
        CATEGORIES,
        BEHAVIOUR_DESCRIPTION,
        long_text=401,
        too_long=invalid("Keep the description of Behaviour under 400 characters."),
        required=invalid("Write a short description of Behaviour."),
    ),
    Case(CATEGORIES, BEHAVIOUR_DESCRIPTION, BREAKOUT, SAVED),
    Case(CATEGORIES, BEHAVIOUR_DESCRIPTION, LEFT_OUT, invalid("Write a short description of Behaviour.")),
    Case(CATEGORIES, "description_999999", SCRIPT, Expect((303,), location="/guidance/categories", writes=True)),
    Case(CATEGORIES_PAGE, "next", SCRIPT, SHOWN),
    *[Case(route, "school", SCRIPT, SHOWN) for route in (GUIDANCE_VERSION, CATEGORIES_PAGE)],
    # The "hide screen" page: its way back stays on the site, whatever the Referer says.
    *[
        Case(HIDDEN, "header:Referer", P(label, value), Expect((200,), link="/"))
        for label, value in (
            ("other-site", "https://evil.example/log"),
            ("protocol-relative", "//evil.example/log"),
            ("double-slash-path", "http://localhost//evil.example"),
            ("backslash-path", "http://localhost/\\evil.example"),
            ("javascript", "javascript:alert(1)"),
            ("userinfo", "http://localhost@evil.example/log"),
            ("tab-path", "http://localhost/\t/evil.example"),
            ("itself", "http://localhost/hidden"),
            ("other-port", "http://localhost:8080/log"),
            ("not-a-url", "<script>alert(1)</script>"),
        )
    ],
    Case(HIDDEN, "header:Referer", LEFT_OUT, Expect((200,), link="/")),
    Case(
        HIDDEN,
        "header:Referer",
        P("own-page", "http://localhost/entries/1?tab=2"),
        Expect((200,), link="/entries/1?tab=2"),
    ),
    Case(
        HIDDEN,
        "header:Referer",
        P("own-page-script", "http://localhost/log?q=<script>alert(1)</script>"),
        Expect((200,), link="/log?q=<script>alert(1)</script>"),
    ),
    Case(HIDDEN, "header:Referer", LEFT_OUT, Expect((200,), link="/"), who=None),
    # Reports: filters must be among the choices; a year far away is not one.
    *[
        Case(route, "year", v, NOT_A_CHOICE if route == REPORTS else CSV_REFUSED)
        for route in (REPORTS, REPORT_CSV)
        for v in (
            P("1999", "1999"),
            P("9999", "9999"),
            P("next-year", "2027"),
            OVER_INT64,
            NEGATIVE,
            SCRIPT,
            SQL_OR,
            DECIMAL,
        )
    ],
    Case(REPORTS, "year", EMPTY, SHOWN),  # empty: the current year
    *[
        Case(route, name, v, NOT_A_CHOICE if route == REPORTS else CSV_REFUSED)
        for route in (REPORTS, REPORT_CSV)
        for name in ("term", "category", "school")
        for v in (SCRIPT, SQL_OR, OVER_INT64)
    ],
    Case(REPORTS, "school", P("other-school", "brookfield"), NOT_A_CHOICE),
    Case(REPORTS, "category", P("retired", lambda s: str(s["retired_category_id"])), SHOWN),
    *[Case(REPORT_CSV, "key", v, MISSING) for v in (SCRIPT, SQL_OR, P("unknown", "pupils"), EMPTY)],
    Case(REPORTS, "year", P("2025", "2025"), FORBIDDEN, who="teacher1"),
    # Full-text search: words are data, never query syntax.
    *[Case(FULL_TEXT, "q", v, SHOWN) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, ODD_UNICODE, *FTS_SYNTAX)],
    *[Case(FULL_TEXT, "q", v, SHOWN) for v in (LIKE_WILDCARDS, BLANK)],
    *[Case(FULL_TEXT, "q", v, SEARCH_REFUSED) for v in (P("only-quotes", '"""'), P("only-parens", "((("))],
    Case(FULL_TEXT, "q", P("201-chars", "a" * 201), invalid("Search for at most 200 characters.")),
    *filter_cases(FULL_TEXT, "page"),
    Case(FULL_TEXT, "q", SCRIPT, FORBIDDEN, who="teacher1"),
    # The chronology's filters and exports: a value that is not one of the choices is ignored.
    *[
        case
        for route in (CHRONOLOGY, CHRONOLOGY_CSV)
        for name in ("view", "status", "kind", "key", "from", "to")
        for case in filter_cases(route, name)
    ],
    *[
        Case(route, name, v, SHOWN)
        for route in (CHRONOLOGY, CHRONOLOGY_CSV)
        for name in ("from", "to")
        for v in (
            P("2026-02-30", "2026-02-30"),
            P("year-0", "0000-01-01"),
            P("year-99999", "99999-01-01"),
            P("year-9999", "9999-12-31"),
        )
    ],
    *filter_cases(CHRONOLOGY_CSV, "category"),
    *id_cases(CHRONOLOGY_CSV, "pupil_id", MISSING, other=OTHER_PUPIL),
    *id_cases(CHRONOLOGY_PDF, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(CHRONOLOGY_PDF, "pupil_id", P("pupil", lambda s: str(s["pupil_id"])), MISSING, who="teacher1"),
    # Key events: the safeguarding team of the entry's school; the way back stays on the chronology.
    *id_cases(KEY_EVENT, "follow_up_id", MISSING, values=SOME_IDS),
    *[
        Case(KEY_EVENT, name, v, Expect((303,), writes=True))
        for name in ("pupil", "page")
        for v in (SCRIPT, SQL_OR, NEGATIVE, OVER_INT64, EMPTY, P("other-pupil", lambda s: str(s["other_pupil_id"])))
    ],
    Case(KEY_EVENT, "pupil", P("pupil", lambda s: str(s["pupil_id"])), FORBIDDEN, who="slt"),
    # Pupils from the MIS: the school among the admin's, the file read as data, uploads by their id only.
    *[Case(IMPORT, "school", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("other-school", "brookfield"))],
    *[
        Case(IMPORT, "file", csv_file(content), Expect((303,), writes=True))
        for content in (
            PUPILS_CSV.replace(b"Quinn", b"<script>alert(1)</script>"),
            PUPILS_CSV.replace(b"Ava", b"' OR 1=1 --"),
            PUPILS_CSV.replace(b"Quinn", b'=HYPERLINK("http://evil.example")'),
        )
    ],
    *[
        Case(IMPORT, "file", csv_file(content, name), invalid(message))
        for content, name, message in (
            (b"\x89PNG\r\n\x1a\n\x00\x00", "pupils.csv", "not a CSV"),
            (b"Name,Colour\r\nAva,blue\r\n", "pupils.csv", "UPN"),
            (b"UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\n", "<script>.csv", "no pupils"),
            (b"", "empty.csv", "The file is empty"),
        )
    ],
    Case(IMPORT_PAGE, "?school", SCRIPT, SHOWN),
    Case(IMPORT, "file", LEFT_OUT, invalid("Choose the CSV file to import.")),
    Case(IMPORT, "file", SCRIPT, invalid("Choose the CSV file to import.")),  # text, not a file
    *[Case(IMPORT, "full", v, Expect((303,), writes=True)) for v in (SCRIPT, SQL_OR, EMPTY)],
    # The second confirmation of many leavers: any value ticks it; this preview needs none.
    *[Case(IMPORT_CONFIRM, "leavers", v, Expect((303,), writes=True)) for v in (SCRIPT, SQL_OR, EMPTY)],
    Case(IMPORT, "school", P("ashgrove", "ashgrove"), FORBIDDEN, who="dsl"),
    *[
        Case(route, "upload_id", v, MISSING)
        for route in (IMPORT_PREVIEW, IMPORT_CONFIRM)
        for v in (SCRIPT, SQL_OR, P("long", "a" * 40), P("dotdot", ".."), NEGATIVE)
    ],
    Case(IMPORT_PREVIEW, "upload_id", P("someone-elses", lambda s: s["upload_id"]), FORBIDDEN, who="dsl"),
    Case(RETENTION, "?years", SCRIPT, SHOWN),
    Case(RETENTION, "?years", SCRIPT, FORBIDDEN, who="slt"),
    # Retrying failed alerts: another school's entry looks missing; next= stays on the site.
    *id_cases(RETRY_ENTRY, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    Case(RETRY_ENTRY, "entry_id", P("teacher", lambda s: str(s["entry_id"])), FORBIDDEN, who="teacher1"),
    *[Case(RETRY_ALL, "next", v, Expect((303,), location="/")) for v in (*OFF_SITE, SCRIPT, SQL_OR, EMPTY)],
    Case(RETRY_ALL, "next", P("review", "/review"), FORBIDDEN, who="teacher1"),
    # The governors' review: the reports' filters, a sample size among the choices, any seed.
    *[
        Case(OVERSIGHT, name, v, NOT_A_CHOICE)
        for name in ("year", "term", "category", "school", "sample")
        for v in (SCRIPT, SQL_OR, OVER_INT64)
    ],
    Case(OVERSIGHT, "sample", P("1000", "1000"), NOT_A_CHOICE),
    Case(OVERSIGHT, "school", P("other-school", "brookfield"), NOT_A_CHOICE),
    *[Case(OVERSIGHT, "seed", v, SHOWN) for v in (SCRIPT, SQL_OR, NEGATIVE, OVER_INT64, HUGE, WORD, EMPTY)],
    *filter_cases(OVERSIGHT, "page"),
    Case(OVERSIGHT, "year", P("2025", "2025"), FORBIDDEN, who="dsl"),
    # BaseForm's hidden form_name only names the form (for a kept draft): any value, the same answer.
    *[Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, expect) for route, expect in VALID_POST.items()],
    # The one-time key of a form that creates a record (cpoms/submissions.py): only a key the
    # form was given counts; anything else is the form again with a fresh key, nothing saved.
    *[
        Case(route, "submission_key", v, invalid(KEY_REFUSED))
        for route in (
            LOG,
            FOLLOW_UP,
            ADD_CATEGORY,
            AMEND,
            LINK,
            START_MONITORING,
            REVIEW_MONITORING,
            END_MONITORING,
            EXCLUDE,
            END_EXCLUSION,
            TRANSFER_START,
            TRANSFER_RECEIPT,
            ATTACH,
            MESSAGE_RECORDER,
        )
        for v in (SCRIPT, SQL_OR, SQL_DROP, NUL, EMPTY, BLANK, P("too-long", "k" * 65))
    ],
    # Static files: no way out of static/.
    *[
        Case(STATIC, "filename", P(label, value), MISSING)
        for label, value in (
            ("dotdot", "../config.py"),
            ("encoded-dotdot", "..%2fconfig.py"),
            ("dotdot-dotdot", "css/../../config.py"),
            ("encoded-dots", "%2e%2e/instance/secret_key"),
            ("backslash", "..\\config.py"),
            ("nul", "css/app.css%00.txt"),
            ("folder", "css"),
            ("folder-slash", "css/"),
        )
    ],
    # "//" is merged to "/" by a redirect that stays on the site (and then finds nothing).
    Case(
        STATIC, "filename", P("absolute", "/etc/passwd"), Expect((308,), location="http://localhost/static/etc/passwd")
    ),
    # A static file's version (cpoms/static_files.py): any other is the file, checked each time.
    *[
        Case(STATIC, "v", v, SHOWN)
        for v in (SCRIPT, SQL_OR, NUL, EMPTY, P("twice", ["0123456789abcdef", "x"]), P("too-long", "f" * 5000))
    ],
    # Concerns that evolve: a later category, a correction, a link (the DSL unless named).
    *id_cases(ADD_CATEGORY, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *[
        Case(ADD_CATEGORY, "category", v, NOT_A_CHOICE)
        for v in (
            OVER_INT32,
            OVER_INT64,
            ZERO,
            NEGATIVE,
            WORD,
            SQL_OR,
            SCRIPT,
            DECIMAL,
            P("retired", lambda s: str(s["retired_category_id"])),
            P("recorded-as", lambda s: str(s["behaviour_id"])),
        )
    ],
    *[Case(ADD_CATEGORY, "category", v, invalid("Choose the category to add.")) for v in (EMPTY, LEFT_OUT)],
    *text_cases(ADD_CATEGORY, "reason", required=invalid("Give the reason for adding this category.")),
    *[Case(ADD_CATEGORY, "reason", P("reason", "x"), FORBIDDEN, who=who) for who in ("slt", "teacher1")],
    *id_cases(AMEND, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *[
        Case(AMEND, "target", v, NOT_A_CHOICE)
        for v in (
            SCRIPT,
            SQL_OR,
            WORD,
            NEGATIVE,
            OVER_INT64,
            P("another-entrys-follow-up", lambda s: str(s["follow_up_id"])),
        )
    ],
    *[Case(AMEND, "target", v, invalid("Choose what you are correcting.")) for v in (EMPTY, LEFT_OUT)],
    *text_cases(AMEND, "text", required=invalid("Write the correction.")),
    *text_cases(AMEND, "reason", required=invalid("Give the reason for the correction.")),
    Case(AMEND, "target", P("narrative", "narrative"), ACCEPTED, who="teacher1"),
    *[Case(AMEND, "target", P("narrative", "narrative"), FORBIDDEN, who=who) for who in ("slt", "governor")],
    Case(AMEND, "target", P("narrative", "narrative"), MISSING, who="teacher2"),
    *id_cases(LINK, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *[
        Case(LINK, "other", v, NOT_A_CHOICE)
        for v in (SCRIPT, SQL_OR, WORD, NEGATIVE, OVER_INT64, OTHER_ENTRY, P("itself", lambda s: str(s["entry_id"])))
    ],
    *[
        Case(LINK, "number", v, invalid("Type the entry number in digits"), extra={"other": ""})
        for v in (SCRIPT, SQL_OR, WORD, NEGATIVE, ZERO, DECIMAL, SUPERSCRIPT, ARABIC_DIGIT, OVER_INT32)
    ],
    Case(LINK, "number", P("13-chars", "1" * 13), invalid("Type the entry number in digits"), extra={"other": ""}),
    Case(LINK, "number", MEGABYTE, TOO_LARGE),
    *[
        Case(LINK, "number", v, invalid("no entry with that number that you can read"), extra={"other": ""})
        for v in (OTHER_ENTRY, P("missing", "999999"))
    ],
    Case(
        LINK,
        "number",
        P("itself", lambda s: str(s["entry_id"])),
        invalid("cannot be linked to itself"),
        extra={"other": ""},
    ),
    Case(LINK, "number", P("a-different-one", lambda s: str(s["entry_id"])), invalid("not both")),
    Case(LINK, "other", EMPTY, invalid("Choose the entry to link, or type its number.")),
    *text_cases(LINK, "reason", required=invalid("Give the reason for linking these entries.")),
    *[Case(LINK, "reason", P("reason", "x"), FORBIDDEN, who=who) for who in ("slt", "teacher1")],
    # Pupils' roles and staff alerted on the log form: a role from the list, colleagues of
    # the entry's school, siblings only of a pupil on the form.
    *[Case(LOG, ROLE, v, BAD_ROLE) for v in (SCRIPT, SQL_OR, NUL, P("unknown", "victim"), P("label", "Witness"))],
    Case(LOG, ROLE, MEGABYTE, TOO_LARGE),
    *[Case(LOG, ROLE, v, ACCEPTED) for v in (EMPTY, LEFT_OUT, P("alleged-victim", "alleged_victim"))],
    Case(LOG, "role_{other_pupil_id}", SCRIPT, ACCEPTED),  # not a pupil of the entry: ignored
    *[
        Case(LOG, "alert_staff", v, STAFF_NOT_FOUND)
        for v in (
            OTHER_SCHOOL_USER,
            *ID_VALUES,
            ARABIC_DIGIT,
            P("governor", lambda s: str(s["world"]["governor"].id)),
            P("admin", lambda s: str(s["admin_id"])),
            P("self", lambda s: str(s["teacher1_id"])),
            P("dsl-and-other-school", lambda s: [str(s["world"]["dsl"].id), str(s["other_teacher_id"])]),
        )
    ],
    Case(LOG, "alert_staff", TEN_THOUSAND_IDS, invalid("Alert 30 people at most.")),
    Case(LOG, "alert_staff", P("dsl", lambda s: str(s["world"]["dsl"].id)), ALERTED),
    Case(LOG, "alert_staff", EMPTY, STAFF_NOT_FOUND),
    *[Case(LOG, "add_siblings", v, PICKER) for v in (OTHER_PUPIL, *ID_VALUES, TEN_THOUSAND_IDS, SCRIPT)],
]


# --- tasks, information sharing and monitoring (issue 4, items 5, 6 and 10) ---------------

SHARING = {
    "kind": "information_sharing",
    "shared_with": "Social care",
    "shared_what": "The disclosure.",
    "share_purpose": "Strategy discussion.",
    "share_basis": "Public task.",
    "consent_sought": "no",
    "consent_note": "Risk to the child.",
}
TASK = {"kind": "task", "due_on": uk_day(3)}
NOT_STAFF_HERE = invalid("Choose a member of staff of this school from the list.")
BAD_DAY = invalid("Not a valid date value.")
DAY_VALUES = (
    P("2026-02-30", "2026-02-30"),
    P("31/12/2025", "31/12/2025"),
    P("year-0", "0000-01-01"),
    P("year-99999", "99999-01-01"),
    NOT_A_DATE,
    SCRIPT,
    SQL_OR,
)
PAST_DAY = P("yesterday-date", lambda s: uk_day(-1))
FAR_DAY = P("year-9999-date", "9999-12-31")
MONITORING_PAGES = {
    START_MONITORING: "pupil_id",
    REVIEW_MONITORING: "monitored_pupil_id",
    END_MONITORING: "monitored_pupil_id",
}


def sharing_text_cases(name, message, long_text=20_001, too_long=TOO_LONG):
    return text_cases(FOLLOW_UP, name, extra=SHARING, long_text=long_text, too_long=too_long, required=invalid(message))


CASES += [
    # Information shared: each piece required for that kind, its text saved as typed and shown inert.
    *sharing_text_cases(
        "shared_with",
        "Say who the information was shared with.",
        long_text=201,
        too_long=invalid("Field cannot be longer than 200 characters."),
    ),
    *sharing_text_cases("shared_what", "Say what was shared."),
    *sharing_text_cases("share_purpose", "Say why it was shared."),
    *sharing_text_cases("share_basis", "Give the lawful basis or reason for sharing."),
    *sharing_text_cases("consent_note", "Say why consent was not sought."),
    *[Case(FOLLOW_UP, "consent_sought", v, NOT_A_CHOICE, extra=SHARING) for v in (SCRIPT, SQL_OR, P("maybe", "maybe"))],
    Case(FOLLOW_UP, "consent_sought", LEFT_OUT, invalid("Say whether consent was sought."), extra=SHARING),
    Case(FOLLOW_UP, "kind", P("information_sharing", "information_sharing"), NOT_A_CHOICE, who="slt", extra=SHARING),
    # A task: for a member of this school's staff, due within the year.
    *[
        Case(FOLLOW_UP, "assignee", v, NOT_STAFF_HERE, extra=TASK)
        for v in (
            SCRIPT,
            SQL_OR,
            OTHER_SCHOOL_USER,
            NEGATIVE,
            OVER_INT64,
            ZERO,
            WORD,
            SUPERSCRIPT,
            P("admin", lambda s: str(s["admin_id"])),
        )
    ],
    Case(FOLLOW_UP, "assignee", EMPTY, invalid("Choose who the task is for."), extra=TASK),
    Case(
        FOLLOW_UP,
        "assignee",
        P("teacher2", lambda s: str(s["teacher2_id"])),
        Expect((303,), writes=ENTRY_WRITES | {"tasks"}),
        extra=TASK,
    ),
    *[Case(FOLLOW_UP, "due_on", v, BAD_DAY, extra={"kind": "task"}) for v in DAY_VALUES],
    Case(FOLLOW_UP, "due_on", EMPTY, invalid("Enter the date the task is due by."), extra={"kind": "task"}),
    Case(FOLLOW_UP, "due_on", PAST_DAY, invalid("The due date cannot be in the past."), extra={"kind": "task"}),
    Case(FOLLOW_UP, "due_on", FAR_DAY, invalid("Choose a due date within the next year."), extra={"kind": "task"}),
    # Completing a task: its id only; next= never leaves the site (home instead).
    *id_cases(COMPLETE_TASK, "task_id", MISSING, values=SOME_IDS),
    *[
        Case(COMPLETE_TASK, "next", v, Expect((303,), location="/", writes=True))
        for v in (*OFF_SITE, SCRIPT, SQL_OR, EMPTY)
    ],
    Case(
        COMPLETE_TASK,
        "next",
        P("entry", "/entries/1#activity"),
        Expect((303,), location="/entries/1#activity", writes=True),
    ),
    Case(COMPLETE_TASK, "task_id", P("task", lambda s: str(s["task_id"])), MISSING, who="teacher1"),
    Case(COMPLETE_TASK, "task_id", P("task", lambda s: str(s["task_id"])), FORBIDDEN, who="governor"),
    # Monitoring: the safeguarding team's, for pupils of their school.
    *[
        case
        for route in (MONITORING_PAGE, START_MONITORING, REVIEW_MONITORING, END_MONITORING)
        for case in (
            *id_cases(route, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
            Case(route, "pupil_id", P("own-pupil", lambda s: str(s["monitored_pupil_id"])), MISSING, who="slt"),
        )
    ],
    Case(MONITORING_PAGE, "next", SCRIPT, SHOWN),
    *text_cases(START_MONITORING, "reason", required=invalid("Give the reason for monitoring.")),
    *[Case(START_MONITORING, name, v, BAD_DAY) for name in ("starts_on", "review_on") for v in DAY_VALUES],
    Case(START_MONITORING, "starts_on", EMPTY, invalid("Enter the date monitoring starts.")),
    Case(
        START_MONITORING,
        "starts_on",
        P("tomorrow-date", lambda s: uk_day(1)),
        invalid("The start date cannot be in the future."),
    ),
    Case(START_MONITORING, "starts_on", P("1999-date", "1999-12-31"), invalid("Enter a date from 2000 onwards.")),
    Case(START_MONITORING, "review_on", EMPTY, invalid("Enter the date of the first review.")),
    Case(START_MONITORING, "review_on", PAST_DAY, invalid("The review date cannot be in the past.")),
    Case(START_MONITORING, "review_on", FAR_DAY, invalid("Choose a review date within the next year.")),
    Case(
        START_MONITORING,
        "pupil_id",
        P("monitored", lambda s: str(s["monitored_pupil_id"])),
        Expect((409,), "already on the monitoring list"),
    ),
    *text_cases(REVIEW_MONITORING, "note", required=invalid("Write what the review found.")),
    *[Case(REVIEW_MONITORING, "review_on", v, BAD_DAY) for v in DAY_VALUES],
    Case(REVIEW_MONITORING, "review_on", EMPTY, invalid("Enter the date of the next review.")),
    Case(REVIEW_MONITORING, "review_on", PAST_DAY, invalid("The review date must be after today.")),
    Case(REVIEW_MONITORING, "review_on", FAR_DAY, invalid("Choose a review date within the next year.")),
    *text_cases(END_MONITORING, "reason", required=invalid("Give the reason for ending monitoring.")),
    *[
        Case(
            route,
            "pupil_id",
            P("not-monitored", lambda s: str(s["pupil_id"])),
            Expect((409,), "not on the monitoring list"),
        )
        for route in (REVIEW_MONITORING, END_MONITORING)
    ],
    # --- who may not read a pupil's record: the pupil's safeguarding team's ---
    *[
        case
        for route in (EXCLUSIONS_PAGE, EXCLUDE, END_EXCLUSION)
        for case in (
            *id_cases(route, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
            Case(route, "pupil_id", P("own-pupil", lambda s: str(s["pupil_id"])), MISSING, who="slt"),
        )
    ],
    *id_cases(END_EXCLUSION, "exclusion_id", MISSING, values=SOME_IDS),
    # An exclusion of another pupil's record, through this pupil's address.
    Case(END_EXCLUSION, "pupil_id", P("another-pupil", lambda s: str(s["monitored_pupil_id"])), MISSING),
    *text_cases(EXCLUDE, "reason", required=invalid("Give the reason for the exclusion.")),
    *text_cases(END_EXCLUSION, "reason", required=invalid("Give the reason for ending the exclusion.")),
    Case(EXCLUDE, "person", EMPTY, invalid("Choose who may not read this record.")),
    *[
        Case(EXCLUDE, "person", value, invalid("Choose a member of staff of this school from the list."))
        for value in (*SOME_IDS, SCRIPT, P("other-school", lambda s: str(s["other_teacher_id"])))
    ],
    Case(EXCLUDE, "person", P("themselves", lambda s: str(s["dsl_id"])), invalid("You cannot exclude yourself")),
    Case(
        EXCLUDE,
        "person",
        P("last-other-of-the-team", lambda s: str(s["deputy_id"])),
        invalid("You cannot exclude the last other member of the safeguarding team"),
    ),
    # --- child-protection file transfers and subject access (cpoms/transfers/) ---
    *[Case(TRANSFERS, "page", v, SHOWN) for v in (SCRIPT, SQL_OR)],  # nothing read: ignored
    Case(TRANSFERS, "page", WORD, FORBIDDEN, who="slt"),
    *id_cases(TRANSFER_START_PAGE, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(TRANSFER_START_PAGE, "pupil_id", P("pupil", lambda s: str(s["pupil_id"])), FORBIDDEN, who="slt"),
    *id_cases(TRANSFER_START, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(TRANSFER_START, "pupil_id", P("pupil", lambda s: str(s["pupil_id"])), FORBIDDEN, who="governor"),
    *[
        Case(TRANSFER_START, "destination", v, NOT_A_CHOICE)
        for v in (SCRIPT, SQL_OR, OVER_INT64, NEGATIVE, P("own-school", lambda s: str(s["school_id"])))
    ],
    *[
        Case(TRANSFER_START, "destination", v, invalid("Choose the school the pupil is going to."))
        for v in (EMPTY, LEFT_OUT)
    ],
    *text_cases(
        TRANSFER_START,
        "destination_name",
        extra=OUTSIDE,
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Enter the name of the school the pupil is going to."),
    ),
    *text_cases(
        TRANSFER_START,
        "contact_name",
        extra=OUTSIDE,
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Enter who at that school receives the file."),
    ),
    *[
        Case(TRANSFER_START, "contact_email", v, invalid("Enter an email address like"), extra=OUTSIDE)
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, P("no-domain", "patel@"))
    ],
    Case(
        TRANSFER_START,
        "contact_email",
        P("255-chars", "a" * 243 + "@example.org"),
        invalid("Field cannot be longer than 254 characters."),
        extra=OUTSIDE,
    ),
    Case(TRANSFER_START, "contact_email", EMPTY, invalid("Enter the contact's email address."), extra=OUTSIDE),
    Case(TRANSFER_START, "contact_email", P("script-for-a-trust-school", SCRIPT.value), ACCEPTED),  # ignored there
    *[Case(TRANSFER_START, "method", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("unknown", "pigeon"))],
    *[Case(TRANSFER_START, "method", v, invalid("Choose how the file is sent.")) for v in (EMPTY, LEFT_OUT)],
    *[Case(TRANSFER_START, "sent_on", v, INVALID_DATE) for v in DAY_VALUES],
    Case(TRANSFER_START, "sent_on", P("1999", "1999-12-31"), invalid("Enter a date from 2000 onwards.")),
    Case(
        TRANSFER_START, "sent_on", P("tomorrow", lambda s: date_today(days=1)), invalid("This cannot be in the future.")
    ),
    Case(TRANSFER_START, "sent_on", EMPTY, Expect((303,), writes=frozenset({"transfers", "transfer_events"}))),
    *id_cases(TRANSFER_PAGE, "transfer_id", MISSING, values=SOME_IDS),
    Case(TRANSFER_PAGE, "transfer_id", P("outside", lambda s: str(s["outside_transfer_id"])), MISSING),
    *id_cases(TRANSFER_SENT, "transfer_id", MISSING, values=SOME_IDS),
    *[Case(TRANSFER_SENT, "sent_on", v, INVALID_DATE) for v in DAY_VALUES],
    Case(TRANSFER_SENT, "sent_on", EMPTY, invalid("Enter the date the file was sent.")),
    Case(
        TRANSFER_SENT, "sent_on", P("tomorrow", lambda s: date_today(days=1)), invalid("This cannot be in the future.")
    ),
    Case(
        TRANSFER_SENT,
        "transfer_id",
        P("already-sent", lambda s: str(s["outside_transfer_id"])),
        Expect((409,), "nothing was changed"),
    ),
    *id_cases(TRANSFER_ACCEPT, "transfer_id", MISSING, values=SOME_IDS),
    Case(TRANSFER_ACCEPT, "transfer_id", P("outside", lambda s: str(s["outside_transfer_id"])), MISSING),
    Case(TRANSFER_ACCEPT, "transfer_id", P("own", lambda s: str(s["trust_transfer_id"])), FORBIDDEN, who="dsl"),
    *id_cases(TRANSFER_DECLINE, "transfer_id", MISSING, values=SOME_IDS),
    *text_cases(
        TRANSFER_DECLINE,
        "reason",
        long_text=2001,
        too_long=invalid("Keep this under 2,000 characters."),
        required=invalid("Say why you are declining the file."),
    ),
    Case(TRANSFER_DECLINE, "reason", SCRIPT, FORBIDDEN, who="deputy"),
    *id_cases(TRANSFER_RECEIPT, "transfer_id", MISSING, values=SOME_IDS),
    Case(TRANSFER_RECEIPT, "transfer_id", P("trust", lambda s: str(s["trust_transfer_id"])), FORBIDDEN),
    *text_cases(
        TRANSFER_RECEIPT,
        "confirmed_by",
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Enter who at the receiving school confirmed receipt."),
    ),
    *text_cases(TRANSFER_RECEIPT, "note", long_text=2001, too_long=invalid("Keep this under 2,000 characters.")),
    *[Case(TRANSFER_RECEIPT, "on_date", v, INVALID_DATE) for v in DAY_VALUES],
    Case(TRANSFER_RECEIPT, "on_date", EMPTY, invalid("Enter the date receipt was confirmed.")),
    *id_cases(TRANSFER_PACK, "transfer_id", MISSING, values=SOME_IDS),
    Case(TRANSFER_PACK, "transfer_id", P("trust", lambda s: str(s["trust_transfer_id"])), FORBIDDEN),
    Case(TRANSFER_PACK, "transfer_id", P("outside", lambda s: str(s["outside_transfer_id"])), MISSING, who="other_dsl"),
    *id_cases(SUBJECT_ACCESS, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(SUBJECT_ACCESS, "pupil_id", P("pupil", lambda s: str(s["pupil_id"])), FORBIDDEN, who="slt"),
    # --- drafts saved as people type (tablet): any text is the owner's draft, kept as JSON and
    # never shown but in their own form; the request's size limit still holds.
    *[
        Case(DRAFT, name, v, Expect((200,), "Draft saved", writes=True))
        for name in ("narrative", "child_words", "text")
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, ODD_UNICODE)
    ],
    Case(DRAFT, "narrative", MEGABYTE, TOO_LARGE),
    Case(DRAFT, "narrative", EMPTY, SHOWN),  # nothing typed: nothing kept
    *[
        Case(DRAFT, "header:HX-Current-URL", v, Expect((200,), "Draft saved", writes=True))
        for v in (SCRIPT, P("off-site", "https://evil.example/log"), TRAVERSAL)
    ],
    # --- what I logged, and the team's message to an entry's recorder (cpoms/hearback/) ---
    *filter_cases(LOGGED, "page"),
    Case(LOGGED, "next", SCRIPT, SHOWN),
    *id_cases(MESSAGE_RECORDER, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(
        MESSAGE_RECORDER,
        "text",
        long_text=501,
        too_long=invalid("Keep the message to 500 characters."),
        required=invalid("Write the message."),
    ),
    Case(MESSAGE_RECORDER, "text", BREAKOUT, SAVED),
    # Not to oneself (teacher1 recorded it), and only the safeguarding team; teacher2 cannot read it.
    *[Case(MESSAGE_RECORDER, "text", P("message", "Thanks."), FORBIDDEN, who=who) for who in ("teacher1", "slt")],
    Case(MESSAGE_RECORDER, "text", P("message", "Thanks."), MISSING, who="teacher2"),
    # --- the local mailbox: a letter's name is the name deliver() gave it, nothing else; and
    # nothing for a request that came through a proxy (only this computer's own requests).
    Case(MAILBOX, "next", SCRIPT, SHOWN),
    *[Case(route, "header:X-Forwarded-For", P("proxied", "203.0.113.9"), MISSING) for route in (MAILBOX, LETTER)],
    *[
        Case(LETTER, "name", v, MISSING)
        for v in (
            TRAVERSAL,
            SCRIPT,
            IMG,
            SQL_OR,
            NUL,
            HUGE,
            WORD,
            P("dot-dot", ".."),
            P("encoded-traversal", "..%2F..%2Fetc%2Fpasswd"),
            P("with-suffix", lambda s: s["letter_name"] + ".eml"),
            P("lower-case", lambda s: s["letter_name"].lower()),
            P("not-there", "20260101T000000000000-0000abcd"),
        )
    ],
]

# --- attachments and the body map (issue 4, items 7 and 8) ---
MARKED = {"mark_area": "front-face", "mark_note": "Graze on the cheek"}  # one complete mark
NOT_PLACED = invalid("Mark 1: its place on the picture was not understood")
FOLDER_NAMES = [
    upload(png(), name)
    for name in ("../../etc/passwd.png", "C:/Windows/boot.ini.png", "/var/lib/cpoms/attachments/x.png", "x.png\x00.pdf")
]
HOSTILE_FILES = [upload(content, name) for content, name, _ in BAD_FILES.values()]


def file_cases(route, name, extra=None) -> list[Case]:
    """Bad files by content, names with folders, a file over the size limit and a body over
    the upload limit: each a clear 4xx, and nothing written (no row, no file left on disk)."""
    rows = [
        Case(route, name, v, Expect((422,), f"“{v.label.split('-', 1)[1].rsplit('-', 1)[0]}”"), extra=extra)
        for v in HOSTILE_FILES
    ]
    rows += [Case(route, name, v, invalid("its name contains a folder path"), extra=extra) for v in FOLDER_NAMES]
    rows.append(
        Case(
            route,
            name,
            upload(b"%PDF-1.4\n" + b"0" * (300 * 1024) + b"\n%%EOF\n", "big.pdf"),
            invalid("“big.pdf” is larger than 256 KB, the most a file may be."),
            extra=extra,
        )
    )
    rows.append(Case(route, name, upload(b"0" * (3 * 1024 * 1024), "huge.pdf"), TOO_LARGE, extra=extra))
    return rows


CASES += [
    # Files on the log form, on a follow-up, and added later to an entry.
    *file_cases(LOG, "attachments"),
    Case(LOG, "attachments", upload(png(), "bruise.png"), ACCEPTED),
    Case(LOG, "attachments", SCRIPT, ACCEPTED),  # text where a file goes: no file, the entry is saved
    *file_cases(FOLLOW_UP, "attachments"),
    Case(FOLLOW_UP, "attachments", upload(pdf(), "referral.pdf"), ACCEPTED),
    *file_cases(ATTACH, "attachments"),
    *[Case(ATTACH, "attachments", v, invalid("Choose a file to attach.")) for v in (LEFT_OUT, SCRIPT, EMPTY)],
    Case(ATTACH, "attachments", upload(png(), "arm.png"), FORBIDDEN, who="governor"),
    Case(ATTACH, "attachments", upload(png(), "arm.png"), MISSING, who="teacher2"),
    *id_cases(ATTACH, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    # Files waiting on the log form: only their own user's signed tokens.
    *[
        Case(LOG, "staged_attachment", v, invalid("A file chosen earlier could not be kept."))
        for v in (
            SCRIPT,
            SQL_OR,
            TRAVERSAL,
            EMPTY,
            P("teacher2s-token", lambda s: s["teacher2_staged_token"]),
            P("tampered-token", lambda s: s["teacher2_staged_token"][:-3] + "abc"),
        )
    ],
    Case(LOG, "staged_attachment", P("own-token", lambda s: s["teacher2_staged_token"]), ACCEPTED, who="teacher2"),
    # Downloads and previews: another school's attachment looks missing, as does a PDF's preview.
    *id_cases(
        DOWNLOAD, "attachment_id", MISSING, other=P("other-school-attachment", lambda s: str(s["other_attachment_id"]))
    ),
    *id_cases(
        PREVIEW,
        "attachment_id",
        MISSING,
        other=P("other-school-attachment", lambda s: str(s["other_attachment_id"])),
        values=SOME_IDS,
    ),
    Case(PREVIEW, "attachment_id", P("a-pdf", lambda s: str(s["pdf_attachment_id"])), MISSING),
    Case(DOWNLOAD, "attachment_id", P("own", lambda s: str(s["attachment_id"])), MISSING, who="teacher2"),
    # Body-map marks on the log form.
    *[
        Case(LOG, "mark_note", v, SAVED, extra={"mark_area": "front-face"})
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, BREAKOUT)
    ],
    Case(
        LOG,
        "mark_note",
        P("301-chars", "x" * 301),
        invalid("Mark 1: keep the description under 300 characters."),
        extra={"mark_area": "front-face"},
    ),
    *[
        Case(LOG, "mark_note", v, invalid("Mark 1: describe what you saw"), extra={"mark_area": "back-buttocks"})
        for v in (BLANK, ONLY_NUL)
    ],
    Case(LOG, "mark_note", MEGABYTE, TOO_LARGE, extra={"mark_area": "front-face"}),
    *[
        Case(LOG, "mark_area", v, invalid("Mark 1: choose where on the body it is."), extra={"mark_note": "Bruise"})
        for v in (SCRIPT, SQL_OR, TRAVERSAL, NUL, P("front", "front"), ODD_UNICODE)
    ],
    Case(
        LOG,
        "mark_area",
        P("10000-areas", ["front-face"] * 10_000),
        invalid("A body map can have 30 marks at most."),
        extra={"mark_note": "Bruise"},
    ),
    *[
        Case(LOG, axis, v, NOT_PLACED, extra={**MARKED, other: "0.5"})
        for axis, other in (("mark_x", "mark_y"), ("mark_y", "mark_x"))
        for v in (P("nan", "nan"), P("infinity", "inf"), P("minus", "-0.5"), P("two", "2"), WORD, SQL_OR, SCRIPT, HUGE)
    ],
    *[
        Case(LOG, axis, P("half", "0.5"), NOT_PLACED, extra=MARKED) for axis in ("mark_x", "mark_y")
    ],  # the other left out
]


# --- administration: accounts, roles, categories, schools, staff import, retention deletion ---

NEW_USER_PAGE, NEW_USER = ("admin.new_user", "GET"), ("admin.new_user", "POST")
USER_PAGE, ADD_ROLE, REMOVE_ROLE = ("admin.user", "GET"), ("admin.add_role", "POST"), ("admin.remove_role", "POST")
DEACTIVATE, REACTIVATE = ("admin.deactivate", "POST"), ("admin.reactivate", "POST")
ADMIN_CATEGORIES, ADD_CATEGORY = ("admin.categories", "GET"), ("admin.categories", "POST")
CHANGE_CATEGORY, MOVE_CATEGORY = ("admin.change_category", "POST"), ("admin.move_category", "POST")
SCHOOLS, ADD_SCHOOL, CHANGE_SCHOOL = (
    ("admin.schools", "GET"),
    ("admin.schools", "POST"),
    ("admin.change_school", "POST"),
)
STAFF_IMPORT_PAGE, STAFF_IMPORT = ("mis.staff_upload", "GET"), ("mis.staff_upload", "POST")
PROPOSE = ("mis.propose_deletion", "POST")
DELETIONS, CONFIRM_DELETION, WITHDRAW_DELETION = (
    ("deletion.pending", "GET"),
    ("deletion.confirm", "POST"),
    ("deletion.withdraw", "POST"),
)
ACCEPT_DATE_OF_BIRTH = ("deletion.accept_date_of_birth", "POST")

STAFF_CSV = b"Name,Email,Role\r\nPriya Shah,priya@ashgrove.example.org,Teacher\r\n"
TEACHER3 = {"user_id": "teacher3_id"}
CATEGORY_NAME, CATEGORY_ALERTS, CATEGORY_ACTIVE = (
    "c{behaviour_id}-name",
    "c{behaviour_id}-alerts",
    "c{behaviour_id}-active",
)
CATEGORY_REASON = "c{behaviour_id}-reason"
SCHOOL_NAME, SCHOOL_SLUG = "s{school_id}-name", "s{school_id}-slug"
REASON = "p{due_pupil_id}-reason"
ROLE_AT_OTHER_SCHOOL = P("other-school-role", lambda s: f"staff@school:{s['other_school_id']}")
TRUST_ROLE = P("trust-role", lambda s: f"trust_rep@trust:{s['trust_id']}")
ADMIN_WRITES = frozenset({"users", "user_sessions"})

ROUTES.update(
    {
        NEW_USER_PAGE: Route(who="admin"),
        NEW_USER: Route(
            who="admin",
            data=lambda s: {
                "name": "Priya Shah",
                "email": "priya@ashgrove.example.org",
                "grant": f"staff@school:{s['school_id']}",
            },
            writes=frozenset({"users", "role_assignments", "password_reset_tokens", "alerts"}),
        ),
        USER_PAGE: Route(who="admin", ids=TEACHER3),
        ADD_ROLE: Route(
            who="admin",
            ids=TEACHER3,
            data=lambda s: {"grant": f"slt@school:{s['school_id']}"},
            writes=frozenset({"role_assignments"}),
        ),
        REMOVE_ROLE: Route(
            who="admin",
            ids={"user_id": "teacher4_id", "role_id": "teacher4_extra_role_id"},
            writes=frozenset({"role_assignments"}),
        ),
        DEACTIVATE: Route(who="admin", ids=TEACHER3, writes=ADMIN_WRITES),
        REACTIVATE: Route(who="admin", ids={"user_id": "teacher4_id"}, writes=ADMIN_WRITES),
        # The categories are the trust's: its admins change them.
        ADMIN_CATEGORIES: Route(who="trust_admin"),
        ADD_CATEGORY: Route(
            who="trust_admin",
            data=lambda s: {"name": "Online safety", "description": "Anything online.", "alerts": "y"},
            writes=frozenset({"categories"}),
        ),
        CHANGE_CATEGORY: Route(
            who="trust_admin",
            ids={"category_id": "behaviour_id"},
            data=lambda s: {
                CATEGORY_NAME.format(**s): "Conduct",
                CATEGORY_ACTIVE.format(**s): "y",
                CATEGORY_REASON.format(**s): "Reviewed with the DSLs.",
            },
            # Any value in the alerts box ticks it: the category's entries then alert the team.
            writes=frozenset({"categories", "category_renames", "entry_states"}),
        ),
        MOVE_CATEGORY: Route(
            who="trust_admin",
            ids={"category_id": "behaviour_id"},
            data=lambda s: {"direction": "down"},
            writes=frozenset({"categories"}),
        ),
        SCHOOLS: Route(who="trust_admin"),
        ADD_SCHOOL: Route(
            who="trust_admin",
            data=lambda s: {"name": "Cedar Primary School", "slug": "cedar"},
            writes=frozenset({"schools"}),
        ),
        CHANGE_SCHOOL: Route(
            who="trust_admin",
            ids={"school_id": "school_id"},
            data=lambda s: {SCHOOL_NAME.format(**s): "Ashgrove Academy", SCHOOL_SLUG.format(**s): "ashgrove-academy"},
            writes=frozenset({"schools"}),
        ),
        STAFF_IMPORT_PAGE: Route(who="admin"),
        STAFF_IMPORT: Route(
            who="admin",
            data=lambda s: {"school": "ashgrove", "file": (io.BytesIO(STAFF_CSV), "staff.csv")},
            writes=frozenset({"pupil_imports"}),
        ),
        PROPOSE: Route(
            who="admin",
            ids={"pupil_id": "due_pupil_id"},
            data=lambda s: {REASON.format(**s): "Retention period ended; reviewed."},
            writes=frozenset({"retention_deletions"}),
        ),
        DELETIONS: Route(who="dsl"),
        # The deletion removes every row about the pupil (cpoms/mis/deletion.py): whichever the sample holds.
        CONFIRM_DELETION: Route(
            who="dsl",
            ids={"proposal_id": "proposal_id"},
            writes=frozenset(
                {
                    "pupils",
                    "retention_deletions",
                    "entry_pupils",
                    "entry_states",
                    "alerts",
                    "monitoring_states",
                    "transfers",
                    "drafts",
                    *append_only.RETENTION_GRANTED,
                }
            ),
        ),
        WITHDRAW_DELETION: Route(
            who="dsl", ids={"proposal_id": "proposal_id"}, writes=frozenset({"retention_deletions"})
        ),
        ACCEPT_DATE_OF_BIRTH: Route(who="dsl", ids={"pupil_id": "flagged_pupil_id"}, writes=frozenset({"pupils"})),
    }
)

ADMIN_VALID_POST = {
    NEW_USER: Expect((303,), writes=True),
    ADD_ROLE: Expect((303,), writes=True),
    REMOVE_ROLE: Expect((303,), writes=True),
    DEACTIVATE: Expect((303,), writes=True),
    REACTIVATE: Expect((303,), writes=True),
    ADD_CATEGORY: Expect((303,), location="/admin/categories", writes=True),
    CHANGE_CATEGORY: Expect((303,), location="/admin/categories", writes=True),
    MOVE_CATEGORY: Expect((303,), writes=True),
    ADD_SCHOOL: Expect((303,), location="/admin/schools", writes=True),
    CHANGE_SCHOOL: Expect((303,), location="/admin/schools", writes=True),
    STAFF_IMPORT: Expect((303,), writes=True),
    PROPOSE: Expect((303,), writes=True),
    CONFIRM_DELETION: Expect((303,), location="/retention-deletions", writes=True),
    WITHDRAW_DELETION: Expect((303,), location="/retention-deletions", writes=True),
    ACCEPT_DATE_OF_BIRTH: Expect((303,), location="/retention-deletions", writes=True),
}
VALID_POST.update(ADMIN_VALID_POST)
PREFIXED.update({CHANGE_CATEGORY: "c{behaviour_id}-", CHANGE_SCHOOL: "s{school_id}-", PROPOSE: "p{due_pupil_id}-"})
ADMIN_SHOWN_ON = {
    (NEW_USER, "name"): (("admin", "/admin/users"),),
    (ADD_CATEGORY, "name"): (("teacher1", "/log"), ("trust_admin", "/admin/categories")),
    (ADD_CATEGORY, "description"): (("teacher1", "/log"),),
    (CHANGE_CATEGORY, CATEGORY_NAME): (("teacher1", "/log"), ("trust_admin", "/admin/categories")),
    (ADD_SCHOOL, "name"): (("trust_admin", "/admin/schools"),),
    (CHANGE_SCHOOL, SCHOOL_NAME): (("trust_admin", "/admin/schools"),),
    (PROPOSE, REASON): (("dsl", "/retention-deletions"),),
}


def longer_than(n: int) -> Expect:
    return invalid(f"Field cannot be longer than {n} characters.")


NOT_A_SLUG = invalid("Use lower-case letters, digits and single hyphens")
ONE_ID_ROUTES = (USER_PAGE, ADD_ROLE, DEACTIVATE, REACTIVATE)  # reactivating teacher4, the others teacher3

CASES += [
    # Accounts: another school's people and the admin's own account look missing; roles only
    # among the admin's choices.
    *[
        case
        for route in ONE_ID_ROUTES
        for case in (
            *id_cases(route, "user_id", MISSING, other=OTHER_SCHOOL_USER, values=SOME_IDS),
            Case(route, "user_id", OWN_ACCOUNT, MISSING),
        )
    ],
    Case(USER_PAGE, "user_id", P("teacher3", lambda s: str(s["teacher3_id"])), FORBIDDEN, who="dsl"),
    Case(NEW_USER_PAGE, "next", SCRIPT, SHOWN),
    Case(NEW_USER_PAGE, "next", SCRIPT, FORBIDDEN, who="teacher1"),
    *text_cases(
        NEW_USER, "name", too_long=longer_than(200), long_text=201, required=invalid("Enter the person's name.")
    ),
    *[
        Case(NEW_USER, "email", v, invalid("Enter an email address like name@school.org.uk."))
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, ODD_UNICODE)
    ],
    Case(NEW_USER, "email", EMPTY, invalid("Enter their work email address.")),
    Case(NEW_USER, "email", MEGABYTE, TOO_LARGE),
    Case(NEW_USER, "email", P("taken", "TEACHER1@ashgrove.example.org"), invalid("already an account")),
    *[
        Case(route, "grant", v, NOT_A_CHOICE)
        for route in (NEW_USER, ADD_ROLE)
        for v in (SCRIPT, SQL_OR, ROLE_AT_OTHER_SCHOOL, TRUST_ROLE, P("unknown-role", "owner@school:1"))
    ],
    Case(NEW_USER, "grant", EMPTY, invalid("Choose the role they have, and where.")),
    Case(ADD_ROLE, "grant", EMPTY, invalid("Choose the role to give, and where.")),
    Case(NEW_USER, "name", P("name", "Priya"), FORBIDDEN, who="dsl"),
    *id_cases(REMOVE_ROLE, "user_id", MISSING, values=SOME_IDS),
    *id_cases(
        REMOVE_ROLE,
        "role_id",
        MISSING,
        values=SOME_IDS,
        other=P("another-persons-role", lambda s: str(s["teacher4_extra_role_id"] - 2)),
    ),
    # Categories: the name is text shown to every member of staff; the flags are tick boxes.
    Case(ADMIN_CATEGORIES, "next", SCRIPT, SHOWN),
    Case(ADMIN_CATEGORIES, "next", SCRIPT, FORBIDDEN, who="dsl"),
    Case(ADMIN_CATEGORIES, "next", SCRIPT, FORBIDDEN, who="admin"),
    *text_cases(
        ADD_CATEGORY, "name", too_long=longer_than(80), long_text=81, required=invalid("Give the category a name.")
    ),
    Case(ADD_CATEGORY, "name", P("taken", "behaviour"), invalid("There is already a category")),
    *text_cases(ADD_CATEGORY, "description", too_long=longer_than(2000), long_text=2001),
    *[Case(ADD_CATEGORY, "alerts", v, ACCEPTED) for v in (SCRIPT, SQL_OR, EMPTY)],
    *text_cases(
        CHANGE_CATEGORY,
        CATEGORY_NAME,
        too_long=longer_than(80),
        long_text=81,
        required=invalid("Give the category a name."),
    ),
    Case(CHANGE_CATEGORY, CATEGORY_NAME, P("taken", "SEN"), invalid("There is already a category")),
    # The reason for a change of alerting goes into the audit log only.
    *[Case(CHANGE_CATEGORY, CATEGORY_REASON, v, ACCEPTED) for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL)],
    Case(CHANGE_CATEGORY, CATEGORY_REASON, P("501-chars", "x" * 501), longer_than(500)),
    Case(CHANGE_CATEGORY, CATEGORY_REASON, MEGABYTE, TOO_LARGE),
    *[
        Case(CHANGE_CATEGORY, name, v, ACCEPTED)
        for name in (CATEGORY_ALERTS, CATEGORY_ACTIVE)
        for v in (SCRIPT, SQL_OR)
    ],
    *[Case(route, "category_id", v, MISSING) for route in (CHANGE_CATEGORY, MOVE_CATEGORY) for v in SOME_IDS],
    *[Case(MOVE_CATEGORY, "direction", v, Expect((400,))) for v in (SCRIPT, SQL_OR, EMPTY, LEFT_OUT)],
    Case(MOVE_CATEGORY, "direction", P("down", "down"), FORBIDDEN, who="dsl"),
    # Schools of the trust: for its trust-wide admins; the slug is an address, letters and hyphens only.
    Case(SCHOOLS, "next", SCRIPT, SHOWN),
    Case(SCHOOLS, "next", SCRIPT, FORBIDDEN, who="admin"),
    *[
        case
        for route, name, slug in ((ADD_SCHOOL, "name", "slug"), (CHANGE_SCHOOL, SCHOOL_NAME, SCHOOL_SLUG))
        for case in (
            *text_cases(
                route, name, too_long=longer_than(200), long_text=201, required=invalid("Enter the school's name.")
            ),
            *[
                Case(route, slug, v, NOT_A_SLUG)
                for v in (
                    SCRIPT,
                    IMG,
                    SQL_OR,
                    SQL_DROP,
                    TRAVERSAL,
                    ODD_UNICODE,
                    P("spaces", "bad slug"),
                    P("hyphens", "-x-"),
                )
            ],
            Case(route, slug, NUL, Expect((303,), writes=True)),  # "beforeafter" once the NUL is dropped
            Case(route, slug, EMPTY, invalid("Enter a short name")),
            Case(route, slug, P("81-chars", "a" * 81), longer_than(80)),
            Case(route, slug, MEGABYTE, TOO_LARGE),
            Case(route, slug, P("taken", "brookfield"), invalid("Another school already has")),
        )
    ],
    *[Case(CHANGE_SCHOOL, "school_id", v, MISSING) for v in SOME_IDS],
    Case(ADD_SCHOOL, "name", P("name", "Cedar"), FORBIDDEN, who="admin"),
    # Staff from the MIS: as the pupils' file.
    Case(STAFF_IMPORT_PAGE, "?school", SCRIPT, SHOWN),
    *[Case(STAFF_IMPORT, "school", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("other-school", "brookfield"))],
    *[
        Case(STAFF_IMPORT, "file", csv_file(content, "staff.csv"), Expect((303,), writes=True))
        for content in (
            STAFF_CSV.replace(b"Priya Shah", b"<script>alert(1)</script>"),
            STAFF_CSV.replace(b"Teacher", b"' OR 1=1 --"),
        )
    ],
    *[
        Case(STAFF_IMPORT, "file", csv_file(content, name), invalid(message))
        for content, name, message in (
            (b"\x89PNG\r\n\x1a\n\x00\x00", "staff.csv", "not a CSV"),
            (b"Forename,Colour\r\nAva,blue\r\n", "staff.csv", "no column for Name"),
            (b"Name,Email\r\n", "<script>.csv", "no staff"),
        )
    ],
    Case(STAFF_IMPORT, "file", LEFT_OUT, invalid("Choose the CSV file to import.")),
    Case(STAFF_IMPORT, "school", P("ashgrove", "ashgrove"), FORBIDDEN, who="dsl"),
    # Deleting after the retention review: a reason from the admin; the DSL confirms by id only.
    *text_cases(
        PROPOSE,
        REASON,
        too_long=invalid("Keep this under 2,000 characters."),
        long_text=2001,
        required=invalid("Say why the records may be deleted."),
    ),
    *id_cases(PROPOSE, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(PROPOSE, "pupil_id", P("not-yet-due", lambda s: str(s["pupil_id"])), Expect((303,))),
    Case(PROPOSE, REASON, P("reason", "Reviewed."), FORBIDDEN, who="dsl"),
    Case(DELETIONS, "next", SCRIPT, SHOWN),
    Case(DELETIONS, "next", SCRIPT, FORBIDDEN, who="admin"),
    *[
        case
        for route in (CONFIRM_DELETION, WITHDRAW_DELETION)
        for case in (
            *id_cases(route, "proposal_id", MISSING, values=SOME_IDS),
            Case(route, "proposal_id", P("proposal", lambda s: str(s["proposal_id"])), MISSING, who="other_dsl"),
        )
    ],
    Case(
        CONFIRM_DELETION, "proposal_id", P("the-proposers-own", lambda s: str(s["proposal_id"])), FORBIDDEN, who="admin"
    ),
    *id_cases(ACCEPT_DATE_OF_BIRTH, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    *[
        Case(ACCEPT_DATE_OF_BIRTH, "pupil_id", P("flagged", lambda s: str(s["flagged_pupil_id"])), MISSING, who=who)
        for who in ("admin", "other_dsl", "deputy")
    ],
    *[Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, expect) for route, expect in ADMIN_VALID_POST.items()],
]


# --- concerns about adults (cpoms/adults/): raised by anyone who logs, read by the case manager ---

RAISE_ADULT_PAGE, RAISE_ADULT = ("adults.new", "GET"), ("adults.new", "POST")
ADULT_RECEIVED = ("adults.received", "GET")
ADULTS, ADULT_RETENTION = ("adults.index", "GET"), ("adults.retention", "GET")
ADULT_CONCERN, ADULT_FOLLOW_UP = ("adults.show", "GET"), ("adults.add_follow_up", "POST")
ADULT_SETTINGS_PAGE, ADULT_SETTINGS = ("adults.settings", "GET"), ("adults.settings", "POST")

ADULT_PUPILS, ADULT_PUPIL_CHIP = ("adults.pupil_search", "GET"), ("adults.pupil_chip", "GET")
ADULT_REPORT, ADULT_REFERENCE = ("adults.report", "GET"), ("adults.reference", "GET")
ADULT_DELETION_PAGE, ADULT_DELETION = ("adults.deletion_proposal", "GET"), ("adults.deletion_proposal", "POST")
ADULT_CONFIRM_DELETION = ("adults.confirm_deletion", "POST")
ADULT_WITHDRAW_DELETION = ("adults.withdraw_deletion", "POST")

ADULT = {"concern_id": "adult_concern_id"}
DUE = {"concern_id": "due_adult_concern_id"}
PENDING = {"concern_id": "pending_adult_concern_id"}
DELETED = frozenset({"adult_concerns", "adult_follow_ups", "adult_concern_deletions", "adult_concern_pupils"})
ADULT_WRITES = frozenset({"adult_concerns", "adult_concern_pupils", "alerts"})  # the headteacher's alert


def raise_adult_form(s: dict) -> dict:
    return {
        "subject_kind": "staff",
        "staff_member": str(s["teacher2_id"]),
        "subject_name": "",
        "subject_role": "Teaching assistant",
        "happened_at": recent(hours=2),
        "location": "Upper corridor",
        "what_happened": "Shouted at a pupil and grabbed his sleeve.",
        "what_was_said": "You will regret telling anyone.",
        "pupil_ids": [str(s["pupil_id"])],
    }


ROUTES.update(
    {
        RAISE_ADULT_PAGE: Route(who="teacher1"),
        RAISE_ADULT: Route(who="teacher1", data=raise_adult_form, writes=ADULT_WRITES),
        ADULT_RECEIVED: Route(who="teacher1"),
        ADULTS: Route(who="head"),
        ADULT_RETENTION: Route(who="head"),
        ADULT_CONCERN: Route(who="head", ids=ADULT),
        ADULT_FOLLOW_UP: Route(
            who="head",
            ids={**ADULT, "kind": "adult_follow_up_kind"},
            data=lambda s: {"level": "low_level", "text": "Against the code of conduct: low level."},
            writes=frozenset({"adult_follow_ups"}),
        ),
        ADULT_PUPILS: Route(who="teacher1", data=lambda s: {"q": "am"}, headers=HX),
        ADULT_PUPIL_CHIP: Route(who="teacher1", ids={"pupil_id": "pupil_id"}, headers=HX),
        ADULT_REPORT: Route(who="head"),
        ADULT_REFERENCE: Route(who="head", ids=ADULT),
        ADULT_DELETION_PAGE: Route(who="head", ids=DUE),
        ADULT_DELETION: Route(
            who="head",
            ids=DUE,
            data=lambda s: {"reason": "Found malicious; the review is done."},
            writes=frozenset({"adult_concern_deletions"}),
        ),
        ADULT_CONFIRM_DELETION: Route(who="head", ids=PENDING, writes=DELETED),
        ADULT_WITHDRAW_DELETION: Route(who="head", ids=PENDING, writes=frozenset({"adult_concern_deletions"})),
        ADULT_SETTINGS_PAGE: Route(who="head"),
        ADULT_SETTINGS: Route(
            who="head",
            data=lambda s: {"school_id": str(s["school_id"]), "dsl_allowed": "yes"},
            writes=frozenset({"adult_case_manager_settings"}),
        ),
    }
)

ADULT_VALID_POST = {
    RAISE_ADULT: Expect((303,), location="/adult-concerns/received", writes=True),
    ADULT_FOLLOW_UP: ACCEPTED,
    ADULT_SETTINGS: Expect((303,), writes=True),
    ADULT_DELETION: Expect((303,), writes=True),
    ADULT_CONFIRM_DELETION: Expect((303,), location="/adult-concerns/retention", writes=True),
    ADULT_WITHDRAW_DELETION: Expect((303,), writes=True),
}
VALID_POST.update(ADULT_VALID_POST)
THE_NEW_CONCERN = ("head", "/adult-concerns/{next_adult_concern_id}")
THE_CONCERN = ("head", "/adult-concerns/{adult_concern_id}")
ADULT_SHOWN_ON = {
    **{(RAISE_ADULT, name): (THE_NEW_CONCERN,) for name in ("location", "what_happened", "what_was_said")},
    **{
        (RAISE_ADULT, name): (THE_NEW_CONCERN, ("head", "/adult-concerns")) for name in ("subject_name", "subject_role")
    },
    **{(ADULT_FOLLOW_UP, name): (THE_CONCERN,) for name in ("text", "lado_name", "lado_reference")},
    (ADULT_DELETION, "reason"): (("head", "/adult-concerns/{due_adult_concern_id}/deletion"),),
}
# Someone with no account, named by hand.
VISITOR = {"subject_kind": "visitor", "staff_member": ""}
NOT_A_COLLEAGUE = invalid("Choose a member of staff of this school from the list.")
CHILD_NOT_FOUND = invalid("Some of these children could not be found at this school. Choose again.")
OTHER_ADULT_CONCERN = P("other-school-concern", lambda s: str(s["other_adult_concern_id"]))
ABOUT_THE_HEAD = P("about-the-head", lambda s: str(s["head_concern_id"]))  # names the headteacher
THE_ADULT_CONCERN = P("concern", lambda s: str(s["adult_concern_id"]))
LADO = {"kind": "lado", "lado_on": uk_day(-1), "lado_name": "Ms Reid", "lado_reference": "LADO/42", "text": "Advice."}
ACTION = {"kind": "action", "suspension_considered": "no", "text": "Moved to another class."}
OUTCOME = {"kind": "outcome", "outcome": "unsubstantiated", "text": "Insufficient evidence."}
DATES = {"kind": "dates", "born_on": "", "retires_on": "", "left_on": "", "text": "From the personnel file."}
UNKNOWN_KINDS = (
    SCRIPT,
    SQL_OR,
    NUL,
    ODD_UNICODE,
    P("entries-kind", "note"),
    P("upper-case", "ASSESSMENT"),
    P("label", "Assessment"),
)

CASES += [
    # Raising a concern (teacher1): a colleague of the school or a name typed; its text saved as typed.
    *[Case(RAISE_ADULT, "subject_kind", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("unknown", "pupil"))],
    Case(RAISE_ADULT, "subject_kind", LEFT_OUT, invalid("Say who the concern is about.")),
    *[
        Case(RAISE_ADULT, "staff_member", v, NOT_A_COLLEAGUE)
        for v in (OTHER_SCHOOL_USER, *ID_VALUES, ARABIC_DIGIT, SCRIPT, SQL_OR)
    ],
    Case(RAISE_ADULT, "staff_member", EMPTY, invalid("Choose the member of staff, or type the person's name.")),
    Case(
        RAISE_ADULT,
        "staff_member",
        P("none-for-staff", ""),
        invalid("Choose the member of staff from the list."),
        extra={"subject_name": "Teacher Two"},
    ),
    *text_cases(
        RAISE_ADULT,
        "subject_name",
        extra=VISITOR,
        long_text=201,
        too_long=invalid("Keep the name under 200 characters."),
        required=invalid("Choose the member of staff, or type the person's name."),
    ),
    Case(RAISE_ADULT, "subject_name", BREAKOUT, SAVED, extra=VISITOR),
    *[Case(RAISE_ADULT, "subject_name", v, invalid(NAME_REFUSED), extra=VISITOR) for v in (P("line-break", "A\nB"),)],
    *text_cases(RAISE_ADULT, "subject_role", long_text=201, too_long=invalid("Keep this under 200 characters.")),
    *[Case(RAISE_ADULT, "happened_at", v, BAD_DATE) for v in FAR_DATES],
    *[Case(RAISE_ADULT, "happened_at", v, IN_FUTURE) for v in FUTURE_DATES],
    Case(RAISE_ADULT, "happened_at", BEFORE_2000, invalid("Enter a date from 2000 onwards.")),
    Case(RAISE_ADULT, "happened_at", LEFT_OUT, invalid("Enter when it happened.")),
    *text_cases(
        RAISE_ADULT,
        "location",
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Say where it happened."),
    ),
    *text_cases(RAISE_ADULT, "what_happened", required=NARRATIVE_REQUIRED),
    *[Case(RAISE_ADULT, name, ODD_UNICODE, SAVED) for name in ("what_happened", "location")],
    Case(RAISE_ADULT, "subject_name", ODD_UNICODE, SAVED, extra=VISITOR),
    *text_cases(RAISE_ADULT, "what_was_said"),
    *[
        Case(RAISE_ADULT, "pupil_ids", v, CHILD_NOT_FOUND)
        for v in (
            OTHER_PUPIL,
            OWN_AND_OTHER_PUPIL,
            P("own-and-missing", lambda s: [str(s["pupil_id"]), "999999"]),
            TEN_THOUSAND_IDS,
            *ID_VALUES,
            ARABIC_DIGIT,
            SCRIPT,
            EMPTY,
        )
    ],
    Case(RAISE_ADULT, "pupil_ids", LEFT_OUT, ACCEPTED),  # no child involved
    # The school is one of the raiser's (teacher1 has one): any other value is theirs.
    *[
        Case(RAISE_ADULT, name, v, ACCEPTED)
        for name in ("school_id", "?school")
        for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL)
    ],
    *[Case(RAISE_ADULT, "school_id", v, ACCEPTED) for v in (NEGATIVE, OVER_INT64, HUGE, EMPTY)],
    Case(RAISE_ADULT, "location", P("place", "Hall"), FORBIDDEN, who="head"),  # the headteacher logs nothing
    Case(RAISE_ADULT, "location", P("place", "Hall"), FORBIDDEN, who="governor"),
    *[
        Case(RAISE_ADULT_PAGE, "school", v, SHOWN)
        for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL, NEGATIVE, OVER_INT64, EMPTY)
    ],
    Case(RAISE_ADULT_PAGE, "school", OTHER_SCHOOL, FORBIDDEN, who="governor"),
    Case(ADULT_RECEIVED, "next", SCRIPT, SHOWN),
    # ?nobody=1: the school has no case manager (the page says to speak to the headteacher); anything else, not.
    *[Case(ADULT_RECEIVED, "nobody", v, SHOWN) for v in (P("one", "1"), SCRIPT, SQL_OR, EMPTY, NUL)],
    Case(ADULT_RECEIVED, "next", SCRIPT, FORBIDDEN, who="head"),
    # The case manager's pages: the headteacher's; nobody else's, the raiser's neither.
    *[
        case
        for route in (ADULTS, ADULT_RETENTION)
        for case in (
            Case(route, "next", SCRIPT, SHOWN),
            *[Case(route, "next", SCRIPT, FORBIDDEN, who=who) for who in ("teacher1", "teacher2", "dsl", "governor")],
        )
    ],
    *id_cases(ADULT_CONCERN, "concern_id", MISSING, other=OTHER_ADULT_CONCERN),
    Case(ADULT_CONCERN, "concern_id", ABOUT_THE_HEAD, MISSING),  # nobody reads a concern about themselves
    Case(ADULT_CONCERN, "concern_id", TRAVERSAL, MISSING),
    *[
        Case(ADULT_CONCERN, "concern_id", THE_ADULT_CONCERN, MISSING, who=who)
        for who in ("teacher1", "teacher2", "dsl")
    ],
    # ?add= opens one kind's form; anything else, the page as usual.
    *[
        Case(ADULT_CONCERN, "add", v, SHOWN)
        for v in (P("lado", "lado"), *UNKNOWN_KINDS, EMPTY, P("10k-chars", "a" * 10_000))
    ],
    # Recording on a concern: its kind is in the address; the kind's own fields.
    *id_cases(ADULT_FOLLOW_UP, "concern_id", MISSING, other=OTHER_ADULT_CONCERN, values=SOME_IDS),
    Case(ADULT_FOLLOW_UP, "concern_id", ABOUT_THE_HEAD, MISSING),
    *[
        Case(ADULT_FOLLOW_UP, "concern_id", THE_ADULT_CONCERN, MISSING, who=who)
        for who in ("teacher1", "teacher2", "dsl")
    ],
    *[Case(ADULT_FOLLOW_UP, "kind", v, MISSING) for v in (*UNKNOWN_KINDS, P("10k-chars", "a" * 10_000))],
    *text_cases(ADULT_FOLLOW_UP, "text", required=invalid("Write the reasons.")),
    *[
        Case(ADULT_FOLLOW_UP, "text", P(f"decision-{v.label}", v.value), SAVED, extra={"kind": "decision"})
        for v in (SCRIPT, SQL_DROP)
    ],
    *[Case(ADULT_FOLLOW_UP, "level", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("label", "Low-level concern"))],
    *[Case(ADULT_FOLLOW_UP, "level", v, invalid("Choose low-level concern or allegation.")) for v in (EMPTY, LEFT_OUT)],
    *[Case(ADULT_FOLLOW_UP, "lado_on", v, INVALID_DATE, extra=LADO) for v in DAY_VALUES],
    Case(
        ADULT_FOLLOW_UP,
        "lado_on",
        P("tomorrow-date", lambda s: uk_day(1)),
        invalid("The consultation cannot be in the future."),
        extra=LADO,
    ),
    Case(
        ADULT_FOLLOW_UP, "lado_on", P("1999-date", "1999-12-31"), invalid("Enter a date from 2000 onwards."), extra=LADO
    ),
    Case(ADULT_FOLLOW_UP, "lado_on", EMPTY, invalid("Enter the date of the consultation."), extra=LADO),
    *text_cases(
        ADULT_FOLLOW_UP,
        "lado_name",
        extra=LADO,
        long_text=201,
        too_long=invalid("Field cannot be longer than 200 characters."),
        required=invalid("Enter the LADO's name."),
    ),
    Case(ADULT_FOLLOW_UP, "lado_name", P("line-break", "Ms\nReid"), invalid(NAME_REFUSED), extra=LADO),
    *text_cases(
        ADULT_FOLLOW_UP,
        "lado_reference",
        extra=LADO,
        long_text=101,
        too_long=invalid("Keep this under 100 characters."),
    ),
    *[
        Case(ADULT_FOLLOW_UP, "suspension_considered", v, NOT_A_CHOICE, extra=ACTION)
        for v in (SCRIPT, SQL_OR, P("maybe", "maybe"))
    ],
    Case(
        ADULT_FOLLOW_UP,
        "suspension_considered",
        LEFT_OUT,
        invalid("Say whether suspension was considered."),
        extra=ACTION,
    ),
    *[
        Case(ADULT_FOLLOW_UP, "outcome", v, NOT_A_CHOICE, extra=OUTCOME)
        for v in (SCRIPT, SQL_OR, P("unknown", "proven"), P("label", "Substantiated"))
    ],
    Case(ADULT_FOLLOW_UP, "outcome", LEFT_OUT, invalid("Choose the outcome."), extra=OUTCOME),
    # The children: the log form's picker. "Find" and "Add" post the form back (nothing saved).
    *search_cases(RAISE_ADULT, "q", PICKER, extra={"find": "1"}),
    Case(RAISE_ADULT, "q", MEGABYTE, TOO_LARGE, extra={"find": "1"}),
    Case(RAISE_ADULT, "find", SCRIPT, PICKER),
    *[Case(RAISE_ADULT, "add_pupil", v, PICKER) for v in (OTHER_PUPIL, *ID_VALUES, TEN_THOUSAND_IDS)],
    *search_cases(RAISE_ADULT_PAGE, "q", SHOWN),
    # Its htmx pieces: pupils of the form's school only (?school= one of the raiser's).
    *search_cases(ADULT_PUPILS, "q", SHOWN),
    *[Case(ADULT_PUPILS, "school", v, SHOWN) for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL, NEGATIVE, OVER_INT64)],
    *[Case(ADULT_PUPILS, "pupil_ids", v, SHOWN) for v in (OTHER_PUPIL, *ID_VALUES, TEN_THOUSAND_IDS, SCRIPT)],
    Case(ADULT_PUPILS, "find", SCRIPT, SHOWN),  # the "Find" button's own name, sent by htmx
    Case(ADULT_PUPILS, "q", SCRIPT, FORBIDDEN, who="governor"),
    *id_cases(ADULT_PUPIL_CHIP, "pupil_id", MISSING, other=OTHER_PUPIL),
    Case(ADULT_PUPIL_CHIP, "pupil_id", TRAVERSAL, MISSING),
    *[Case(ADULT_PUPIL_CHIP, "school", v, SHOWN) for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL, NEGATIVE)],
    *[Case(ADULT_PUPIL_CHIP, "pupil_ids", v, SHOWN) for v in (P("own", lambda s: str(s["pupil_id"])), SCRIPT)],
    Case(ADULT_PUPIL_CHIP, "add_pupil", SCRIPT, SHOWN),  # htmx sends the result button's own name and value
    Case(ADULT_PUPIL_CHIP, "pupil_ids", SCRIPT, FORBIDDEN, who="governor"),
    # The person's dates for retention: real dates, in range, at least one.
    *[
        Case(ADULT_FOLLOW_UP, name, v, INVALID_DATE, extra=DATES)
        for name in ("born_on", "retires_on", "left_on")
        for v in DAY_VALUES
    ],
    *[
        Case(ADULT_FOLLOW_UP, name, P("a-date", "1980-05-06"), ACCEPTED, extra=DATES)
        for name in ("born_on", "retires_on")
    ],
    Case(ADULT_FOLLOW_UP, "left_on", P("a-date", "2024-07-19"), ACCEPTED, extra=DATES),
    Case(ADULT_FOLLOW_UP, "born_on", EMPTY, invalid("Enter at least one of the three dates."), extra=DATES),
    Case(
        ADULT_FOLLOW_UP,
        "born_on",
        P("1850-date", "1850-01-01"),
        invalid("Enter a date of birth between 1900 and today."),
        extra=DATES,
    ),
    Case(
        ADULT_FOLLOW_UP,
        "born_on",
        P("tomorrow-date", lambda s: uk_day(1)),
        invalid("Enter a date of birth between 1900 and today."),
        extra=DATES,
    ),
    Case(
        ADULT_FOLLOW_UP,
        "retires_on",
        P("9999-date", "9999-12-31"),
        invalid("Enter a retirement date between 1900 and 2150."),
        extra=DATES,
    ),
    Case(
        ADULT_FOLLOW_UP,
        "left_on",
        P("tomorrow-date", lambda s: uk_day(1)),
        invalid("Enter the date they left: it cannot be in the future."),
        extra=DATES,
    ),
    Case(
        ADULT_FOLLOW_UP,
        "left_on",
        P("1999-date", "1999-12-31"),
        invalid("Enter a date from 2000 onwards."),
        extra=DATES,
    ),
    # Counts per term: the case managers' and the governors'; nobody else's.
    Case(ADULT_REPORT, "next", SCRIPT, SHOWN),
    Case(ADULT_REPORT, "next", SCRIPT, SHOWN, who="governor"),
    *[Case(ADULT_REPORT, "next", SCRIPT, FORBIDDEN, who=who) for who in ("teacher1", "teacher2", "admin")],
    # A concern's reference list and deletion page: its case managers', never the person named.
    *[
        case
        for route in (
            ADULT_REFERENCE,
            ADULT_DELETION_PAGE,
            ADULT_DELETION,
            ADULT_CONFIRM_DELETION,
            ADULT_WITHDRAW_DELETION,
        )
        for case in (
            *id_cases(route, "concern_id", MISSING, other=OTHER_ADULT_CONCERN, values=SOME_IDS),
            Case(route, "concern_id", ABOUT_THE_HEAD, MISSING),
            Case(route, "concern_id", TRAVERSAL, MISSING),
            *[
                Case(route, "concern_id", THE_ADULT_CONCERN, MISSING, who=who)
                for who in ("teacher2", "dsl", "governor")
            ],
        )
    ],
    # Proposing: only a concern whose review is due, with a reason.
    *text_cases(
        ADULT_DELETION,
        "reason",
        required=invalid("Say why the concern may be deleted."),
        long_text=2001,
        too_long=invalid("Keep this under 2,000 characters."),
    ),
    Case(ADULT_DELETION, "concern_id", THE_ADULT_CONCERN, Expect((409,), "Its review is not due yet")),
    # A second proposal while one waits: told so, nothing written.
    Case(ADULT_DELETION, "concern_id", P("pending", lambda s: str(s["pending_adult_concern_id"])), Expect((303,))),
    # Confirming or withdrawing: only where a deletion waits.
    *[
        Case(route, "concern_id", P("not-proposed", lambda s: str(s["due_adult_concern_id"])), MISSING)
        for route in (ADULT_CONFIRM_DELETION, ADULT_WITHDRAW_DELETION)
    ],
    # Who manages concerns with the headteacher: a yes or a no, at their own school.
    *[Case(ADULT_SETTINGS, "dsl_allowed", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("true", "true"))],
    *[Case(ADULT_SETTINGS, "dsl_allowed", v, invalid("Choose yes or no.")) for v in (EMPTY, LEFT_OUT)],
    *[
        Case(ADULT_SETTINGS, name, v, Expect((303,), writes=True))
        for name in ("school_id", "?school")
        for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL, NEGATIVE, OVER_INT64)
    ],
    *[Case(ADULT_SETTINGS, "dsl_allowed", P("yes", "yes"), FORBIDDEN, who=who) for who in ("dsl", "teacher1")],
    *[
        Case(ADULT_SETTINGS_PAGE, "school", v, SHOWN)
        for v in (OTHER_SCHOOL, SCRIPT, SQL_OR, NUL, NEGATIVE, OVER_INT64, EMPTY)
    ],
    Case(ADULT_SETTINGS_PAGE, "school", OTHER_SCHOOL, FORBIDDEN, who="dsl"),
    *[
        Case(route, "submission_key", v, invalid(KEY_REFUSED))
        for route in (RAISE_ADULT, ADULT_FOLLOW_UP, ADULT_SETTINGS)
        for v in (SCRIPT, SQL_OR, SQL_DROP, NUL, EMPTY, BLANK, P("too-long", "k" * 65))
    ],
    *[Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, expect) for route, expect in ADULT_VALID_POST.items()],
]


# --- key information and police notifications (cpoms/keyinfo/): the safeguarding team's ---

KEY_INFO_PAGE = ("keyinfo.show", "GET")
RECORD_STATUS, END_STATUS = ("keyinfo.record_status", "POST"), ("keyinfo.end_status", "POST")
RECORD_POLICE, CHECK_IN = ("keyinfo.record_police_notification", "POST"), ("keyinfo.check_in", "POST")
KEY_FLAGS_PAGE, KEY_FLAGS = ("keyinfo.flags", "GET"), ("keyinfo.flags", "POST")
KEY_PUPIL = {"pupil_id": "pupil_id"}
POLICE_WRITES = frozenset({"police_notifications", "police_check_in_reminders", "alerts"})


def make_key_information_sample(world) -> dict:
    """An active child protection plan on Amelia and one on Noah (brookfield); a police
    notification about each, Amelia's key adult teacher1."""

    def status(pupil, by):
        return KeyStatus(
            pupil_id=pupil.id,
            school_id=pupil.school_id,
            kind="cp_plan",
            starts_on=uk_today() - timedelta(days=10),
            category_of_abuse="neglect",
            authority="Northshire",
            note="",
            recorded_by_id=world[by].id,
        )

    def notification(pupil, by, key_adult):
        return PoliceNotification(
            pupil_id=pupil.id,
            school_id=pupil.school_id,
            incident_at=now_utc() - timedelta(hours=12),
            child_present=True,
            officer="PC Sample",
            force_reference="REF-1",
            shared="Shared.",
            key_adult_id=world[key_adult].id,
            check_in_on=uk_today(),
            recorded_by_id=world[by].id,
        )

    made = {
        "key_status_id": status(world.pupils[0], "dsl"),
        "other_key_status_id": status(world.other_pupils[0], "other_dsl"),
        "police_notification_id": notification(world.pupils[0], "dsl", "teacher1"),
        "other_police_notification_id": notification(world.other_pupils[0], "other_dsl", "other_teacher"),
    }
    db.session.add_all(made.values())
    db.session.commit()
    return {key: row.id for key, row in made.items()}


def status_form(s: dict) -> dict:
    return {
        "kind": "cp_plan",
        "starts_on": uk_day(-30),
        "category_of_abuse": "neglect",
        "authority": "Northshire County Council",
        "contact": "",
        "note": "Initial conference.",
    }


def police_form(s: dict) -> dict:
    return {
        "incident_at": recent(hours=10),
        "child_present": "yes",
        "officer": "PC Morrow",
        "force_reference": "ENC/2026/17",
        "shared": "A domestic incident at home last night.",
        "key_adult": str(s["teacher1_id"]),
    }


ROUTES.update(
    {
        KEY_INFO_PAGE: Route(who="dsl", ids=KEY_PUPIL),
        RECORD_STATUS: Route(who="dsl", ids=KEY_PUPIL, data=status_form, writes=frozenset({"key_statuses"})),
        END_STATUS: Route(
            who="dsl",
            ids={"status_id": "key_status_id"},
            data=lambda s: {"ends_on": uk_day(0), "note": "Plan ended at review."},
            writes=frozenset({"key_status_ends"}),
        ),
        RECORD_POLICE: Route(who="dsl", ids=KEY_PUPIL, data=police_form, writes=POLICE_WRITES),
        CHECK_IN: Route(
            who="teacher1",
            ids={"notification_id": "police_notification_id"},
            data=lambda s: {},
            writes=frozenset({"police_check_ins"}),
        ),
        KEY_FLAGS_PAGE: Route(who="trust_admin"),
        KEY_FLAGS: Route(
            who="trust_admin", data=lambda s: {"name": "Known to youth justice"}, writes=frozenset({"key_flags"})
        ),
    }
)

KEY_VALID_POST = {
    RECORD_STATUS: ACCEPTED,
    END_STATUS: ACCEPTED,
    RECORD_POLICE: ACCEPTED,
    KEY_FLAGS: Expect((303,), location="/key-information/flags", writes=True),
}
VALID_POST.update(KEY_VALID_POST)
VALID_POST[CHECK_IN] = Expect((303,), location="/", writes=True)
THE_KEY_PAGE = ("dsl", "/pupils/{pupil_id}/key-information")
KEY_SHOWN_ON = {
    **{(RECORD_STATUS, name): (THE_KEY_PAGE,) for name in ("authority", "contact", "note")},
    (END_STATUS, "note"): (THE_KEY_PAGE,),
    **{(RECORD_POLICE, name): (THE_KEY_PAGE,) for name in ("officer", "force_reference", "shared")},
    (KEY_FLAGS, "name"): (("trust_admin", "/key-information/flags"), THE_KEY_PAGE),
}
OTHER_KEY_STATUS = P("other-school-status", lambda s: str(s["other_key_status_id"]))
OTHER_NOTIFICATION = P("other-school-notification", lambda s: str(s["other_police_notification_id"]))
LOOKED_AFTER = {"kind": "looked_after"}
STATUS_NOT_LISTED = invalid("Choose one of the statuses listed.")
NOT_THE_KEY_ADULT = invalid("Choose the key adult from the school's staff.")

CASES += [
    # The pupil's page and forms: the team's (and SLT's to read); anyone else, a missing pupil.
    *id_cases(KEY_INFO_PAGE, "pupil_id", MISSING, other=OTHER_PUPIL),
    *[
        Case(KEY_INFO_PAGE, "pupil_id", P("amelia", lambda s: str(s["pupil_id"])), MISSING, who=who)
        for who in ("teacher1", "governor", "admin")
    ],
    *id_cases(RECORD_STATUS, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    Case(RECORD_STATUS, "pupil_id", P("amelia", lambda s: str(s["pupil_id"])), MISSING, who="teacher1"),
    *[
        Case(RECORD_STATUS, "kind", v, STATUS_NOT_LISTED)
        for v in (
            SCRIPT,
            SQL_OR,
            NUL,
            P("other", "other"),
            P("flag-missing", "flag-999999"),
            P("flag-word", "flag-x"),
            P("label", "Child protection plan"),
        )
    ],
    *[Case(RECORD_STATUS, "kind", v, invalid("Choose the status.")) for v in (EMPTY, LEFT_OUT)],
    *[
        Case(RECORD_STATUS, "category_of_abuse", v, invalid("Choose the category of abuse the plan is under."))
        for v in (SCRIPT, SQL_OR, EMPTY, LEFT_OUT)
    ],
    *[Case(RECORD_STATUS, "starts_on", v, INVALID_DATE) for v in DAY_VALUES],
    Case(
        RECORD_STATUS,
        "starts_on",
        P("tomorrow-date", lambda s: uk_day(1)),
        invalid("This date cannot be in the future."),
    ),
    Case(RECORD_STATUS, "starts_on", P("1999-date", "1999-12-31"), invalid("Enter a date from 2000 onwards.")),
    Case(RECORD_STATUS, "starts_on", EMPTY, invalid("Enter the date it started.")),
    *text_cases(
        RECORD_STATUS,
        "authority",
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Enter the local authority."),
    ),
    *text_cases(
        RECORD_STATUS, "contact", long_text=201, too_long=invalid("Keep this under 200 characters."), extra=LOOKED_AFTER
    ),
    Case(RECORD_STATUS, "contact", P("line-break", "A\nB"), invalid(NAME_REFUSED), extra=LOOKED_AFTER),
    *text_cases(RECORD_STATUS, "note"),
    # Ending a status: the status's school's team.
    *id_cases(END_STATUS, "status_id", MISSING, other=OTHER_KEY_STATUS, values=SOME_IDS),
    Case(END_STATUS, "status_id", P("amelias", lambda s: str(s["key_status_id"])), FORBIDDEN, who="slt"),
    Case(END_STATUS, "status_id", P("amelias", lambda s: str(s["key_status_id"])), MISSING, who="teacher1"),
    *[Case(END_STATUS, "ends_on", v, INVALID_DATE) for v in DAY_VALUES],
    Case(END_STATUS, "ends_on", P("tomorrow-date", lambda s: uk_day(1)), invalid("This date cannot be in the future.")),
    Case(
        END_STATUS,
        "ends_on",
        P("before-it-started", lambda s: uk_day(-20)),
        invalid("The end date cannot be before the status started."),
    ),
    Case(END_STATUS, "ends_on", EMPTY, invalid("Enter the date it ended.")),
    *text_cases(END_STATUS, "note"),
    # A police notification: the team's only; the key adult from the school's staff.
    *id_cases(RECORD_POLICE, "pupil_id", MISSING, other=OTHER_PUPIL, values=SOME_IDS),
    *[
        Case(RECORD_POLICE, "officer", P("name", "PC Morrow"), MISSING, who=who)
        for who in ("slt", "teacher1", "governor")
    ],
    *[Case(RECORD_POLICE, "incident_at", v, BAD_DATE) for v in FAR_DATES],
    *[Case(RECORD_POLICE, "incident_at", v, IN_FUTURE) for v in FUTURE_DATES],
    Case(RECORD_POLICE, "incident_at", BEFORE_2000, invalid("Enter a date from 2000 onwards.")),
    Case(RECORD_POLICE, "incident_at", LEFT_OUT, invalid("Enter when the incident happened.")),
    *[Case(RECORD_POLICE, "child_present", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("label", "Yes"))],
    Case(RECORD_POLICE, "child_present", LEFT_OUT, invalid("Say whether the child was present.")),
    *text_cases(
        RECORD_POLICE,
        "officer",
        long_text=201,
        too_long=invalid("Keep this under 200 characters."),
        required=invalid("Enter the notifying officer's name."),
    ),
    Case(RECORD_POLICE, "officer", P("line-break", "A\nB"), invalid(NAME_REFUSED)),
    *text_cases(
        RECORD_POLICE,
        "force_reference",
        long_text=101,
        too_long=invalid("Keep the reference under 100 characters."),
        required=invalid("Enter the police reference."),
    ),
    *text_cases(RECORD_POLICE, "shared", required=invalid("Write what the police shared.")),
    *[
        Case(RECORD_POLICE, "key_adult", v, NOT_THE_KEY_ADULT)
        for v in (
            OTHER_SCHOOL_USER,
            P("governor", lambda s: str(s["world"]["governor"].id)),
            *ID_VALUES,
            ARABIC_DIGIT,
            SCRIPT,
            SQL_OR,
            EMPTY,
        )
    ],
    # The key adult's check-in: theirs (or the team's); to anyone else it is missing.
    *id_cases(CHECK_IN, "notification_id", MISSING, other=OTHER_NOTIFICATION),
    *[
        Case(CHECK_IN, "notification_id", P("amelias", lambda s: str(s["police_notification_id"])), MISSING, who=who)
        for who in ("teacher2", "slt", "governor")
    ],
    # The trust's own flags: its administrators.
    *text_cases(
        KEY_FLAGS,
        "name",
        long_text=81,
        too_long=invalid("Keep the name under 80 characters."),
        required=invalid("Enter the flag's name."),
    ),
    *[Case(KEY_FLAGS, "name", P("flag", "A flag"), FORBIDDEN, who=who) for who in ("dsl", "admin")],
    Case(KEY_FLAGS_PAGE, "next", SCRIPT, SHOWN),
    Case(KEY_FLAGS_PAGE, "next", SCRIPT, FORBIDDEN, who="dsl"),
    # The queue's filter by key information: an unknown value is no filter.
    *[
        Case(QUEUE, "key", v, SHOWN)
        for v in (P("cp", "cp_plan"), SCRIPT, SQL_OR, NUL, EMPTY, P("10k-chars", "a" * 10_000))
    ],
    *[
        Case(route, "submission_key", v, invalid(KEY_REFUSED))
        for route in (RECORD_STATUS, END_STATUS, RECORD_POLICE, KEY_FLAGS)
        for v in (SCRIPT, SQL_OR, SQL_DROP, NUL, EMPTY, BLANK, P("too-long", "k" * 65))
    ],
    *[Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, expect) for route, expect in KEY_VALID_POST.items()],
]
# --- signed child-protection files (cpoms/packs/) -----------------------------------------------

SIGNING_KEYS = ("packs.signing_keys", "GET")
PACK_IMPORT_PAGE = ("packs.upload", "GET")
PACK_UPLOAD = ("packs.upload", "POST")
PACK_CONFIRM = ("packs.confirm", "POST")
DISTRUSTED_KEYS = ("packs.distrusted_keys", "GET")
RECEIVED_FILE = ("packs.received_file", "GET")
DISTRUST_KEY = ("packs.distrust_key", "POST")
TRUST_KEY = ("packs.trust_key", "POST")
# One pack, the same bytes every time (a fixed key; the zip's dates are fixed), waiting on the
# server under a fixed name as an upload waits for its confirmation (the sample fixture puts it back).
PACK_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
STAGED_PACK = "5a" * 20
FINGERPRINT = "ab" * 32


def a_pack(**pupil) -> bytes:
    body = minimal_pack("A204210010001", key=PACK_KEY)
    if not pupil:
        return body
    files = unzip(body)
    records = json.loads(files["records.json"])
    records["pupil"].update(pupil)
    files["records.json"] = json.dumps(records).encode()
    kept = {n: files[n] for n in ("pack.json", "records.json", "signing-key.pem")}
    return packs_format.write(kept, files["chronology.pdf"], PACK_KEY)


THE_PACK = a_pack()


def stage_the_pack(app) -> None:
    """The uploaded pack, waiting for its confirmation (in the database, as every server reads it)."""
    with app.app_context():
        db.session.add(StagedFile(stored_name=STAGED_PACK, data=THE_PACK))
        db.session.commit()


def pack_file(body: bytes, name: str = "pack.zip"):
    return P(f"pack-{name}-{hashlib.sha256(body).hexdigest()[:8]}", lambda s: (io.BytesIO(body), name))


def confirm_form(s) -> dict:
    return {
        "staged": STAGED_PACK,
        "pack_sha256": hashlib.sha256(THE_PACK).hexdigest(),
        "pupil": str(s["pupil_id"]),
        "confirmed": "y",
    }


KEY_FORM = lambda s: {"trust": str(s["trust_id"]), "fingerprint": FINGERPRINT, "reason": "Laptop stolen."}  # noqa: E731
KEY_WRITES = frozenset({"key_distrust_events"})
ROUTES.update(
    {
        SIGNING_KEYS: Route(who=None),
        PACK_IMPORT_PAGE: Route(),
        PACK_UPLOAD: Route(
            data=lambda s: {"pack": (io.BytesIO(THE_PACK), "pack.zip")}, writes=frozenset({ATTACHMENT_FILES})
        ),
        PACK_CONFIRM: Route(
            data=confirm_form, writes=frozenset({"received_packs", "received_records", "alerts", ATTACHMENT_FILES})
        ),
        DISTRUSTED_KEYS: Route(),
        RECEIVED_FILE: Route(ids={"pack_id": "pack_id", "sha256": "sha256"}),
        DISTRUST_KEY: Route(data=KEY_FORM, writes=KEY_WRITES),
        TRUST_KEY: Route(data=KEY_FORM, writes=KEY_WRITES),
    }
)
PACK_VALID_POST = {
    PACK_UPLOAD: Expect((200,), "Signature verified", writes=True),
    PACK_CONFIRM: Expect((303,), writes=True),
    DISTRUST_KEY: Expect((303,), location="/transfers/distrusted-keys", writes=True),
    TRUST_KEY: Expect((303,), location="/transfers/distrusted-keys", writes=True),
}
VALID_POST.update(PACK_VALID_POST)
UPLOAD_AGAIN = invalid("upload it again")
NOT_A_PACK = invalid("not a readable zip")
NO_SUCH_PUPIL = invalid("No pupil to add these records to")

CASES += [
    # The public page of signing keys reads nothing from the request.
    *[Case(SIGNING_KEYS, "page", v, SHOWN) for v in (SCRIPT, SQL_OR)],
    *[Case(route, "page", v, SHOWN) for route in (PACK_IMPORT_PAGE, DISTRUSTED_KEYS) for v in (SCRIPT, SQL_OR)],
    *[Case(route, "page", WORD, FORBIDDEN, who="teacher1") for route in (PACK_IMPORT_PAGE, DISTRUSTED_KEYS)],
    # A received file: by the pack's id, for its pupil's team; only a checksum the pack holds.
    *id_cases(RECEIVED_FILE, "pack_id", MISSING, values=SOME_IDS),
    Case(RECEIVED_FILE, "pack_id", P("pack", lambda s: str(s["pack_id"])), MISSING, who="teacher1"),
    Case(RECEIVED_FILE, "pack_id", P("pack", lambda s: str(s["pack_id"])), MISSING, who="other_dsl"),
    *[
        Case(RECEIVED_FILE, "sha256", v, MISSING)
        for v in (SCRIPT, SQL_OR, NUL, P("not-in-the-pack", "0" * 64), P("upper-case", lambda s: s["sha256"].upper()))
    ],
    # The upload: a zip checked before anything is kept; what the pack says is shown as text.
    Case(PACK_UPLOAD, "pack", LEFT_OUT, invalid("Choose the pack (a .zip file) to upload.")),
    Case(PACK_UPLOAD, "pack", SCRIPT, invalid("Choose the pack (a .zip file) to upload.")),  # text, not a file
    Case(PACK_UPLOAD, "pack", pack_file(THE_PACK, "<script>alert(1)</script>.zip"), PACK_VALID_POST[PACK_UPLOAD]),
    *[
        Case(PACK_UPLOAD, "pack", pack_file(body), NOT_A_PACK)
        for body in (b"", SCRIPT.value.encode(), SQL_OR.value.encode())
    ],
    Case(PACK_UPLOAD, "pack", pack_file(zipped(unzip(THE_PACK) | {"../x": b"x"})), invalid("points outside the pack")),
    *[
        Case(PACK_UPLOAD, "pack", pack_file(a_pack(name=name, upn=upn)), NO_SUCH_PUPIL)
        for name, upn in ((SCRIPT.value, SQL_OR.value), (SQL_DROP.value, IMG.value), ("Amelia", "A2042100100019"))
    ],
    Case(PACK_UPLOAD, "pack", pack_file(THE_PACK), FORBIDDEN, who="teacher1"),
    # The confirmation: only the pack this upload left waiting, for one of the team's own pupils.
    *[
        Case(PACK_CONFIRM, "staged", v, UPLOAD_AGAIN)
        for v in (SCRIPT, SQL_OR, NUL, EMPTY, LEFT_OUT, P("traversal", "../../../etc/passwd"), P("unknown", "a" * 40))
    ],
    *[
        Case(PACK_CONFIRM, "pack_sha256", v, UPLOAD_AGAIN)
        for v in (SCRIPT, SQL_OR, EMPTY, LEFT_OUT, P("another-pack", "0" * 64))
    ],
    *[
        Case(PACK_CONFIRM, "pupil", v, NOT_A_CHOICE)
        for v in (SCRIPT, SQL_OR, OVER_INT64, NEGATIVE, P("other-school-pupil", lambda s: str(s["other_pupil_id"])))
    ],
    *[Case(PACK_CONFIRM, "pupil", v, invalid("Choose the pupil.")) for v in (EMPTY, LEFT_OUT)],
    *[Case(PACK_CONFIRM, "confirmed", v, invalid("Confirm that this is the same child.")) for v in (EMPTY, LEFT_OUT)],
    *[Case(PACK_CONFIRM, "confirmed", v, PACK_VALID_POST[PACK_CONFIRM]) for v in (SCRIPT, SQL_OR)],
    *[
        Case(PACK_CONFIRM, "submission_key", v, invalid(KEY_REFUSED))
        for v in (SCRIPT, SQL_OR, SQL_DROP, NUL, EMPTY, BLANK, P("too-long", "k" * 65))
    ],
    Case(PACK_CONFIRM, "pupil", P("pupil", lambda s: str(s["pupil_id"])), FORBIDDEN, who="slt"),
    # Distrusting and trusting a key again: a fingerprint, for one of the user's trusts, and why.
    *[
        Case(route, "trust", v, NOT_A_CHOICE)
        for route in (DISTRUST_KEY, TRUST_KEY)
        for v in (SCRIPT, SQL_OR, OVER_INT64, NEGATIVE, P("unknown-trust", "999"))
    ],
    *[
        Case(route, "fingerprint", v, invalid("A fingerprint is 64 characters, each 0-9 or a-f."))
        for route in (DISTRUST_KEY, TRUST_KEY)
        for v in (SCRIPT, IMG, SQL_OR, SQL_DROP, NUL, P("63-hex", "a" * 63), P("65-hex", "a" * 65))
    ],
    *[
        Case(route, "fingerprint", v, PACK_VALID_POST[route])
        for route in (DISTRUST_KEY, TRUST_KEY)
        for v in (P("spaced", " ".join(["ABAB"] * 16)), P("colons", ":".join(["ab"] * 32)))
    ],
    *[
        Case(route, "fingerprint", EMPTY, invalid("Enter the key's fingerprint."))
        for route in (DISTRUST_KEY, TRUST_KEY)
    ],
    *[
        Case(route, "fingerprint", P("201-chars", "a" * 201), invalid("That is not a fingerprint."))
        for route in (DISTRUST_KEY, TRUST_KEY)
    ],
    *[
        case
        for route in (DISTRUST_KEY, TRUST_KEY)
        for case in text_cases(
            route,
            "reason",
            long_text=2001,
            too_long=invalid("Keep this under 2,000 characters."),
            required=invalid("Say why."),
        )
    ],
    *[Case(route, "reason", P("why", "Why not."), FORBIDDEN, who="teacher1") for route in (DISTRUST_KEY, TRUST_KEY)],
    *[Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, expect) for route, expect in PACK_VALID_POST.items()],
]
PACK_SHOWN_ON = {(route, "reason"): (("dsl", "/transfers/distrusted-keys"),) for route in (DISTRUST_KEY, TRUST_KEY)}


# --- the tables cover the app ---------------------------------------------------------------

IGNORED_METHODS = {"HEAD", "OPTIONS"}
NOT_FIELDS = {"csrf_token"}  # the token has its own suite (test_hostile_requests.py)


def served_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - IGNORED_METHODS}


def kind_of(name: str) -> str:
    """Fields named by a record's id (description_3, description_{behaviour_id}) are
    one kind of field: cases for one of them stand for all."""
    name = re.sub(r"^([a-z])(?:\d+|\{\w+\})-", r"\1<id>-", name.lstrip("?"))  # c3-name: one form per record
    return re.sub(r"_(?:\d+|\{\w+\})$", "_<id>", name)


def fields_with_cases() -> dict[tuple[str, str], set[str]]:
    covered: dict[tuple[str, str], set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(kind_of(case.field))
    return covered


# --- signing in with the trust's provider, and its settings (sso/) ---------------------------

SSO_START, SSO_CALLBACK = ("sso.start", "GET"), ("sso.callback", "GET")
SIGN_IN_SETTINGS, ADD_PROVIDER = ("sso.settings", "GET"), ("sso.settings", "POST")
CHANGE_PROVIDER, REMOVE_PROVIDER = ("sso.change_provider", "POST"), ("sso.remove_provider", "POST")
PASSWORD_SETTING = ("sso.password_setting", "POST")
PROVIDER = {"provider_id": "provider_id"}
PROVIDER_FIELD = "p{provider_id}-{name}"
PROVIDER_WRITES = frozenset({"sign_in_providers"})


def provider_form(s: dict, prefix: str = "") -> dict:
    values = {
        "name": "Staff ID",
        "slug": "staff-id" if not prefix else "test",
        "kind": "oidc",
        "restriction": "",
        "issuer": "https://id.example.org",
        "client_id": "concern-log",
        "mfa_claim": "amr",
        "mfa_value": "mfa",
        "enabled": "y",
    }
    return {f"{prefix}{k}": v for k, v in values.items()}


def changed_provider_form(s: dict) -> dict:
    return {**provider_form(s, f"p{s['provider_id']}-"), f"p{s['provider_id']}-name": "Staff login"}


def provider_field(name: str) -> str:
    return PROVIDER_FIELD.replace("{name}", name)


ROUTES.update(
    {
        # The sample's provider has no secret in the environment: not offered, so not found.
        # tests/test_sso.py runs the same parameters against a real provider.
        SSO_START: Route(who=None, ids={"slug": "provider_slug"}),
        SSO_CALLBACK: Route(who=None, ids={"slug": "provider_slug"}),
        SIGN_IN_SETTINGS: Route(who="trust_admin"),
        ADD_PROVIDER: Route(who="trust_admin", data=provider_form, writes=PROVIDER_WRITES),
        CHANGE_PROVIDER: Route(who="trust_admin", ids=PROVIDER, data=changed_provider_form, writes=PROVIDER_WRITES),
        REMOVE_PROVIDER: Route(who="trust_admin", ids=PROVIDER, writes=PROVIDER_WRITES | {"sign_in_links"}),
        PASSWORD_SETTING: Route(
            who="trust_admin",
            data=lambda s: {"password_sign_in": "y", "break_glass": str(s["trust_admin_id"])},
            writes=frozenset({"sign_in_settings"}),
        ),
    }
)
VALID_POST.update(
    {
        ADD_PROVIDER: Expect((303,), location="/admin/sign-in", writes=True),
        CHANGE_PROVIDER: Expect((303,), location="/admin/sign-in", writes=True),
        REMOVE_PROVIDER: Expect((303,), location="/admin/sign-in", writes=True),
        PASSWORD_SETTING: Expect((303,), location="/admin/sign-in", writes=True),
    }
)
PREFIXED.update({CHANGE_PROVIDER: "p{provider_id}-"})
SHOWN_ON_SSO = {
    (ADD_PROVIDER, "name"): (("trust_admin", "/admin/sign-in"),),
    (ADD_PROVIDER, "client_id"): (("trust_admin", "/admin/sign-in"),),
    (ADD_PROVIDER, "mfa_claim"): (("trust_admin", "/admin/sign-in"),),
    (ADD_PROVIDER, "mfa_value"): (("trust_admin", "/admin/sign-in"),),
    (CHANGE_PROVIDER, provider_field("name")): (("trust_admin", "/admin/sign-in"),),
}
PROVIDER_SLUG_REFUSED = invalid("Use lower-case letters, digits and single hyphens, like microsoft.")
NO_TENANT = invalid("Enter the tenant id")
NO_ISSUER = invalid("Enter the provider's issuer address")
NO_DOMAIN = invalid("Enter the Google Workspace domain")
HOSTILE_WORDS = (SCRIPT, IMG, SQL_OR, SQL_DROP, TRAVERSAL, ODD_UNICODE)

CASES += [
    # The provider's address and its answer: nobody signed in; no usable provider in the sample.
    *[Case(route, "slug", v, MISSING) for route in (SSO_START, SSO_CALLBACK) for v in (SCRIPT, SQL_OR, TRAVERSAL)],
    *[Case(SSO_START, "next", v, MISSING) for v in (SCRIPT, P("off-site", "//evil.example.com/"))],
    *[
        Case(SSO_CALLBACK, name, v, MISSING)
        for name in ("state", "code", "iss", "error")
        for v in (SCRIPT, SQL_OR, P("10k-chars", "a" * 10_000))
    ],
    Case(SSO_START, "next", SCRIPT, Expect((302,)), who="teacher1"),  # signed in already: home
    # The settings: free text saved as typed and shown as text; the rest checked.
    Case(SIGN_IN_SETTINGS, "next", SCRIPT, SHOWN),
    Case(SIGN_IN_SETTINGS, "next", SCRIPT, FORBIDDEN, who="admin"),
    *text_cases(
        ADD_PROVIDER,
        "name",
        too_long=longer_than(80),
        long_text=81,
        required=invalid("Enter the name people know the provider by."),
    ),
    *text_cases(
        ADD_PROVIDER,
        "client_id",
        too_long=longer_than(300),
        long_text=301,
        required=invalid("Enter the client id the provider gave this app."),
    ),
    *[
        case
        for name in ("mfa_claim", "mfa_value")
        for case in text_cases(ADD_PROVIDER, name, too_long=longer_than(64), long_text=65)
    ],
    *[Case(ADD_PROVIDER, "slug", v, PROVIDER_SLUG_REFUSED) for v in (*HOSTILE_WORDS, P("spaces", "bad slug"))],
    Case(ADD_PROVIDER, "slug", NUL, Expect((303,), writes=True)),  # "beforeafter" once the NUL is dropped
    Case(ADD_PROVIDER, "slug", P("taken", "test"), invalid("Another provider already has")),
    Case(ADD_PROVIDER, "slug", EMPTY, invalid("Enter a short name, like microsoft.")),
    Case(ADD_PROVIDER, "slug", MEGABYTE, TOO_LARGE),
    *[Case(ADD_PROVIDER, "kind", v, NOT_A_CHOICE) for v in (SCRIPT, SQL_OR, P("saml", "saml"))],
    *[Case(ADD_PROVIDER, "issuer", v, NO_ISSUER) for v in (*HOSTILE_WORDS, P("javascript", "javascript:alert(1)"))],
    Case(ADD_PROVIDER, "issuer", P("301-chars", "https://a.example/" + "x" * 283), longer_than(300)),
    *[
        Case(ADD_PROVIDER, "restriction", v, NO_TENANT, extra={"kind": "microsoft"})
        for v in (*HOSTILE_WORDS, P("common", "common"))
    ],
    *[
        Case(ADD_PROVIDER, "restriction", P(f"{v.label}-google", v.value), NO_DOMAIN, extra={"kind": "google"})
        for v in HOSTILE_WORDS
    ],
    # Another kind's field is not used: saved, not stored.
    *[
        Case(ADD_PROVIDER, "restriction", P(f"{v.label}-unused", v.value), Expect((303,), writes=True))
        for v in (SCRIPT, SQL_OR)
    ],
    *[Case(ADD_PROVIDER, "enabled", v, Expect((303,), writes=True)) for v in (SCRIPT, SQL_OR)],
    Case(ADD_PROVIDER, "name", P("name", "Staff ID"), FORBIDDEN, who="admin"),
    *text_cases(
        CHANGE_PROVIDER,
        provider_field("name"),
        too_long=longer_than(80),
        long_text=81,
        required=invalid("Enter the name people know the provider by."),
    ),
    *[
        Case(CHANGE_PROVIDER, provider_field(name), v, invalid(message))
        for name, message in (
            ("slug", "Use lower-case letters, digits and single hyphens"),
            ("kind", "Not a valid choice."),
            ("issuer", "Enter the provider's issuer address"),
        )
        for v in (SCRIPT, SQL_OR)
    ],
    Case(CHANGE_PROVIDER, provider_field("slug"), P("another", "staff-id"), invalid("The short name cannot change")),
    *[
        Case(CHANGE_PROVIDER, provider_field(name), v, Expect((303,), writes=True))
        for name in ("client_id", "mfa_claim", "mfa_value", "restriction", "enabled")
        for v in (SCRIPT, SQL_OR)
    ],
    *[Case(route, "provider_id", v, MISSING) for route in (CHANGE_PROVIDER, REMOVE_PROVIDER) for v in SOME_IDS],
    Case(REMOVE_PROVIDER, "provider_id", P("the-provider", lambda s: str(s["provider_id"])), FORBIDDEN, who="dsl"),
    *[
        Case(PASSWORD_SETTING, "break_glass", v, NOT_A_CHOICE)
        for v in (SCRIPT, SQL_OR, P("a-teacher", lambda s: str(s["teacher3_id"])), *SOME_IDS)
    ],
    *[Case(PASSWORD_SETTING, "password_sign_in", v, Expect((303,), writes=True)) for v in (SCRIPT, SQL_OR)],
    # Off, with no provider that works: refused, passwords stay on.
    Case(PASSWORD_SETTING, "password_sign_in", LEFT_OUT, invalid("Set up a provider")),
    Case(PASSWORD_SETTING, "password_sign_in", P("on", "y"), FORBIDDEN, who="admin"),
    *[
        Case(route, PREFIXED.get(route, "") + "form_name", SCRIPT, VALID_POST[route])
        for route in (ADD_PROVIDER, CHANGE_PROVIDER, REMOVE_PROVIDER, PASSWORD_SETTING)
    ],
]


def user_of(sample: dict, who: str | None):
    """A person of the world, or one the sample added (by id: signing in needs no more)."""
    if who is None:
        return None
    if who in sample["world"].users:
        return sample["world"][who]
    return SimpleNamespace(id=sample[f"{who}_id"])


def offered_inputs(app, client, sample) -> set[tuple[tuple[str, str], str, bool]]:
    """Every named control of every form, every htmx control and every link parameter of
    every page the app serves, as the people who see the most forms see them."""
    adapter = app.url_map.bind("localhost")
    pages = [
        (who, verified, build_path(app, endpoint, method, spec.ids, sample), spec.data(sample), spec.headers)
        for (endpoint, method), spec in sorted(ROUTES.items())
        if method == "GET" and endpoint != "static"
        for who, verified in {(None, True), ("teacher1", True), ("dsl", True), (spec.who, spec.verified)}
    ]
    pages += [
        ("dsl", True, f"/entries/{sample['closed_entry_id']}", {}, {}),  # the reopen form
        ("teacher1", True, "/log", {"q": "a"}, {}),  # search results
        ("teacher1", True, "/log", {"pupil": sample["pupil_id"]}, {}),  # a chosen pupil
        ("teacher1", True, "/log", {}, {"Referer": "http://localhost/log"}),
        ("teacher3", True, "/account/two-factor", {}, {}),  # may turn it off
        ("dsl", True, "/search", {"q": "pushed"}, {}),  # results and their pages
        ("governor", True, "/", {}, {}),
    ]
    found = set()
    for who, verified, path, query, headers in sorted(pages, key=repr):
        sign_in_as(client, user_of(sample, who), verified)
        response = client.get(path, query_string=query, headers=headers)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for method, url, name, is_text in form_inputs(response.get_data(as_text=True), path):
            endpoint, _ = adapter.match(url, method=method)
            found.add(((endpoint, method), name, is_text))
    return found


def test_every_route_has_a_valid_request_and_hostile_cases(app):
    served = served_routes(app)
    assert not served - set(ROUTES), f"routes with no entry in ROUTES: {sorted(served - set(ROUTES))}"
    assert not set(ROUTES) - served, f"ROUTES names routes that no longer exist: {sorted(set(ROUTES) - served)}"
    without = served - {case.route for case in CASES}
    assert not without, f"routes with no hostile cases in CASES: {sorted(without)}"


def test_every_url_argument_has_hostile_cases(app):
    covered = fields_with_cases()
    missing = [
        (rule.endpoint, arg)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
        for arg in rule.arguments
        if arg not in covered.get((rule.endpoint, method), set())
    ]
    assert not missing, f"URL arguments with no hostile cases: {missing}"


def test_every_field_the_pages_offer_has_hostile_cases(app, client, sample):
    covered = fields_with_cases()
    markup = {(c.route, kind_of(c.field)) for c in CASES if "<" in str(c.value.value)}
    sql = {(c.route, kind_of(c.field)) for c in CASES if c.value in (SQL_OR, SQL_DROP)}
    offered = offered_inputs(app, client, sample)
    assert (
        (LOG, "narrative", True) in offered
        and (FOLLOW_UP, "reason", True) in offered
        and (SEARCH, "q", True) in offered
    ), "the crawl found too little to be trusted"
    problems = []
    for route, name, is_text in sorted(offered):
        name = kind_of(name)
        if name in NOT_FIELDS:
            continue
        if name not in covered.get(route, set()):
            problems.append(f"{route} {name}: no cases")
        elif is_text and ((route, name) not in markup or (route, name) not in sql):
            problems.append(f"{route} {name}: a text field needs a markup case and an SQL case")
    assert not problems, "add rows to CASES:\n" + "\n".join(problems)


def test_every_parameter_the_code_reads_has_hostile_cases():
    read = set()
    for path in APP_SOURCE.rglob("*.py"):
        read |= parameters_read_in(path.read_text())
    assert {"q", "pupil", "next", "page", "add_pupil"} <= read, "the source scan found too little to be trusted"
    covered = set().union(*fields_with_cases().values())
    assert not read - covered, f"parameters read from the request with no hostile cases: {sorted(read - covered)}"


def test_there_are_at_least_a_hundred_cases():
    assert len(CASES) >= 100
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "two rows with the same id: give one a different label"


# --- the cases --------------------------------------------------------------------------


def run(app, client, sample, case: Case):
    spec = ROUTES[case.route]
    who, verified = (spec.who, spec.verified) if case.who is False else (case.who, True)
    sign_in_as(client, user_of(sample, who), verified, spec.session if case.who is False else None)
    before = snapshot(app)
    request = request_for(app, ROUTES, sample, case)
    response = client.open(**request)
    return response, before, snapshot(app)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input(app, client, sample, case):
    response, before, after = run(app, client, sample, case)
    hostile = case.value.resolve(sample)
    body = assert_safe(response, hostile)
    expect = case.expect
    assert response.status_code in expect.statuses, body[:3000]
    if expect.message:
        assert str(escape(expect.message)) in body, body[:3000]
    if expect.location is not None:
        assert response.headers["Location"] == expect.location
    if expect.link is not None:
        assert_links_back_to(body, expect.link)
    if case.value in (OTHER_PUPIL, OWN_AND_OTHER_PUPIL, OTHER_PUPIL_NAME):
        assert sample["other_pupil_name"] not in body  # another school's pupil is never shown
    changed = changed_tables(before, after)
    if not (expect.saved or expect.writes):
        assert not changed, f"a refused request wrote to {sorted(changed)}"
        return
    allowed = expect.writes if isinstance(expect.writes, frozenset) else ROUTES[case.route].writes
    if getattr(app.view_functions[case.route[0]], "saves_once", False):
        allowed |= {"submission_keys"}  # a save claims its form's one-time key (cpoms/submissions.py)
    assert changed and changed <= allowed, f"wrote to {sorted(changed)}; expected only {sorted(allowed)}"
    if expect.saved:
        stored = hostile.replace("\x00", "").strip()
        assert any(stored in row for row in new_rows(before, after)), "the text was not stored as typed"
        assert_rendered_inert(client, sample, case, response, stored)


# Where saved text is shown again, beyond the entry page and the pupil's chronology.
LISTED = {(LOG, "narrative"): (("dsl", "/review"), ("teacher1", "/"))}
# Text that is not about an entry, and the pages that show it.
SHOWN_ON = {
    (GUIDANCE_EDIT, "body"): (("teacher1", "/guidance"), ("admin", "/guidance/edit")),
    (GUIDANCE_EDIT, "note"): (("teacher1", "/guidance/history"),),
    (CATEGORIES, BEHAVIOUR_DESCRIPTION): (("teacher1", "/log"), ("trust_admin", "/guidance/categories")),
    # {location}: where the save redirected (the new transfer's page); other names: the sample's ids.
    (TRANSFER_START, "destination_name"): (("dsl", "{location}"), ("dsl", "/transfers")),
    (TRANSFER_START, "contact_name"): (("dsl", "{location}"),),
    (TRANSFER_DECLINE, "reason"): (("dsl", "/transfers/{trust_transfer_id}"),),
    (TRANSFER_RECEIPT, "confirmed_by"): (("dsl", "/transfers/{outside_transfer_id}"),),
    (TRANSFER_RECEIPT, "note"): (("dsl", "/transfers/{outside_transfer_id}"),),
    # The team's message: on the entry page for the team, and on What I logged for its recorder.
    (MESSAGE_RECORDER, "text"): (("dsl", "/entries/{entry_id}"), ("teacher1", "/logged")),
}
# Text shown on the entry page only: a link's reason (both entries show it).
NOT_IN_CHRONOLOGY = {(LINK, "reason")}

SHOWN_ON.update(ADMIN_SHOWN_ON)
SHOWN_ON.update(ADULT_SHOWN_ON)
SHOWN_ON.update(SHOWN_ON_SSO)
SHOWN_ON.update(KEY_SHOWN_ON)
SHOWN_ON.update(PACK_SHOWN_ON)
SHOWN_ON.update(
    {
        (EXCLUDE, "reason"): [("dsl", "/pupils/{pupil_id}/exclusions"), ("dsl", "/pupils/{pupil_id}/chronology")],
        (END_EXCLUSION, "reason"): [("dsl", "/pupils/{pupil_id}/exclusions")],
    }
)
# Pages that show an excerpt of saved text, with the words searched for marked.
EXCERPTS = {(LOG, "narrative"): ("dsl", "/search?q=alert"), (FOLLOW_UP, "text"): ("dsl", "/search?q=alert")}


def assert_rendered_inert(client, sample, case, response, text):
    if (case.route, case.field) in SHOWN_ON:
        location = response.headers.get("Location", "").split("#")[0]
        pages = [(who, path.format(location=location, **sample)) for who, path in SHOWN_ON[(case.route, case.field)]]
    elif case.route in MONITORING_PAGES:  # a pupil's monitoring: on their chronology and monitoring page
        pupil = sample[MONITORING_PAGES[case.route]]
        pages = [("dsl", f"/pupils/{pupil}/chronology"), ("dsl", f"/pupils/{pupil}/monitoring")]
    else:
        entry_path = (
            response.headers["Location"].split("#")[0] if case.route == LOG else f"/entries/{sample['entry_id']}"
        )
        if case.route == REOPEN:
            entry_path = f"/entries/{sample['closed_entry_id']}"
        pages = [("dsl", entry_path)]
        if (case.route, case.field) not in NOT_IN_CHRONOLOGY:
            pages.append(("dsl", f"/pupils/{sample['pupil_id']}/chronology"))
        pages += LISTED.get((case.route, case.field), ())
    for who, path in pages:
        sign_in_as(client, user_of(sample, who))
        page = client.get(path)
        assert page.status_code == 200, path
        assert_inert(assert_safe(page), text, path)  # shown as text, and no script URL made of it
    if (case.route, case.field) in EXCERPTS and "alert" in text:
        who, path = EXCERPTS[(case.route, case.field)]
        sign_in_as(client, user_of(sample, who))
        page = client.get(path).get_data(as_text=True)
        assert text not in page and "&lt;" in page, f"{path}: the excerpt of {text[:80]!r} is not inert"


# --- any text at all, in the two fields a child's account lives in ---------------------------


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    narrative=st.text(max_size=300) | st.text(" \t\r\n\x00\x1f\u2028", max_size=5), child_words=st.text(max_size=120)
)
def test_any_text_is_saved_and_shown_as_text_or_refused_with_a_message(app, client, world, narrative, child_words):
    sign_in_as(client, world["teacher1"])
    sample = {"pupil_id": world.pupils[0].id, "behaviour_id": world.categories["Behaviour"].id}
    # Text that the plain form page already contains ("<", "</", "<a") proves nothing by
    # appearing in the answer: only text the page would not show by itself is checked.
    skeleton = client.get("/log").get_data(as_text=True)
    before = snapshot(app)
    response = client.post("/log", data={**log_form(sample), "narrative": narrative, "child_words": child_words})
    body = assert_safe(response, [t for t in (narrative, child_words) if t not in skeleton])
    if response.status_code == 422:
        assert "There is a problem" in body
        assert snapshot(app) == before
        return
    assert response.status_code == 303, body[:3000]
    expected = narrative.replace("\x00", "").strip()
    assert expected, "a narrative with nothing in it was saved"
    with app.app_context():
        entry = db.session.get(Entry, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert entry.narrative == expected
        assert (entry.child_words or "") == child_words.replace("\x00", "").strip()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(escape(expected)) in page
