"""Fixtures: a fresh database per test, a small synthetic trust, factories, a
signed-in client, a real SMTP server, a query counter and a live server."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from config import TestConfig
from cpoms import create_app
from cpoms.auth.sessions import hash_token
from cpoms.demo import ensure_categories
from cpoms.extensions import db
from cpoms.log.operations import create_entry
from cpoms.models import Category, Pupil, Role, RoleAssignment, School, Trust, User, UserSession
from cpoms.policy import REQUIRES_TWO_FACTOR
from cpoms.timefmt import now_utc

PASSWORD = "correct horse battery staple"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


@cache
def password_hash() -> str:
    # Hashing is slow by design: hash once for every test user.
    return generate_password_hash(PASSWORD)


# --- the app and its database ------------------------------------------------

@pytest.fixture
def config_overrides() -> dict:
    """Tests override this to change the configuration (CSRF is off unless asked for)."""
    return {}


@pytest.fixture
def app(tmp_path, config_overrides):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = POSTGRES_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
        WTF_CSRF_ENABLED = False
        ATTACHMENT_DIR = str(tmp_path / "attachments")

    for key, value in config_overrides.items():
        setattr(Config, key, value)
    app = create_app(Config)
    with app.app_context():
        if POSTGRES_URL:
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if POSTGRES_URL:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield


# --- a small synthetic trust -------------------------------------------------

@dataclass
class World:
    trust: Trust
    school: School
    other_school: School
    users: dict[str, User] = field(default_factory=dict)
    pupils: list[Pupil] = field(default_factory=list)
    other_pupils: list[Pupil] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)

    def __getitem__(self, key: str) -> User:
        return self.users[key]


# who: (role, at which school: "home", "other" or "trust")
PEOPLE = {
    "teacher1": (Role.STAFF, "home"),
    "teacher2": (Role.STAFF, "home"),
    "dsl": (Role.DSL, "home"),
    "deputy": (Role.DEPUTY_DSL, "home"),
    "slt": (Role.SLT, "home"),
    "governor": (Role.GOVERNOR, "home"),
    "admin": (Role.ADMIN, "home"),
    "other_dsl": (Role.DSL, "other"),
    "other_teacher": (Role.STAFF, "other"),
    "trust_rep": (Role.TRUST_REP, "trust"),
}


def make_user(name: str, email: str, roles=(), active: bool = True, two_factor: bool | None = None) -> User:
    """A user; enrolled in two-factor sign-in when a role needs it (or when asked)."""
    user = User(email=email, name=name, password_hash=password_hash(), active=active)
    for role, school, trust in roles:
        user.roles.append(RoleAssignment(role=role, school=school, trust_id=trust.id if trust else None))
    if two_factor if two_factor is not None else any(role in REQUIRES_TWO_FACTOR for role, _, _ in roles):
        user.totp_secret = pyotp.random_base32()
        user.totp_enrolled_at = now_utc()
    db.session.add(user)
    return user


def make_pupil(school: School, first: str, last: str, upn: str, year: int = 3) -> Pupil:
    pupil = Pupil(
        school=school, first_name=first, last_name=last, upn=upn, year_group=year,
        class_name=f"{year}Oak", date_of_birth=date(2026 - 4 - year, 3, 14),
    )
    db.session.add(pupil)
    return pupil


@pytest.fixture
def world(app) -> World:
    return build_world(app)


def build_world(app) -> World:
    with app.app_context():
        categories = {c.name: c for c in ensure_categories()}
        trust = Trust(name="Test Trust")
        home = School(slug="ashgrove", name="Ashgrove Primary School", trust=trust)
        other = School(slug="brookfield", name="Brookfield Primary School", trust=trust)
        db.session.add_all([trust, home, other])
        db.session.flush()
        users = {}
        for key, (role, where) in PEOPLE.items():
            school = {"home": home, "other": other}.get(where)
            slug = school.slug if school else "trust"
            users[key] = make_user(
                key.replace("_", " ").title(), f"{key}@{slug}.example.org",
                roles=[(role, school, trust if where == "trust" else None)],
            )
        pupils = [
            make_pupil(home, "Amelia", "Hassan", "A204210010001", 4),
            make_pupil(home, "Oliver", "Nowak", "A204210010002", 2),
            make_pupil(home, "Isla", "Hartley", "A204210010003", 6),
        ]
        other_pupils = [make_pupil(other, "Noah", "Baker", "B205210110001", 3)]
        db.session.commit()
        w = World(trust, home, other, users, pupils, other_pupils, categories)
        # Detach-safe: expunge nothing, but make attributes loaded so tests can read ids.
        for obj in [trust, home, other, *users.values(), *pupils, *other_pupils, *categories.values()]:
            db.session.refresh(obj)
        db.session.expunge_all()
        return w


@pytest.fixture
def make_entry(app, world):
    """Create an entry the way the log form does (alerts queued, not sent)."""

    def factory(recorder="teacher1", pupils=None, category="Safeguarding", narrative="Saw a bruise.",
                occurred_at=None, **extra):
        with app.test_request_context():
            recorded_by = db.session.get(User, world[recorder].id)
            chosen = [db.session.get(Pupil, p.id) for p in (pupils or world.pupils[:1])]
            entry = create_entry(
                recorded_by=recorded_by,
                pupils=chosen,
                category=db.session.get(Category, world.categories[category].id),
                source=extra.get("source", "staff_observation"),
                occurred_at=occurred_at or now_utc() - timedelta(minutes=30),
                narrative=narrative,
                child_words=extra.get("child_words"),
                told_dsl_in_person=extra.get("told_dsl_in_person", False),
            )
            db.session.commit()
            return entry.id

    return factory


# --- signing in --------------------------------------------------------------

def totp_code(app, user: User | str) -> str:
    """The code an authenticator app shows (for a user, or an email address), for a
    time step the server has not seen used yet (signing in twice within 30 s takes
    the next step's code)."""
    with app.app_context():
        if isinstance(user, str):
            fresh = db.session.scalar(select(User).where(User.email == user.strip().lower()))
        else:
            fresh = db.session.get(User, user.id)
        secret, last = fresh.totp_secret, fresh.totp_last_step
    step = int(time.time() // 30)
    if last is not None and last >= step:
        step = last + 1
    return pyotp.TOTP(secret).at(step * 30)


class Auth:
    def __init__(self, app, client):
        self.app = app
        self.client = client

    def login(self, user: User, password: str = PASSWORD, code: bool = True):
        """The real round trip: the password, then the code when the user is enrolled."""
        response = self.client.post("/login", data={"email": user.email, "password": password})
        if code and response.headers.get("Location", "").startswith("/login/two-factor"):
            response = self.client.post(response.headers["Location"], data={"code": totp_code(self.app, user)})
        return response

    def as_(self, user: User | None, verified: bool = True):
        """Sign in without the password round trip (for permission sweeps): a
        server-side session row, past the two-factor step unless verified=False."""
        token = secrets.token_urlsafe(16)
        if user is not None:
            with self.app.app_context():
                now = now_utc()
                db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id, created_at=now,
                                           last_seen_at=now, two_factor_at=now if verified else None))
                db.session.commit()
        with self.client.session_transaction() as session:
            session.clear()
            if user is not None:
                session["_user_id"] = token
                session["_fresh"] = True
        return self.client


@pytest.fixture
def auth(app, client) -> Auth:
    return Auth(app, client)


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


# --- counting SQL ------------------------------------------------------------

@pytest.fixture
def count_queries(app):
    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter


# --- a real SMTP server ------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        return sorted(r for m in self.messages for r in m.rcpt_tos)


class SMTPServer:
    """aiosmtpd on a fixed port that can be stopped and started again (an outage)."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = smtp.port
    return app


# --- a live server for the browser --------------------------------------------

@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); .ci/run installs it")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }

