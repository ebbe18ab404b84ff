"""Fixtures: a fresh database per test, a small synthetic trust, factories, a
signed-in client, a real SMTP server, query and row counters and a live server."""

from __future__ import annotations

import gc
import logging
import os
import re
import secrets
import shutil
import socket
import sys
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pyotp
import pytest
from axe_check import axe_violations, with_axe
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.util import LRUCache
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from config import TestConfig
from cpoms import create_app
from cpoms.auth.models import UserSession
from cpoms.auth.sessions import hash_token
from cpoms.demo import ensure_categories
from cpoms.extensions import db
from cpoms.log.operations import create_entry
from cpoms.models import (
    Category,
    Pupil,
    Role,
    RoleAssignment,
    School,
    Trust,
    User,
)
from cpoms.policy import REQUIRES_TWO_FACTOR
from cpoms.timefmt import now_utc

# The permission sweep's sample records and route table, as fixtures and data for every module.
pytest_plugins = ["sweep"]

PASSWORD = "correct horse battery staple"
# Under pytest-xdist each worker has a database of its own (cpoms_test_gw0, ...).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BASE_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
POSTGRES_URL = (
    make_url(BASE_POSTGRES_URL)
    .set(database=f"{make_url(BASE_POSTGRES_URL).database}_{WORKER}")
    .render_as_string(hide_password=False)
    if BASE_POSTGRES_URL
    else ""
)


@cache
def password_hash() -> str:
    """The test users' password hash. Checking a password is slow by design (scrypt, about
    0.1 s of CPU) and the suite signs in with one hundreds of times, so theirs is PBKDF2 at
    one round, which the app checks as it would any hash werkzeug wrote. Passwords the app
    sets (and its dummy check for an unknown account) are scrypt, as in production."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept across the suite's many apps (one per test): the
    bucket key includes the template source's checksum, so an edit is never stale."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


class SharedCompiledSQL(LRUCache):
    """SQLAlchemy's cache of compiled statements, kept across the suite's many engines
    (one per test's app). SQLAlchemy keys an entry by the dialect object, which is new
    with each engine; here by what compiling reads from it, so a statement compiled
    for one test's SQLite (or PostgreSQL) serves the next test's too."""

    @staticmethod
    def _key(key):
        dialect = key[0]
        same = (type(dialect), dialect.paramstyle, dialect.server_version_info, dialect.label_length)
        return (same, *key[1:])

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __setitem__(self, key, value):
        super().__setitem__(self._key(key), value)

    def __contains__(self, key):
        return super().__contains__(self._key(key))


COMPILED_SQL = SharedCompiledSQL(5000)


def _share_url_builders() -> None:
    """werkzeug compiles two URL-building functions per route whenever an app is made
    (about 0.1 s an app, most of a small test's cost). The function depends only on the
    rule's text, its parsed parts and its defaults (the rule itself is bound when called),
    so the suite compiles each once and every test's app binds the same one."""
    original = Rule._compile_builder
    compiled: dict = {}

    def compile_builder(self, append_unknown=True):
        key = (
            self.rule,
            self.merge_slashes,
            tuple(self._trace),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            tuple(
                sorted(
                    (k, type(c), repr({a: v for a, v in vars(c).items() if a != "map"}))
                    for k, c in self._converters.items()
                )
            ),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_builder


_share_url_builders()


# --- the app and its database ------------------------------------------------


@pytest.fixture
def config_overrides(request, tmp_path) -> dict:
    """Tests override this to change the configuration (CSRF is off unless asked for).

    Modules marked `sweep` (every route as every role: tests/sweep.py) run as `make run`
    does with no mail server, so the local mailbox's routes exist to be swept (with a mail
    server, or outside `make run`, they do not); on a fresh in-memory SQLite database per
    test, which keeps the sweep fast (on PostgreSQL when TEST_DATABASE_URL is set)."""
    if request.node.get_closest_marker("sweep") is None:
        return {}
    mailbox = {"MAIL_BACKEND": "mailbox", "MAILBOX_DIR": str(tmp_path / "mailbox")}
    return mailbox if POSTGRES_URL else {"SQLALCHEMY_DATABASE_URI": "sqlite://", **mailbox}


class PageLikeClient(FlaskClient):
    """Posts forms as our pages do: each form that creates a record carries a one-time
    submission key (cpoms/submissions.py), so a posted dict without one is given a fresh
    one. Post submission_key="" to send none; tests/test_submission_keys.py does."""

    def open(self, *args, **kwargs):
        data = kwargs.get("data")
        if kwargs.get("method") == "POST" and isinstance(data, dict) and "submission_key" not in data:
            data = data.copy()  # a MultiDict stays one
            data["submission_key"] = secrets.token_urlsafe(24)
            kwargs["data"] = data
        return super().open(*args, **kwargs)


def make_app(uri: str, **overrides):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = uri
        WTF_CSRF_ENABLED = False
        SQLALCHEMY_ENGINE_OPTIONS = {
            **TestConfig.SQLALCHEMY_ENGINE_OPTIONS,
            "execution_options": {"compiled_cache": COMPILED_SQL},
        }

    for key, value in overrides.items():
        setattr(Config, key, value)
    app = create_app(Config)
    app.test_client_class = PageLikeClient
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


class PostgresCopies:
    """Copies of template databases made ahead, in a thread, while the tests run: a test's
    database becomes pristine by dropping it and renaming a ready copy to its name (both
    quick), instead of waiting for CREATE DATABASE ... TEMPLATE (a copy of the whole
    database, catalogue included). A copy is made from its template and never connected
    to before it is renamed, so it is as pristine as a copy made on the spot."""

    AHEAD = 2

    def __init__(self, admin, prefix: str):
        self.admin = admin
        self.prefix = prefix
        self.ready: dict[str, list[str]] = {}
        self.wanted: list[str] = []
        self.made = 0
        self.failure: BaseException | None = None
        self.closing = False
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._make_copies, name="postgres-copies", daemon=True)
        self.thread.start()

    def execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def prepare(self, template: str) -> None:
        """Start making copies of this template (call once it is complete)."""
        with self.lock:
            self.ready.setdefault(template, [])
            self.wanted.extend([template] * self.AHEAD)
            self.lock.notify_all()

    def replace(self, name: str, template: str) -> None:
        """Make database `name` a pristine copy of `template` (prepared before)."""
        with self.lock:
            while not self.ready[template] and self.failure is None:
                self.lock.wait()
            if self.failure is not None:
                raise RuntimeError("could not copy a template database") from self.failure
            copy = self.ready[template].pop(0)
            self.wanted.append(template)
            self.lock.notify_all()
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'ALTER DATABASE "{copy}" RENAME TO "{name}"')

    def _make_copies(self) -> None:
        while True:
            with self.lock:
                while not self.wanted and not self.closing:
                    self.lock.wait()
                if self.closing:
                    return
                template = self.wanted.pop(0)
                self.made += 1
                copy = f"{self.prefix}_copy{self.made}"
            try:
                self.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                self.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
            except Exception as failure:  # handed to the test waiting for a copy
                with self.lock:
                    if template not in self.ready:
                        continue  # its template was dropped meanwhile: not wanted
                    self.failure = failure
                    self.lock.notify_all()
                return
            with self.lock:
                forgotten = template not in self.ready
                if not forgotten:
                    self.ready[template].append(copy)
                    self.lock.notify_all()
            if forgotten:
                self.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

    def forget(self, template: str) -> None:
        """Stop copying a template and drop its ready copies."""
        with self.lock:
            self.wanted = [t for t in self.wanted if t != template]
            copies = self.ready.pop(template, [])
        for copy in copies:
            self.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

    def close(self) -> None:
        with self.lock:
            self.closing = True
            self.lock.notify_all()
        self.thread.join()
        for template in list(self.ready):
            self.forget(template)


@cache
def postgres_copies() -> PostgresCopies:
    """This worker's maker of database copies (PostgreSQL only), shared by every fixture
    that restores a template; closed when the session ends (pytest_sessionfinish)."""
    admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    return PostgresCopies(admin, make_url(POSTGRES_URL).database)


# Seconds, measured: tests this long go first, so no worker is left with one at the end.
LONG_FIRST = ("test_axe_finds_nothing_on_any_page_in_any_state", "test_who_holds_a_capability_is_whom_access_says_may")


def pytest_collection_finish(session):
    """Every object made so far (the app's modules, the collected tests) moved out of the
    garbage collector's sight: each test leaves an app, an engine and a world behind as
    cyclic garbage, and full collections that walked the whole heap again each time were
    more than half the cost of making a test's app (19 ms to 8 ms an app, measured).
    Garbage is still collected, only not re-examined from the frozen heap up."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items):
    """The browser tests (a second or more each) and the longest few first, the many quick
    tests after: --dist worksteal hands the quick tail to whichever worker is idle, so the
    two workers finish together. Same order on every worker (xdist checks)."""
    items.sort(key=lambda item: (item.originalname not in LONG_FIRST, item.get_closest_marker("browser") is None))


def pytest_sessionfinish(session):
    if POSTGRES_URL and postgres_copies.cache_info().currsize:
        copies = postgres_copies()
        copies.close()
        copies.admin.dispose()


def table_rows(app, skip=frozenset()) -> dict[str, set[tuple]]:
    """Every row of every table but `skip`, as sets of tuples. Through the driver's own
    cursor: rows as the database gives them, without the ORM's per-column processing (a
    tenth of the time; the hostile suites read them twice a case, thousands of cases)."""
    with app.app_context():
        quoted = db.engine.dialect.identifier_preparer.quote
        cursor = db.session.connection().connection.driver_connection.cursor()
        tables = {}
        for name in db.metadata.tables:  # not sorted_tables, which sorts them again on every read
            if name not in skip:
                cursor.execute(f"SELECT * FROM {quoted(name)}")  # nosec B608: the models' own table names
                tables[name] = {tuple(row) for row in cursor.fetchall()}
        cursor.close()
    return tables


# The folders a test's app keeps files in beside its database: kept and restored with it.
FILE_FOLDERS = ("ATTACHMENT_DIR", "SIGNING_KEY_DIR", "MAILBOX_DIR")


class ReadyDatabases:
    """The schema, and the schema with the small trust, each made once per worker by the
    app's own create_all and build_world; every test starts from a copy of one of them
    (a file copy on SQLite; on PostgreSQL a copy made ahead from the template, see
    PostgresCopies), so a test costs its requests, not a schema and a world."""

    def __init__(self, folder):
        self.folder = folder
        if POSTGRES_URL:
            self.copies = postgres_copies()
            name = make_url(POSTGRES_URL).database
            self.names = {False: f"{name}_schema", True: f"{name}_world"}
            self._make(self.names[False], None, world=False)
            self._make(self.names[True], self.names[False], world=True)
            for template in self.names.values():
                self.copies.prepare(template)
        else:
            self.files = {False: folder / "schema.sqlite3", True: folder / "world.sqlite3"}
            self._make_file(self.files[False], None, world=False)
            self._make_file(self.files[True], self.files[False], world=True)
        # Databases kept as a test left them (keep), with the files of its folders and a value
        # (what a fixture made), for later tests of the same worker to start from (restore_kept).
        self.kept: dict = {}

    def _populate(self, uri: str, world: bool) -> None:
        app = make_app(uri)
        with app.app_context():
            if not world:
                db.create_all()
        if world:
            build_world(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    def _make_file(self, path, template, world: bool) -> None:
        if template is not None:
            self._copy_file(template, path)
        self._populate(f"sqlite:///{path}", world)

    @staticmethod
    def _copy_file(source, target) -> None:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)

    def _make(self, name: str, template: str | None, world: bool) -> None:
        self.copies.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.copies.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self._populate(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), world)

    def restore(self, app, uri: str, world: bool) -> bool:
        """Before the app first connects: its database as one of the ready ones. False
        for a database this class does not know (the test then builds its own)."""
        if POSTGRES_URL and uri == POSTGRES_URL:
            self.copies.replace(make_url(POSTGRES_URL).database, self.names[world])
            return True
        if uri.startswith("sqlite:///") and not POSTGRES_URL:
            self._copy_file(self.files[world], uri.removeprefix("sqlite:///"))
            return True
        if uri == "sqlite://" and not POSTGRES_URL:
            # In memory: one connection for the app's whole life (StaticPool).
            with app.app_context(), db.engine.connect() as conn:
                with closing(sqlite3.connect(self.files[world])) as src:
                    src.backup(conn.connection.driver_connection)
            return True
        return False

    @staticmethod
    def fingerprint(app) -> int:
        """Of every row of the app's database: two databases with the same are the same."""
        return hash(frozenset((name, frozenset(rows)) for name, rows in table_rows(app).items()))

    def keep(self, app, key, value) -> None:
        """The app's database as it is now, and its folders' files, kept under `key` with
        `value`, for restore_kept. Only for the databases `restore` makes."""
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        number = len(self.kept)
        with app.app_context():
            db.session.remove()
            if uri == "sqlite://":  # in memory: its one connection stays open (StaticPool)
                copy = sqlite3.connect(":memory:")
                with db.engine.connect() as conn:
                    conn.connection.driver_connection.backup(copy)
            else:
                db.engine.dispose()  # nothing may be connected to the database copied
                if POSTGRES_URL:
                    copy = f"{make_url(POSTGRES_URL).database}_kept{number}"
                    self.copies.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                    self.copies.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{make_url(uri).database}"')
                    self.copies.prepare(copy)
                else:
                    copy = self.folder / f"kept{number}.sqlite3"
                    self._copy_file(uri.removeprefix("sqlite:///"), copy)
        folders = self.folder / f"kept{number}"
        for setting in FILE_FOLDERS:
            if app.config.get(setting) and os.path.isdir(app.config[setting]):
                shutil.copytree(app.config[setting], folders / setting)
        self.kept[key] = (copy, folders, value)

    def restore_kept(self, app, key):
        """The app's database and folders as they were kept under `key`, and the value kept
        with them; None (and nothing changed) when nothing is kept under it."""
        if key not in self.kept:
            return None
        copy, folders, value = self.kept[key]
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            db.session.remove()
            if uri == "sqlite://":
                with db.engine.connect() as conn:
                    copy.backup(conn.connection.driver_connection)
            else:
                db.engine.dispose()
                if POSTGRES_URL:
                    self.copies.replace(make_url(uri).database, copy)
                else:
                    self._copy_file(copy, uri.removeprefix("sqlite:///"))
        for setting in FILE_FOLDERS:
            if (folders / setting).is_dir():
                shutil.copytree(folders / setting, app.config[setting], dirs_exist_ok=True)
        return value

    def close(self) -> None:
        if POSTGRES_URL:
            for name in [*self.names.values(), *(copy for copy, _, _ in self.kept.values())]:
                self.copies.forget(name)
                self.copies.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def ready_databases(tmp_path_factory):
    ready = ReadyDatabases(tmp_path_factory.mktemp("ready-databases"))
    yield ready
    ready.close()


@pytest.fixture
def app(request, tmp_path, config_overrides, ready_databases):
    overrides = {
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "SIGNING_KEY_DIR": str(tmp_path / "signing-keys"),
        "MAILBOX_DIR": str(tmp_path / "mailbox"),  # not the checkout's instance/mailbox
        **config_overrides,
    }
    uri = overrides.pop("SQLALCHEMY_DATABASE_URI", None) or POSTGRES_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = make_app(uri, **overrides)
    # The world fixture (anywhere among the test's fixtures) finds the trust already made.
    wants_world = "world" in request.fixturenames
    if ready_databases.restore(app, uri, wants_world):
        app.extensions["test_world_ready"] = wants_world
    else:
        with app.app_context():
            if POSTGRES_URL:
                db.drop_all()
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
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
SCHOOLS = {"home": ("ashgrove", "Ashgrove Primary School"), "other": ("brookfield", "Brookfield Primary School")}
# (school, first, last, UPN, year group)
PUPILS = [
    ("home", "Amelia", "Hassan", "A204210010001", 4),
    ("home", "Oliver", "Nowak", "A204210010002", 2),
    ("home", "Isla", "Hartley", "A204210010003", 6),
    ("other", "Noah", "Baker", "B205210110001", 3),
]


def person_email(key: str) -> str:
    where = PEOPLE[key][1]
    return f"{key}@{SCHOOLS[where][0] if where in SCHOOLS else 'trust'}.example.org"


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
        school=school,
        first_name=first,
        last_name=last,
        upn=upn,
        year_group=year,
        class_name=f"{year}Oak",
        date_of_birth=date(2026 - 4 - year, 3, 14),
    )
    db.session.add(pupil)
    return pupil


@pytest.fixture
def world(app) -> World:
    if app.extensions.get("test_world_ready"):
        return load_world(app)
    return build_world(app)


def _detached_world(trust, schools, users, pupils, categories, loaded: bool = False) -> World:
    w = World(
        trust,
        schools["home"],
        schools["other"],
        users,
        [p for p in pupils if p.school_id == schools["home"].id],
        [p for p in pupils if p.school_id == schools["other"].id],
        categories,
    )
    # Attributes loaded, then detached, so tests can read ids outside a session (objects just
    # selected have theirs; those just committed are expired, and read again one by one).
    if not loaded:
        for obj in [trust, *schools.values(), *users.values(), *pupils, *categories.values()]:
            db.session.refresh(obj)
    db.session.expunge_all()
    return w


def build_world(app) -> World:
    with app.app_context():
        categories = {c.name: c for c in ensure_categories()}
        trust = Trust(name="Test Trust")
        schools = {key: School(slug=slug, name=name, trust=trust) for key, (slug, name) in SCHOOLS.items()}
        db.session.add_all([trust, *schools.values()])
        db.session.flush()
        users = {}
        for key, (role, where) in PEOPLE.items():
            users[key] = make_user(
                key.replace("_", " ").title(),
                person_email(key),
                roles=[(role, schools.get(where), trust if where == "trust" else None)],
            )
        pupils = [make_pupil(schools[where], first, last, upn, year) for where, first, last, upn, year in PUPILS]
        db.session.commit()
        return _detached_world(trust, schools, users, pupils, categories)


def load_world(app) -> World:
    """The world build_world made in the ready database this test's database copies."""
    with app.app_context():
        trust = db.session.scalar(select(Trust).where(Trust.name == "Test Trust"))
        by_slug = {s.slug: s for s in db.session.scalars(select(School))}
        schools = {key: by_slug[slug] for key, (slug, _) in SCHOOLS.items()}
        by_email = {u.email: u for u in db.session.scalars(select(User))}
        users = {key: by_email[person_email(key)] for key in PEOPLE}
        by_upn = {p.upn: p for p in db.session.scalars(select(Pupil))}
        pupils = [by_upn[upn] for _, _, _, upn, _ in PUPILS]
        categories = {c.name: c for c in db.session.scalars(select(Category).order_by(Category.id))}
        return _detached_world(trust, schools, users, pupils, categories, loaded=True)


@pytest.fixture
def trust_admin(app, world) -> User:
    """An administrator of the whole trust: the role held with no school (trust-wide settings are theirs)."""
    with app.app_context():
        user = make_user("Trust Admin", "admin@trust.example.org", roles=[(Role.ADMIN, None, world.trust)])
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


@pytest.fixture
def make_entry(app, world):
    """Create an entry the way the log form does (alerts queued, not sent)."""

    def factory(
        recorder="teacher1", pupils=None, category="Safeguarding", narrative="Saw a bruise.", occurred_at=None, **extra
    ):
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

    def login(self, user: User | str, password: str = PASSWORD, code: bool = True):
        """The real round trip: the password, then the code when the user is enrolled (a
        user, or an email address)."""
        email = user if isinstance(user, str) else user.email
        response = self.client.post("/login", data={"email": email, "password": password})
        if code and response.headers.get("Location", "").startswith("/login/two-factor"):
            response = self.client.post(response.headers["Location"], data={"code": totp_code(self.app, user)})
        return response

    def as_(self, user: User | None, verified: bool = True, **session_values):
        """Sign in without the password round trip (for permission sweeps): a
        server-side session row, past the two-factor step unless verified=False
        (session_values: more of the row, e.g. a two-factor set-up under way)."""
        with self.client.session_transaction() as session:
            session.clear()
            if user is not None:
                session.update(signed_in(self.app, user.id, verified, **session_values))
        return self.client


def signed_in(app, user_id: int, verified: bool = True, **session_values) -> dict:
    """What the cookie session holds once the sign-in form has done its work: the token of
    a new server-side session row, past the two-factor step when `verified`."""
    token = secrets.token_urlsafe(16)
    with app.app_context():
        now = now_utc()
        db.session.add(
            UserSession(
                token_hash=hash_token(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                two_factor_at=now if verified else None,
                **session_values,
            )
        )
        db.session.commit()
    return {"_user_id": token, "_fresh": True}


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


class _CountingCursor:
    """A DB-API cursor that adds the rows fetched through it to its statement's tally."""

    def __init__(self, cursor, tally: list):
        self._cursor, self._tally = cursor, tally

    def _add(self, rows):
        self._tally[1] += len(rows)
        return rows

    def fetchone(self):
        row = self._cursor.fetchone()
        return row if row is None else self._add([row])[0]

    def fetchmany(self, *size):
        return self._add(self._cursor.fetchmany(*size))

    def fetchall(self):
        return self._add(self._cursor.fetchall())

    def __getattr__(self, name):
        return getattr(self._cursor, name)


@pytest.fixture
def count_rows(app):
    """Rows fetched from the database: yields [statement, rows] pairs, one per statement.
    The result reads the cursor after the execute events, so a wrapper there sees every fetch."""

    @contextmanager
    def counter():
        fetched: list[list] = []

        def after(conn, cursor, statement, parameters, context, executemany):
            fetched.append(tally := [statement, 0])
            context.cursor = _CountingCursor(cursor, tally)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "after_cursor_execute", after)
        try:
            yield fetched
        finally:
            event.remove(engine, "after_cursor_execute", after)

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


LIVE_APPS: dict[str, object] = {}  # a live server's address -> the app it serves


@contextmanager
def serving(wsgi_app):
    """`wsgi_app` served on a free port, in a thread; yields its address."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def live_server(app):
    with serving(with_axe(app)) as base:
        LIVE_APPS[base] = app
        yield base
        LIVE_APPS.pop(base, None)


# Debian's headless Chromium (the package chromium-headless-shell): the same engine as the
# chromium package without a browser's window around it, as Playwright itself runs headless
# Chromium. The full browser, headless, still builds and runs its window's parts (the address
# bar's pop-up pages, each in a renderer of its own): a quarter of the browser tests' CPU,
# the suite's time down from 281 s to 264 s (docs/operations.md).
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"  # the binary; /usr/bin's is a shell wrapper
CHROMIUM_PACKAGE = "chromium-headless-shell"
CDN_HOST = "unpkg.com"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        # CI sets CPOMS_REQUIRE_BROWSER=1: there a missing Chromium is a failure, not a skip.
        if os.environ.get("CPOMS_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"CPOMS_REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM} (apt-get install {CHROMIUM_PACKAGE})",
                pytrace=False,
            )
        pytest.skip(
            f"Debian's headless Chromium is not installed (apt-get install {CHROMIUM_PACKAGE}); .ci/run installs it"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # The CDN that serves htmx cannot be reached, as from many school intranets: pages
            # must start on the copy we ship. Refused by the browser's own resolver, not by a
            # Playwright route: a route sends every request through the driver and turns the
            # browser's cache off (a fifth of the suite's browser time).
            f"--host-resolver-rules=MAP {CDN_HOST} ~NOTFOUND",
        ],
    }


# The browser tests' shared pieces. The htmx <script> points at a CDN this machine (and many
# school intranets) cannot reach: the browser cannot resolve its name (see the launch
# arguments), so every page must start on the copy we ship in static/js/htmx.min.js.
# Screenshots go to test-artifacts/screenshots/ (keep_screenshot).

CDN = f"https://{CDN_HOST}/**"
VIEWPORT = {"width": 768, "height": 1024}  # a classroom tablet, portrait
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = SCREENSHOTS.parent.parent / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("CPOMS_UPDATE_SCREENSHOTS") == "1"  # `make screenshots`
SCHOOL = "ashgrove.example.org"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, with short timeouts."""
    page.set_default_timeout(10_000)
    return page


def open_page(page: Page, url: str, javascript: bool = True) -> None:
    """The page at `url`; where the page runs JavaScript, with htmx started from our copy."""
    page.goto(url)
    if javascript:
        assert_htmx_loaded(page)


def assert_htmx_loaded(page: Page) -> None:
    """The CDN was refused, so htmx must come from our fallback, and start."""
    page.wait_for_function("() => window.htmx !== undefined", timeout=5_000)
    # Our <meta name="htmx-config"> is read only when htmx initialises the page:
    # this proves the local copy started, not just that it was downloaded.
    try:
        page.wait_for_function("() => htmx.config.includeIndicatorStyles === false", timeout=5_000)
    except PlaywrightTimeout:
        raise AssertionError("htmx loaded but never initialised the page") from None


def sign_in(page: Page, base: str, who: str, app=None, javascript: bool = True) -> None:
    """Signed in as `who` on the home page: past the code step when `app` is given, as
    after the authenticator's code. The session the form would start, set as the browser's
    cookie: four page loads fewer a test. The form itself is driven where a test is about
    signing in (sign_in_with_the_form, fill_sign_in): the tablet journeys, the admin's,
    drafts and time-outs."""
    add_session_cookie(page.context, base, who, verified=app is not None)
    open_page(page, f"{base}/", javascript)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_in_with_the_form(page: Page, base: str, who: str, app=None, javascript: bool = True) -> None:
    """The sign-in form, then (for roles that need it: pass the app) the code from the
    authenticator, computed as the app on a phone would. `who` is a name at SCHOOL or an
    address."""
    open_page(page, f"{base}/login", javascript)
    fill_sign_in(page, who, app)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def add_session_cookie(context, base: str, who: str, verified: bool) -> None:
    app = LIVE_APPS[base]
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == f"{who}@{SCHOOL}"))
    values = signed_in(app, user_id, verified)
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).dumps(values)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": base}])


def fill_sign_in(page: Page, who: str, app=None) -> None:
    address = who if "@" in who else f"{who}@{SCHOOL}"
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if app is not None:
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Code").fill(totp_code(app, address))
        page.get_by_role("button", name="Continue").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.fixture
def teacher_enrolled(app, world):
    """teacher1 with two-factor sign-in, so the journeys can open the entries they log
    (an unenrolled teacher logs but reads nothing: test_draft_... covers that one)."""
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == world["teacher1"].id)
            .values(totp_secret=pyotp.random_base32(), totp_enrolled_at=now_utc())
        )
        db.session.commit()
    return app


@pytest.fixture
def staff_enrolled(app, world):
    """teacher2 with two-factor sign-in: a session that reads what it is given."""
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == world["teacher2"].id)
            .values(totp_secret=pyotp.random_base32(), totp_enrolled_at=now_utc())
        )
        db.session.commit()
    return app


def set_marker(page: Page) -> None:
    """A value on window survives htmx swaps but not a full page load."""
    page.evaluate("() => { window.__noReload = 'still here'; }")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("() => window.__noReload") == "still here", "the page was reloaded"


class Counter:
    """Drives the page the way a person does, counting clicks (taps) and keystrokes."""

    def __init__(self):
        self.clicks = 0
        self.keys = 0
        self.free_text_keys = 0

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1

    def type(self, locator, text: str, free_text: bool = False) -> None:
        self.click(locator)  # tap into the field
        locator.press_sequentially(text)
        self.keys += len(text)
        if free_text:
            self.free_text_keys += len(text)


@pytest.fixture
def nojs(new_context, live_server, world, teacher_enrolled) -> Page:
    return signed_in_browser(new_context, live_server, "teacher1", teacher_enrolled, javascript=False)


def signed_in_browser(new_context, base: str, who: str, app, javascript: bool = True) -> Page:
    """A page of a context of its own (JavaScript on or off), signed in as sign_in is."""
    context = new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, who, app, javascript)
    return page


def find_and_add(page: Page, base: str, name: str, typed: str) -> None:
    page.goto(f"{base}/log")
    page.get_by_label("Find a pupil by name or UPN").fill(typed)
    page.get_by_role("button", name="Find", exact=True).click()
    result = page.locator("#pupil-results li", has_text=name)
    expect(result).to_have_count(1)
    result.get_by_text("Add", exact=True).click()
    chip = page.get_by_role("list", name="Pupils on this entry").get_by_role("checkbox", name=re.compile(name))
    expect(chip).to_be_checked()


def keep_screenshot(page: Page, name: str, full_page: bool = True, docs: bool = False) -> Path:
    """The page as the test left it, as test-artifacts/screenshots/<name>.png, for a person to
    open. A picture the docs show (docs=True) is copied to docs/screenshots/ under `make
    screenshots` only (its tests carry the docs_screenshots mark): a test run never rewrites
    committed files."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    if docs and UPDATE_DOCS:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def check_page(page: Page, name: str, problems: list[str], javascript: bool = True, docs: bool = False) -> None:
    """A screenshot of the page as it is (keep_screenshot), and what axe-core finds on it
    (tests/axe_check.py): axe runs as a script in the page, so only where the page runs
    JavaScript."""
    keep_screenshot(page, name, docs=docs)
    if javascript:
        problems += axe_violations(page, name)


@pytest.fixture
def family(app, world):
    """Amelia (pupils[0]) and Oliver (pupils[1]) are siblings; so, by the same MIS family id,
    is a pupil at the other school (another family there), and a sibling who has left."""
    with app.app_context():
        db.session.execute(
            update(Pupil).where(Pupil.id.in_([world.pupils[0].id, world.pupils[1].id])).values(family_id="F100")
        )
        elsewhere = make_pupil(
            db.session.get(type(world.other_school), world.other_school.id), "Zara", "Hassan", "B205210110009"
        )
        elsewhere.family_id = "F100"
        left = make_pupil(db.session.get(type(world.school), world.school.id), "Yasmin", "Hassan", "A204210010009")
        left.family_id, left.active = "F100", False
        db.session.commit()


@pytest.fixture
def keep_logging():
    """env.py runs logging.config.fileConfig(alembic.ini), which disables every
    existing logger and replaces the root handlers: put them back for later tests."""
    manager = logging.root.manager
    saved = {
        name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
        for name, lg in manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    root = (logging.root.level, list(logging.root.handlers))
    yield
    for name, lg in list(manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        if name in saved:
            lg.disabled, lg.level, lg.handlers[:], lg.propagate = saved[name]
        else:
            lg.disabled = False
    added = [h for h in logging.root.handlers if h not in root[1]]
    logging.root.setLevel(root[0])
    logging.root.handlers[:] = root[1]
    for handler in added:
        handler.close()


@pytest.fixture
def empty_app(tmp_path, keep_logging):
    """An app on an empty database: a new SQLite file, or PostgreSQL with every table dropped."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = POSTGRES_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"

    if POSTGRES_URL:
        ensure_postgres_database()
    app = create_app(Config)
    with app.app_context():
        drop_everything()
    yield app
    with app.app_context():
        db.session.remove()
        if POSTGRES_URL:
            drop_everything()
        db.engine.dispose()


def ensure_postgres_database() -> None:
    """This worker's database: the other tests' fixtures make it when they first run, so it
    is missing when this module runs first."""
    url = make_url(POSTGRES_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}) is None:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def drop_everything() -> None:
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def no_js(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def cast(app, world) -> dict[str, User]:
    """The headteacher and the chair of governors of ashgrove."""
    school_id = world.school.id
    with app.app_context():
        head = make_user("Hana Head", "head@ashgrove.example.org", two_factor=True)
        chair = make_user("Charles Chair", "chair@ashgrove.example.org", two_factor=True)
        head.roles.append(RoleAssignment(role=Role.HEADTEACHER, school_id=school_id))
        chair.roles.append(RoleAssignment(role=Role.CHAIR_OF_GOVERNORS, school_id=school_id))
        db.session.commit()
        for user in (head, chair):
            db.session.refresh(user)
            db.session.expunge(user)
    return {"head": head, "chair": chair}


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """A test worker (pytest-xdist) that has reported its results ends at once: tearing down
    its heap object by object, as an interpreter does on exit, took 4 s at the end of every run."""
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
