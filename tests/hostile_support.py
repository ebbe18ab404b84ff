"""Mechanics of the hostile-input suite: how a table row becomes a request, and
what every answer to hostile input must satisfy. The tables themselves live in
test_hostile_input.py and test_hostile_requests.py, where others add rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

from jinja2 import BytecodeCache
from markupsafe import escape
from sqlalchemy import select

from cpoms.extensions import db

AUDIT_TABLE = "audit_events"  # refusals are audited: the one table a refused request may add to
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
    saved: bool = False         # a legitimate save of hostile text: stored as typed, shown escaped
    writes: bool = False        # rows are written (saved implies it)
    location: str | None = None  # where a redirect must lead


@dataclass(frozen=True)
class Route:
    """How to make a valid request to one (endpoint, method); cases change one field of it."""

    who: str | None = "dsl"                      # the signed-in user (None: anonymous)
    ids: dict[str, str] = field(default_factory=dict)  # URL argument -> key of the sample record
    data: Callable[[dict], dict] = lambda s: {}  # a valid form (POST) or query (GET)
    headers: dict[str, str] = field(default_factory=dict)
    writes: frozenset[str] = frozenset()         # tables a valid POST adds to or changes


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]  # (endpoint, method), as in app.url_map
    field: str              # a form field; "?name" a query parameter of a POST; a URL argument
    value: P
    expect: Expect
    who: str | None | bool = False  # False: the route's user
    extra: dict | None = None       # other fields of the valid body to change (e.g. the kind)

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


def request_for(app, routes: dict, sample: dict, case: Case) -> dict:
    """Keyword arguments for client.open(): the route's valid request with the case's field made hostile."""
    endpoint, method = case.route
    spec = routes[case.route]
    rule = rule_for(app, endpoint, method)
    value = case.value.resolve(sample)
    data = {**spec.data(sample), **(case.extra or {})}
    query: dict = {}
    override = {}
    if case.field in rule.arguments:
        override[case.field] = value
    elif case.field.startswith("?") or method == "GET":
        target = query if method != "GET" else data
        _put(target, case.field.lstrip("?"), value)
    else:
        _put(data, case.field, value)
    if method == "GET":
        query, data = data, {}
    return {
        "path": build_path(app, endpoint, method, spec.ids, sample, override),
        "method": method,
        "query_string": query,
        "data": data,
        "headers": spec.headers,
    }


def _put(target: dict, name: str, value) -> None:
    if value is None:
        target.pop(name, None)
    else:
        target[name] = value


def sign_in_as(client, user) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True


# --- what every answer must satisfy -------------------------------------------------------

def snapshot(app) -> dict[str, set[tuple]]:
    """Every row of every table but the audit log: "nothing written" means this is unchanged."""
    with app.app_context():
        return {
            table.name: {tuple(row) for row in db.session.execute(select(table))}
            for table in db.metadata.sorted_tables
            if table.name != AUDIT_TABLE
        }


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def new_rows(before: dict, after: dict) -> list[tuple]:
    return [row for name in after for row in after[name] - before[name]]


def assert_safe(response, hostile=None) -> str:
    """Never a server error, never a stack trace, and hostile markup never comes back as markup."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:2000]
    assert not STACK_TRACE.search(body), body[:2000]
    for text in _texts(hostile):
        if "<" in text:
            assert text not in body, f"reflected unescaped: {text[:80]!r}"
    return body


def assert_inert(body: str, text: str, where: str) -> None:
    """Hostile markup that was saved shows as text: escaped, never as a tag."""
    assert text not in body, f"{where}: {text[:80]!r} rendered as markup"
    assert str(escape(text)) in body, f"{where}: {text[:80]!r} not shown (escaped) at all"


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


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept across the suite's many apps (one per case): the
    bucket key includes the template source's checksum, so an edit is never stale."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()
