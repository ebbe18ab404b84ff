"""Mechanics of the hostile-input suite: how a table row becomes a request, and
what every answer to hostile input must satisfy. The tables themselves live in
test_hostile_input.py and test_hostile_requests.py, where others add rows."""

from __future__ import annotations


import os
import re
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from cpoms.auth.models import UserSession
from cpoms.extensions import db

from conftest import POSTGRES_URL, Auth, ReadyDatabases, build_world, make_app, postgres_copies, table_rows

# Refusals are audited: the audit log (its events and the head of its hash chain)
# is what a refused request may add to.
# Answers that are not pages (a PDF export, a transfer pack, attachments): no markup to check.
BINARY = {
    "application/pdf",
    "application/zip",
    "image/png",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/octet-stream",  # a file of a received pack, downloaded as it came (cpoms/packs/)
}
AUDIT_TABLES = frozenset({"audit_events", "audit_chain_head"})
ATTACHMENT_FILES = "attachment files"  # in snapshots: the files' tables (attachment_blobs, staged_files)
FILE_TABLES = ("attachment_blobs", "staged_files")
SCRIPT_URL = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*(?:javascript|vbscript|data):""", re.I)
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|werkzeug\.debug")


@dataclass(frozen=True)
class P:
    """A hostile value and a short name for test ids. `value` is text, a list of
    texts (the field sent several times), None (the field left out), or a function
    of the sample records (ids of other schools' pupils, a time relative to now)."""

    label: str
    value: Any

    def resolve(self, sample: dict):
        return self.value(sample) if callable(self.value) else self.value


@dataclass(frozen=True)
class Expect:
    """What a hostile request must get. Every answer also passes `assert_safe`."""

    statuses: tuple[int, ...]
    message: str | None = None  # shown on the page: the validation message or error page text
    saved: bool = False  # a legitimate save of hostile text: stored as typed, shown escaped
    # Rows are written (saved implies it): True, to the route's tables; or the only
    # tables this answer may write to (a failed sign-in counts the failure, nothing else).
    writes: bool | frozenset[str] = False
    location: str | None = None  # where a redirect must lead
    link: str | None = None  # where the page's way back leads (the /hidden page), and no link leaves the site


@dataclass(frozen=True)
class Route:
    """How to make a valid request to one (endpoint, method); cases change one field of it."""

    who: str | None = "dsl"  # the signed-in user (None: anonymous)
    verified: bool = True  # their session passed the two-factor step
    ids: dict[str, str] = field(default_factory=dict)  # URL argument -> key of the sample record
    data: Callable[[dict], dict] = lambda s: {}  # a valid form (POST) or query (GET)
    headers: dict[str, str] = field(default_factory=dict)
    writes: frozenset[str] = frozenset()  # tables a valid POST adds to or changes
    session: dict = field(default_factory=dict)  # more of the signed-in session's row


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]  # (endpoint, method), as in app.url_map
    field: str  # a form field; "?name" a query parameter of a POST; "header:Name"; a URL argument
    value: P
    expect: Expect
    who: str | None | bool = False  # False: the route's user
    extra: dict | None = None  # other fields of the valid body to change (e.g. the kind)

    @property
    def id(self) -> str:
        endpoint, method = self.route
        who = "" if self.who is False else f"-as-{self.who or 'anonymous'}"
        return f"{method}-{endpoint}-{self.field}-{self.value.label}{who}"


# --- requests ------------------------------------------------------------------------


def rule_for(app, endpoint: str, method: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == endpoint and method in rule.methods:
            return rule
    raise AssertionError(f"no rule serves {method} {endpoint}")


def build_path(app, endpoint: str, method: str, ids: dict, sample: dict, override: dict | None = None) -> str:
    """The rule's path with its arguments filled in, raw: a hostile argument goes in as it is."""
    rule = rule_for(app, endpoint, method)
    override = override or {}
    missing = set(rule.arguments) - set(ids) - set(override)
    assert not missing, f"{endpoint}: say which sample record fills URL argument(s) {missing}"
    path = rule.rule
    for arg in rule.arguments:
        value = override[arg] if arg in override else sample[ids[arg]]
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", lambda _: quote(str(value), safe="/%"), path)
    return path


HEADER = "header:"


def request_for(app, routes: dict, sample: dict, case: Case) -> dict:
    """Keyword arguments for client.open(): the route's valid request with the case's field made hostile."""
    endpoint, method = case.route
    spec = routes[case.route]
    rule = rule_for(app, endpoint, method)
    value = case.value.resolve(sample)
    name = case.field.format(**sample)  # a field named by a record's id: "description_{behaviour_id}"
    data = {**spec.data(sample), **(case.extra or {})}
    query: dict = {}
    # A case's extra may fill a URL argument too (which follow-up kind the address names).
    override = {arg: data.pop(arg) for arg in rule.arguments if arg in (case.extra or {})}
    headers = dict(spec.headers)
    if name.startswith(HEADER):
        _put(headers, name[len(HEADER) :], value)
    elif name in rule.arguments:
        override[name] = value
    elif name.startswith("?") or method == "GET":
        target = query if method != "GET" else data
        _put(target, name.lstrip("?"), value)
    else:
        _put(data, name, value)
    if method == "GET":
        query, data = data, {}
    return {
        "path": build_path(app, endpoint, method, spec.ids, sample, override),
        "method": method,
        "query_string": query,
        "data": data,
        "headers": headers,
    }


def _put(target: dict, name: str, value) -> None:
    if value is None:
        target.pop(name, None)
    else:
        target[name] = value


def sign_in_as(client, user, verified: bool = True, session: dict | None = None) -> None:
    """As tests/conftest.py's auth.as_: a server-side session row, past the two-factor
    step unless verified=False (None: nobody signed in)."""
    Auth(client.application, client).as_(user, verified=verified, **(session or {}))


# --- what every answer must satisfy -------------------------------------------------------


def snapshot(app) -> dict[str, set[tuple]]:
    """Every row of every table but the audit log (the files' tables as one, the attachment
    files): "nothing written" means this is unchanged."""
    tables = table_rows(app, skip=AUDIT_TABLES)
    tables[ATTACHMENT_FILES] = {(name, *row) for name in FILE_TABLES for row in tables.pop(name)}
    return tables


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def new_rows(before: dict, after: dict) -> list[tuple]:
    return [row for name in after for row in after[name] - before[name]]


def assert_safe(response, hostile=None) -> str:
    """Never a server error, never a stack trace, and hostile markup never comes back as markup."""
    if response.mimetype in BINARY:  # a PDF export: nothing in it is read by a browser as a page
        assert response.status_code < 500
        return ""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:2000]
    assert not STACK_TRACE.search(body), body[:2000]
    assert not SCRIPT_URL.search(body), f"a script URL in a link: {SCRIPT_URL.search(body).group()}"
    for text in _texts(hostile):
        if "<" in text:
            assert text not in body, f"reflected unescaped: {text[:80]!r}"
    return body


def assert_inert(body: str, text: str, where: str) -> None:
    """Saved text shows as text: markup escaped, never a tag. (Escaped by Jinja or by
    the Markdown renderer, which spell a quote differently.)"""
    if "<" in text:
        assert text not in body, f"{where}: {text[:80]!r} rendered as markup"
    assert text in unescape(body), f"{where}: {text[:80]!r} not shown (escaped) at all"


HREF = re.compile(r"""\bhref\s*=\s*["']([^"']*)["']""", re.I)


def assert_links_back_to(body: str, target: str) -> None:
    """The page's way back leads to `target`, and no link on it leaves the site."""
    links = [unescape(href) for href in HREF.findall(body)]
    assert target in links, f"no link to {target!r} among {links}"
    leaving = [
        link
        for link in links
        if urlsplit(link).netloc or urlsplit(link).scheme or link.lstrip().startswith(("//", "\\", "/\\"))
    ]
    assert not leaving, f"links off the site: {leaving}"


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


# --- the forms and links a page offers ------------------------------------------------------

TEXT_INPUTS = {None, "text", "search", "email", "password", "url", "tel"}


class FormInputs(HTMLParser):
    """(method, url, name, is_text) for every named control of every form on a page,
    every control that htmx sends on its own (hx-get/hx-post), and every query
    parameter of every link."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.form: tuple[str, str] | None = None
        self.found: set[tuple[str, str, str, bool]] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = ((a.get("method") or "get").upper(), a.get("action") or self.page_url)
            return
        if tag == "a" and a.get("href"):
            url = urlsplit(a["href"])
            if not url.netloc:
                for name, _ in parse_qsl(url.query, keep_blank_values=True):
                    self.found.add(("GET", url.path, name, False))
            return
        name = a.get("name")
        if tag not in ("input", "textarea", "select", "button") or not name:
            return
        is_text = tag == "textarea" or (tag == "input" and a.get("type") in TEXT_INPUTS)
        if self.form:
            method, action = self.form
            self.found.add((method, urlsplit(action).path or urlsplit(self.page_url).path, name, is_text))
        for attr, method in (("hx-get", "GET"), ("hx-post", "POST")):
            if a.get(attr):
                self.found.add((method, urlsplit(a[attr]).path, name, is_text))

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


def form_inputs(html: str, page_url: str) -> set[tuple[str, str, str, bool]]:
    parser = FormInputs(page_url)
    parser.feed(html)
    return parser.found


REQUEST_READS = re.compile(
    r"request\.(?:args|values|form)\.(?:get|getlist)\(\s*[\"']([^\"']+)[\"']"
    r"|[\"']([^\"']+)[\"']\s+(?:not\s+)?in\s+request\.(?:args|values|form)\b"
)


def parameters_read_in(source: str) -> set[str]:
    """Names the code reads from the request directly (not through a form class)."""
    return {a or b for a, b in REQUEST_READS.findall(source)}


class Pristine:
    """The app, its world and the sample records, made once per test module (SQLite in
    memory, or this worker's PostgreSQL database); each test starts from a copy of that
    database (sqlite3's backup API; on PostgreSQL a copy of it kept as a template, made
    ahead by conftest's PostgresCopies), so a case costs its requests, not an app, a
    schema and a world."""

    def __init__(self, overrides: dict, make_sample: Callable):
        self.files = tempfile.mkdtemp(prefix="hostile-attachments-")
        self.mailbox = tempfile.mkdtemp(prefix="hostile-mailbox-")

        # As `make run` with no mail server: the local mailbox's routes exist, to be swept
        # (tests/test_permissions.py does the same). Its letters are files of their own, apart
        # from the attachments' (whose files count as a table written).
        if POSTGRES_URL:
            self.name = make_url(POSTGRES_URL).database
            self.template = f"{self.name}_pristine"
            postgres_copies().execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            postgres_copies().execute(f'CREATE DATABASE "{self.name}"')
        self.app = make_app(
            POSTGRES_URL or "sqlite://",
            ATTACHMENT_DIR=self.files,
            MAIL_BACKEND="mailbox",
            MAILBOX_DIR=self.mailbox,
            SIGNING_KEY_DIR=os.path.join(self.files, "signing-keys"),
            **overrides,
        )
        with self.app.app_context():
            db.create_all()
        self.world = build_world(self.app)
        self.sample = make_sample(self.app, self.world)
        self.copy = None
        if POSTGRES_URL:
            self._disconnect()
            copies = postgres_copies()
            copies.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            copies.execute(f'CREATE DATABASE "{self.template}" TEMPLATE "{self.name}"')
            copies.prepare(self.template)
            with self.app.app_context():
                self.sessions_made = db.session.scalar(select(func.max(UserSession.id))) or 0
            self.as_made = ReadyDatabases.fingerprint(self.app)
        else:
            self.copy = sqlite3.connect(":memory:")
            with self._database() as live:
                live.backup(self.copy)

    def _disconnect(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    @contextmanager
    def _database(self):
        """The in-memory database's one sqlite3 connection (Flask-SQLAlchemy's StaticPool)."""
        with self.app.app_context():
            db.session.remove()
            with db.engine.connect() as connection:
                yield connection.connection.driver_connection

    def restore(self) -> None:
        if POSTGRES_URL:
            if self._unchanged():
                return
            self._disconnect()
            postgres_copies().replace(self.name, self.template)
            return
        with self._database() as live:
            self.copy.backup(live)

    def _unchanged(self) -> bool:
        """On PostgreSQL a copy costs a case 50 ms; reading every row, 6 ms. Half the cases
        write nothing (not even an audit event) but the session row their sign-in added:
        without it, their database is row for row the one the copy would give."""
        with self.app.app_context():
            db.session.execute(delete(UserSession).where(UserSession.id > self.sessions_made))
            db.session.commit()
        return ReadyDatabases.fingerprint(self.app) == self.as_made

    def close(self) -> None:
        self._disconnect()
        if POSTGRES_URL:
            copies = postgres_copies()
            copies.forget(self.template)
            copies.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        if self.copy is not None:
            self.copy.close()
        shutil.rmtree(self.files, ignore_errors=True)
        shutil.rmtree(self.mailbox, ignore_errors=True)
