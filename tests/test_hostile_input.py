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

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from cpoms.extensions import db
from cpoms.formfields import MAX_ID
from cpoms.models import Category, Entry, EntryPupil, EntryState, FollowUp
from cpoms.timefmt import now_utc, uk_local_input

from conftest import PASSWORD, POSTGRES_URL
from hostile_support import (
    TEMPLATE_CODE, Case, Expect, P, Route, assert_inert, assert_safe, build_path, changed_tables, form_inputs,
    new_rows, parameters_read_in, request_for, sign_in_as, snapshot,
)

APP_SOURCE = Path(__file__).resolve().parent.parent / "cpoms"
HX = {"HX-Request": "true"}


@pytest.fixture
def config_overrides() -> dict:
    return {} if POSTGRES_URL else {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture
def app(app):
    app.jinja_env.bytecode_cache = TEMPLATE_CODE  # one app per case: compile each template once
    return app


@pytest.fixture
def sample(app, world) -> dict:
    """Records the cases aim at: an open and a closed entry at ashgrove, one at brookfield.
    Inserted directly, in one transaction: this runs once per case."""
    happened = now_utc() - timedelta(minutes=30)
    with app.app_context():
        behaviour = world.categories["Behaviour"].id

        def entry(recorder, pupil, status="open", **extra):
            return Entry(school_id=pupil.school_id, category_id=behaviour, recorded_by_id=world[recorder].id,
                         source="staff_observation", occurred_at=happened, narrative="Pushed in the queue.",
                         entry_pupils=[EntryPupil(pupil_id=pupil.id)], state=EntryState(status=status), **extra)

        closed = FollowUp(kind="closed", author_id=world["dsl"].id, occurred_at=happened, text="Support in place.")
        records = [entry("teacher1", world.pupils[0]),
                   entry("teacher1", world.pupils[0], status="closed", follow_ups=[closed]),
                   entry("other_teacher", world.other_pupils[0]),
                   Category(name="Retired category", active=False, order=99)]
        db.session.add_all(records)
        db.session.commit()
        entry_id, closed_id, other_entry_id, retired_id = (r.id for r in records)
    return {
        "world": world,
        "entry_id": entry_id,
        "closed_entry_id": closed_id,
        "other_entry_id": other_entry_id,
        "pupil_id": world.pupils[0].id,
        "other_pupil_id": world.other_pupils[0].id,
        "other_pupil_name": "Noah Baker",
        "behaviour_id": world.categories["Behaviour"].id,
        "retired_category_id": retired_id,
        "css": "css/app.css",
    }


def recent(**delta) -> str:
    return uk_local_input(now_utc() - timedelta(**delta))


def later(**delta) -> str:
    return uk_local_input(now_utc() + timedelta(**delta))


# --- how to make a valid request to each route -------------------------------------------

ENTRY = {"entry_id": "entry_id"}
ENTRY_WRITES = frozenset({"follow_ups", "entry_states"})

HOME = ("main.home", "GET")
LOGIN_PAGE = ("auth.login", "GET")
LOGIN = ("auth.login", "POST")
LOGOUT = ("auth.logout", "POST")
LOG_PAGE = ("log.new", "GET")
LOG = ("log.new", "POST")
SEARCH = ("log.pupil_search", "GET")
CHIP = ("log.pupil_chip", "GET")
ENTRY_PAGE = ("entries.show", "GET")
FOLLOW_UP = ("entries.add_follow_up", "POST")
REVIEW = ("entries.review", "POST")
CLOSE = ("entries.close", "POST")
REOPEN = ("entries.reopen", "POST")
QUEUE = ("review.queue", "GET")
CHRONOLOGY = ("chronology.show", "GET")
STATIC = ("static", "GET")


def log_form(s: dict) -> dict:
    return {
        "pupil_ids": str(s["pupil_id"]),
        "category": str(s["behaviour_id"]),
        "source": "staff_observation",
        "occurred_at": recent(minutes=10),
        "narrative": "Pushed in the lunch queue.",
        "child_words": "He took my ball.",
    }


ROUTES: dict[tuple[str, str], Route] = {
    HOME: Route(),
    LOGIN_PAGE: Route(who=None),
    LOGIN: Route(who=None, data=lambda s: {"email": s["world"]["dsl"].email, "password": PASSWORD}),
    LOGOUT: Route(),
    LOG_PAGE: Route(who="teacher1"),
    LOG: Route(who="teacher1", data=log_form, writes=frozenset({"entries", "entry_pupils", "entry_states"})),
    SEARCH: Route(who="teacher1", data=lambda s: {"q": "am"}, headers=HX),
    CHIP: Route(who="teacher1", ids={"pupil_id": "pupil_id"}, headers=HX),
    ENTRY_PAGE: Route(ids=ENTRY),
    FOLLOW_UP: Route(ids=ENTRY, data=lambda s: {"kind": "note", "text": "Spoke to mum at pick-up."},
                     writes=ENTRY_WRITES),
    REVIEW: Route(ids=ENTRY, data=lambda s: {"note": "Read; agreed next steps."}, writes=ENTRY_WRITES),
    CLOSE: Route(ids=ENTRY, data=lambda s: {"outcome": "Support in place."}, writes=ENTRY_WRITES),
    REOPEN: Route(ids={"entry_id": "closed_entry_id"}, data=lambda s: {"reason": "New information."},
                  writes=ENTRY_WRITES),
    QUEUE: Route(),
    CHRONOLOGY: Route(ids={"pupil_id": "pupil_id"}),
    STATIC: Route(who=None, ids={"filename": "css"}),
}


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


# --- what must happen ----------------------------------------------------------------------

def invalid(message: str) -> Expect:
    """The form again with this message: 422, nothing written."""
    return Expect((422,), message)


SAVED = Expect((303,), saved=True)         # a legitimate save: stored as typed (NULs dropped), shown escaped
ACCEPTED = Expect((303,), writes=True)     # a legitimate save that does not store the text as typed
SHOWN = Expect((200,))                     # the page, the value ignored or shown as text
MISSING = Expect((404,), "Page not found")
FORBIDDEN = Expect((403,), "You do not have access")
TOO_LARGE = Expect((413,), "That was too large to send")
REDIRECT_HOME = Expect((303,), location="/")
REDIRECT_SIGN_IN = Expect((303,), location="/login")
PICKER = Expect((200,))                    # the no-JavaScript picker re-shows the form

NARRATIVE_REQUIRED = invalid("Write what happened, in your own words.")
TOO_LONG = invalid("Keep this under 20,000 characters.")
NOT_A_CHOICE = invalid("Not a valid choice.")
BAD_DATE = invalid("Not a valid datetime value.")
IN_FUTURE = invalid("This cannot be in the future.")
NO_PUPIL = invalid("Choose at least one pupil.")
PUPIL_NOT_FOUND = invalid("Some of these pupils could not be found")
TOO_MANY_PUPILS = invalid("An entry can be about 100 pupils at most.")
SIGN_IN_FAILED = invalid("That email address and password do not match an active account.")

# Where open-redirect attempts must not lead.
OFF_SITE = [
    P("protocol-relative", "//evil.example"), P("backslash", "/\\evil.example"),
    P("scheme-no-slashes", "https:evil.example"), P("absolute", "https://evil.example/"),
    P("encoded-slashes", "%2F%2Fevil.example"), P("javascript", "javascript:alert(1)"),
    P("data-url", "data:text/html,<script>alert(1)</script>"), P("triple-slash", "///evil.example"),
    P("tab", "/\t/evil.example"), P("leading-space", " //evil.example"),
    P("userinfo", "http://127.0.0.1@evil.example"), P("backslashes", "\\\\evil.example"),
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
    *id_cases(FOLLOW_UP, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(FOLLOW_UP, "text", required=invalid("Write the details.")),
    *text_cases(FOLLOW_UP, "reason", extra={"kind": "decision"},
                required=invalid("Give the reason for this decision.")),
    *text_cases(FOLLOW_UP, "agency_name", extra={"kind": "agency"}, long_text=201,
                too_long=invalid("Field cannot be longer than 200 characters."),
                required=invalid("Name the agency.")),
    Case(FOLLOW_UP, "agency_name", BREAKOUT, SAVED, extra={"kind": "agency"}),
    *text_cases(FOLLOW_UP, "agency_reference", extra={"kind": "agency", "agency_name": "Social care"},
                long_text=101, too_long=invalid("Field cannot be longer than 100 characters.")),
    Case(FOLLOW_UP, "agency_reference", BREAKOUT, SAVED, extra={"kind": "agency", "agency_name": "Police"}),
    *[Case(FOLLOW_UP, "kind", v, NOT_A_CHOICE) for v in (
        P("closed", "closed"), P("reviewed", "reviewed"), P("reopened", "reopened"), SCRIPT, SQL_OR)],
    Case(FOLLOW_UP, "kind", LEFT_OUT, invalid("Choose what you are adding.")),
    Case(FOLLOW_UP, "kind", P("action", "action"), NOT_A_CHOICE, who="teacher1"),  # the recorder adds notes only
    Case(FOLLOW_UP, "kind", P("note", "note"), MISSING, who="teacher2"),  # not theirs: looks missing
    Case(FOLLOW_UP, "kind", P("note", "note"), FORBIDDEN, who="governor"),
    *[Case(FOLLOW_UP, "risk_level", v, NOT_A_CHOICE, extra={"kind": "risk_assessment"})
      for v in (P("extreme", "extreme"), SCRIPT, SQL_OR)],
    Case(FOLLOW_UP, "risk_level", EMPTY, invalid("Choose the level of risk."), extra={"kind": "risk_assessment"}),
    *[Case(FOLLOW_UP, "occurred_at", v, BAD_DATE) for v in FAR_DATES],
    *[Case(FOLLOW_UP, "occurred_at", v, IN_FUTURE) for v in FUTURE_DATES],
    Case(FOLLOW_UP, "occurred_at", BEFORE_2000, invalid("Enter a date from 2000 onwards.")),
    *id_cases(REVIEW, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(REVIEW, "note"),
    Case(REVIEW, "note", P("note", "Read."), FORBIDDEN, who="teacher1"),
    *id_cases(CLOSE, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    *text_cases(CLOSE, "outcome", required=invalid("Record the outcome before closing.")),
    Case(CLOSE, "outcome", P("outcome", "Done."), FORBIDDEN, who="slt"),
    *id_cases(REOPEN, "entry_id", MISSING, other=OTHER_ENTRY, values=SOME_IDS),
    Case(REOPEN, "entry_id", P("open-entry", lambda s: str(s["entry_id"])),
         Expect((409,), "This entry is already open.")),
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
    # Signing in and out: next= never leads off the site.
    *[Case(LOGIN, "?next", target, REDIRECT_HOME) for target in OFF_SITE],
    Case(LOGIN, "?next", P("local", "/review"), Expect((303,), location="/review")),
    Case(LOGIN_PAGE, "next", SCRIPT, SHOWN),
    *[Case(LOGIN, "email", v, SIGN_IN_FAILED) for v in (SCRIPT, BREAKOUT, SQL_OR, SQL_DROP, NUL)],
    Case(LOGIN, "email", P("255-chars", "a" * 245 + "@x.example"),
         invalid("Field cannot be longer than 254 characters.")),
    Case(LOGIN, "email", MEGABYTE, TOO_LARGE),
    *[Case(LOGIN, "password", v, SIGN_IN_FAILED) for v in (SQL_OR, SQL_DROP, SCRIPT, ODD_UNICODE)],
    Case(LOGIN, "password", MEGABYTE, TOO_LARGE),
    *[Case(LOGOUT, "?next", target, REDIRECT_SIGN_IN) for target in OFF_SITE[:3]],
    # Static files: no way out of static/.
    *[Case(STATIC, "filename", P(label, value), MISSING) for label, value in (
        ("dotdot", "../config.py"), ("encoded-dotdot", "..%2fconfig.py"), ("dotdot-dotdot", "css/../../config.py"),
        ("encoded-dots", "%2e%2e/instance/secret_key"), ("backslash", "..\\config.py"),
        ("nul", "css/app.css%00.txt"))],
    # "//" is merged to "/" by a redirect that stays on the site (and then finds nothing).
    Case(STATIC, "filename", P("absolute", "/etc/passwd"), Expect((308,), location="http://localhost/static/etc/passwd")),
]


# --- the tables cover the app ---------------------------------------------------------------

IGNORED_METHODS = {"HEAD", "OPTIONS"}
NOT_FIELDS = {"csrf_token"}  # the token has its own suite (test_hostile_requests.py)


def served_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - IGNORED_METHODS}


def fields_with_cases() -> dict[tuple[str, str], set[str]]:
    covered: dict[tuple[str, str], set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.field.lstrip("?"))
    return covered


def offered_inputs(app, client, sample) -> set[tuple[tuple[str, str], str, bool]]:
    """Every named control of every form, every htmx control and every link parameter of
    every page the app serves, as the people who see the most forms see them."""
    adapter = app.url_map.bind("localhost")
    pages = [(who, build_path(app, endpoint, method, spec.ids, sample), spec.data(sample), spec.headers)
             for (endpoint, method), spec in sorted(ROUTES.items()) if method == "GET" and endpoint != "static"
             for who in (None, "teacher1", "dsl")]
    pages += [("dsl", f"/entries/{sample['closed_entry_id']}", {}, {}),  # the reopen form
              ("teacher1", "/log", {"q": "a"}, {}),                   # search results
              ("teacher1", "/log", {"pupil": sample["pupil_id"]}, {}),  # a chosen pupil
              ("governor", "/", {}, {})]
    found = set()
    for who, path, query, headers in pages:
        sign_in_as(client, sample["world"][who] if who else None)
        response = client.get(path, query_string=query, headers=headers)
        if response.status_code != 200:
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
    missing = [(rule.endpoint, arg) for rule in app.url_map.iter_rules() for method in rule.methods - IGNORED_METHODS
               for arg in rule.arguments if arg not in covered.get((rule.endpoint, method), set())]
    assert not missing, f"URL arguments with no hostile cases: {missing}"


def test_every_field_the_pages_offer_has_hostile_cases(app, client, sample):
    covered = fields_with_cases()
    markup = {(c.route, c.field) for c in CASES if "<" in str(c.value.value)}
    sql = {(c.route, c.field) for c in CASES if c.value in (SQL_OR, SQL_DROP)}
    offered = offered_inputs(app, client, sample)
    assert ((LOG, "narrative", True) in offered and (FOLLOW_UP, "reason", True) in offered
            and (SEARCH, "q", True) in offered), "the crawl found too little to be trusted"
    problems = []
    for route, name, is_text in sorted(offered):
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
    who = ROUTES[case.route].who if case.who is False else case.who
    sign_in_as(client, sample["world"][who] if who else None)
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
    if case.value is OTHER_PUPIL or case.value is OWN_AND_OTHER_PUPIL:
        assert sample["other_pupil_name"] not in body  # another school's pupil is never shown
    changed = changed_tables(before, after)
    if not (expect.saved or expect.writes):
        assert not changed, f"a refused request wrote to {sorted(changed)}"
        return
    allowed = ROUTES[case.route].writes
    assert changed and changed <= allowed, f"wrote to {sorted(changed)}; expected only {sorted(allowed)}"
    if expect.saved:
        stored = hostile.replace("\x00", "").strip()
        assert any(stored in row for row in new_rows(before, after)), "the text was not stored as typed"
        if "<" in stored:
            assert_rendered_inert(client, sample, case, response, stored)


# Where saved text is shown again, beyond the entry page and the pupil's chronology.
LISTED = {(LOG, "narrative"): ("/review", "/")}


def assert_rendered_inert(client, sample, case, response, text):
    entry_path = response.headers["Location"].split("#")[0] if case.route == LOG else f"/entries/{sample['entry_id']}"
    if case.route == REOPEN:
        entry_path = f"/entries/{sample['closed_entry_id']}"
    pages = [("dsl", entry_path), ("dsl", f"/pupils/{sample['pupil_id']}/chronology")]
    pages += [("dsl" if path == "/review" else ROUTES[case.route].who, path) for path in LISTED.get((case.route, case.field), ())]
    for who, path in pages:
        sign_in_as(client, sample["world"][who])
        page = client.get(path)
        assert page.status_code == 200, path
        assert_inert(page.get_data(as_text=True), text, path)


# --- any text at all, in the two fields a child's account lives in ---------------------------

@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(narrative=st.text(max_size=300) | st.text(" \t\r\n\x00\x1f\u2028", max_size=5),
       child_words=st.text(max_size=120))
def test_any_text_is_saved_and_shown_as_text_or_refused_with_a_message(app, client, world, narrative, child_words):
    sign_in_as(client, world["teacher1"])
    sample = {"pupil_id": world.pupils[0].id, "behaviour_id": world.categories["Behaviour"].id}
    before = snapshot(app)
    response = client.post("/log", data={**log_form(sample), "narrative": narrative, "child_words": child_words})
    body = assert_safe(response, [narrative, child_words])
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
