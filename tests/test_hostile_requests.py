"""Hostile requests rather than hostile fields: missing and wrong CSRF tokens on
every POST route, tampered and forged session cookies, methods a route does not
take, bodies over the size limit, text that is not UTF-8, malformed htmx headers
and odd paths. As in test_hostile_input.py: never a 5xx or a stack trace, and
nothing written (but audit rows) unless a row says so.

The POST routes come from ROUTES in test_hostile_input.py, which the app's URL map
keeps complete, and the method sweep walks app.url_map itself: a route added later
is swept without anyone adding a row here.
"""
from __future__ import annotations

import io

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from conftest import POSTGRES_URL
from hostile_support import (
    TEMPLATE_CODE, assert_safe, build_path, changed_tables, sign_in_as, snapshot,
)
from test_hostile_input import ROUTES, sample  # noqa: F401  (sample is a fixture)

POSTS = sorted(route for route in ROUTES if route[1] == "POST")
GETS = sorted(route for route in ROUTES if route[1] == "GET")
# What a valid POST gets, per route (the controls that prove a refusal is the token's doing).
SUCCESS = {
    ("auth.login", "POST"): 303, ("auth.logout", "POST"): 303, ("log.new", "POST"): 303,
    ("entries.add_follow_up", "POST"): 200, ("entries.review", "POST"): 200,
    ("entries.close", "POST"): 200, ("entries.reopen", "POST"): 200,
}  # an htmx POST to an entry gets the updated activity section back; the others redirect


@pytest.fixture
def config_overrides() -> dict:
    overrides = {"WTF_CSRF_ENABLED": True}  # as in production
    if not POSTGRES_URL:
        overrides["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    return overrides


@pytest.fixture
def app(app):
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


def signed_in(client, sample, who):
    sign_in_as(client, sample["world"][who] if who else None)
    client.get("/login" if who is None else "/")  # the session now holds a CSRF token
    return client


def post(app, client, sample, route, **kwargs):
    spec = ROUTES[route]
    path = build_path(app, *route, spec.ids, sample)
    return client.post(path, **{"data": spec.data(sample), **kwargs})


# --- CSRF, on every POST route --------------------------------------------------------------

def real_token(app, client) -> str:
    """The token a page of this session would carry (signed form of the session's raw token)."""
    html = client.get("/login" if client.get("/").status_code == 302 else "/").get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in html:
        marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def other_sessions_token(app, sample) -> str:
    other = app.test_client()
    signed_in(other, sample, "teacher2")
    return real_token(app, other)


# name -> (form fields to add, headers to add), each from (app, client, sample)
CSRF_ATTEMPTS = {
    "missing": lambda app, client, sample: ({}, {}),
    "wrong": lambda app, client, sample: ({"csrf_token": "not-a-token"}, {}),
    "empty": lambda app, client, sample: ({"csrf_token": ""}, {}),
    "other-session": lambda app, client, sample: ({"csrf_token": other_sessions_token(app, sample)}, {}),
    "tampered": lambda app, client, sample: ({"csrf_token": real_token(app, client)[:-2] + "xx"}, {}),
    "htmx-header-wrong": lambda app, client, sample: ({}, {"HX-Request": "true", "X-CSRFToken": "not-a-token"}),
    "htmx-header-other-session": lambda app, client, sample: (
        {}, {"HX-Request": "true", "X-CSRFToken": other_sessions_token(app, sample)}),
}


@pytest.mark.parametrize("attempt", sorted(CSRF_ATTEMPTS))
@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_post_without_a_valid_csrf_token_is_refused(app, client, sample, route, attempt):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    fields, headers = CSRF_ATTEMPTS[attempt](app, client, sample)
    before = snapshot(app)
    response = post(app, client, sample, route, data={**spec.data(sample), **fields}, headers=headers)
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()
    signed_in_now = client.get("/").status_code == 200
    assert signed_in_now == (spec.who is not None), "a refused sign-in or sign-out changed who is signed in"


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_post_with_the_token_in_the_htmx_header_succeeds(app, client, sample, route):
    """The control: the same requests with the session's own token go through."""
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    headers = {"HX-Request": "true", "X-CSRFToken": real_token(app, client)}
    response = post(app, client, sample, route, headers=headers)
    assert response.status_code == SUCCESS[route], response.get_data(as_text=True)[:2000]


# --- session cookies ----------------------------------------------------------------------

def signed_cookie(app, data: dict, key: str | None = None) -> str:
    signer = Flask("forger")
    signer.secret_key = key or app.secret_key
    signer.config["SECRET_KEY"] = signer.secret_key
    return app.session_interface.get_signing_serializer(signer).dumps(data)


def flip(text: str, at: int = 5) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def as_dsl(sample) -> dict:
    return {"_user_id": str(sample["world"]["dsl"].id), "_fresh": True}


COOKIES = {
    "garbage": lambda app, s: "not-a-session",
    "empty": lambda app, s: "",
    "oversized": lambda app, s: "x" * 4000,  # near the most a browser keeps
    "non-ascii": lambda app, s: "\u00e9t\u00e9.\u00ff",
    "tampered-payload": lambda app, s: flip(signed_cookie(app, as_dsl(s))),
    "tampered-signature": lambda app, s: flip(signed_cookie(app, as_dsl(s)), -3),
    "unsigned": lambda app, s: signed_cookie(app, as_dsl(s)).rsplit(".", 2)[0],
    "forged-with-another-key": lambda app, s: signed_cookie(app, as_dsl(s), key="someone-elses-key"),
    "real-key-missing-user": lambda app, s: signed_cookie(app, {"_user_id": "999999", "_fresh": True}),
    "real-key-negative-user": lambda app, s: signed_cookie(app, {"_user_id": "-1", "_fresh": True}),
}
# A session signed with the real key but holding an id that is not a number: only
# someone with the key (or a future session format) makes one. Flask-Login's user
# loader then raises. The sign-in code is being rewritten elsewhere: reported, not fixed here.
LOADER_BUG = "cpoms/__init__.py _load_user calls int() on the session's user id: a 500 (sign-in; reported)"
COOKIES_LOADER_FAILS = {
    "real-key-word-user": lambda app, s: signed_cookie(app, {"_user_id": "abc", "_fresh": True}),
    "real-key-huge-user": lambda app, s: signed_cookie(app, {"_user_id": str(2**70), "_fresh": True}),
}


def cookie_cases():
    for name in sorted(COOKIES):
        yield pytest.param(COOKIES[name], id=name)
    for name in sorted(COOKIES_LOADER_FAILS):
        yield pytest.param(COOKIES_LOADER_FAILS[name], id=name,
                           marks=pytest.mark.xfail(strict=True, reason=LOADER_BUG))


@pytest.mark.parametrize("make_cookie", cookie_cases())
def test_a_bad_session_cookie_is_nobody(app, client, sample, make_cookie):
    name = app.config["SESSION_COOKIE_NAME"]
    client.set_cookie(name, make_cookie(app, sample))
    before = snapshot(app)
    page = client.get(f"/entries/{sample['entry_id']}")
    assert_safe(page)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    client.set_cookie(name, make_cookie(app, sample))
    write = client.post("/log", data=ROUTES[("log.new", "POST")].data(sample))
    assert_safe(write)
    assert write.status_code in (302, 400)  # sent to sign in, or refused for want of a token
    assert changed_tables(before, snapshot(app)) == set()


def test_a_session_signed_with_the_real_key_is_accepted(app, client, sample):
    """The control: the forger above makes cookies the app takes when the key is right."""
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed_cookie(app, as_dsl(sample)))
    assert client.get(f"/entries/{sample['entry_id']}").status_code == 200


# --- methods a route does not take ----------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_every_route_refuses_methods_it_does_not_take(app, client, sample, method):
    signed_in(client, sample, "dsl")
    token = real_token(app, client)
    before = snapshot(app)
    swept = 0
    for rule in app.url_map.iter_rules():
        if method in rule.methods:
            continue
        spec = ROUTES[(rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"})[0])]
        path = build_path(app, rule.endpoint, "GET" if "GET" in rule.methods else "POST", spec.ids, sample)
        response = client.open(path, method=method, data={"csrf_token": token},
                               headers={"X-HTTP-Method-Override": "GET"})
        assert_safe(response)
        assert response.status_code == 405, (method, path, response.status_code)
        assert "That action is not allowed here" in response.get_data(as_text=True)
        swept += 1
    assert swept, "no route was swept"
    assert changed_tables(before, snapshot(app)) == set()


# --- size ----------------------------------------------------------------------------------

def test_the_body_limit_is_configured(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_a_body_over_the_limit_is_refused(app, client, sample, route):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    before = snapshot(app)
    data = {**spec.data(sample), "csrf_token": real_token(app, client), "padding": "x" * (2 * 1024 * 1024)}
    response = post(app, client, sample, route, data=data)
    assert_safe(response)
    assert response.status_code == 413
    assert "That was too large to send" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(app)) == set()


# name -> client.post keyword arguments for POST /log
OVERSIZED = {
    "content-length-lie": lambda token: {
        "data": b"narrative=x", "content_type": "application/x-www-form-urlencoded",
        "headers": {"X-CSRFToken": token}, "environ_overrides": {"CONTENT_LENGTH": str(10**10)}},
    "multipart-file": lambda token: {
        "data": {"csrf_token": token, "attachment": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.bin")},
        "content_type": "multipart/form-data"},
    "multipart-many-parts": lambda token: {
        "data": {"csrf_token": token, **{f"f{i}": "x" for i in range(1500)}},
        "content_type": "multipart/form-data"},
}


def post_closing_the_body(client, path, **kwargs):
    """client.post, closing the temporary file werkzeug's test client spools a large body to."""
    if "environ_overrides" in kwargs:  # an environ handed to client.open has its length recomputed
        return client.post(path, **kwargs)
    builder = EnvironBuilder(path=path, method="POST", **kwargs)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_oversized_requests_to_the_log_form_are_refused(app, client, sample, name):
    signed_in(client, sample, "teacher1")
    before = snapshot(app)
    response = post_closing_the_body(client, "/log", **OVERSIZED[name](real_token(app, client)))
    assert_safe(response)
    assert response.status_code == 413
    assert changed_tables(before, snapshot(app)) == set()


# --- text that is not UTF-8 ---------------------------------------------------------------

NOT_UTF8 = {  # as a server hands them over: latin-1 text standing for the raw bytes
    "lone-surrogate": "\xed\xa0\x80", "invalid-byte": "\xff", "overlong-slash": "\xc0\xaf",
}


@pytest.mark.parametrize("raw", sorted(NOT_UTF8))
@pytest.mark.parametrize("route", GETS, ids=lambda r: r[0])
def test_a_query_string_that_is_not_utf8_is_a_bad_request(app, client, sample, route, raw):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    before = snapshot(app)
    path = build_path(app, *route, spec.ids, sample)
    response = client.get(path, headers=spec.headers, environ_overrides={"QUERY_STRING": f"q={NOT_UTF8[raw]}&category=1"})
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()


@pytest.mark.parametrize("route", GETS, ids=lambda r: r[0])
def test_percent_encoded_bytes_that_are_not_utf8_stay_text(app, client, sample, route):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    path = build_path(app, *route, spec.ids, sample)
    response = client.get(path, headers=spec.headers, environ_overrides={"QUERY_STRING": "q=%ED%A0%80%FF&pupil=%FF"})
    assert_safe(response)
    response.close()  # a static file is sent from an open file
    assert response.status_code < 400 or route[0] == "static" and response.status_code == 404


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_a_form_body_that_is_not_utf8_is_a_bad_request(app, client, sample, route):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    token = real_token(app, client)
    before = snapshot(app)
    path = build_path(app, *route, spec.ids, sample)
    body = "&".join(f"{k}={v}" for k, v in spec.data(sample).items()).encode() + b"&note=\xed\xa0\x80\xff"
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                           headers={"X-CSRFToken": token})
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()
    assert (client.get("/").status_code == 200) == (spec.who is not None)  # a sign-out did not happen either


# --- malformed htmx headers ---------------------------------------------------------------

# (what, route, headers, status): anything but exactly "true" is a plain browser request.
HTMX_HEADERS = [
    ("upper-case", ("log.pupil_search", "GET"), {"HX-Request": "TRUE"}, 302),
    ("one", ("log.pupil_search", "GET"), {"HX-Request": "1"}, 302),
    ("empty", ("log.pupil_search", "GET"), {"HX-Request": ""}, 302),
    ("huge", ("log.pupil_search", "GET"), {"HX-Request": "true" * 2000}, 302),
    ("script", ("log.pupil_chip", "GET"), {"HX-Request": "<script>alert(1)</script>"}, 302),
    ("boosted-garbage", ("review.queue", "GET"), {"HX-Request": "true", "HX-Boosted": "maybe"}, 200),
    ("target-script", ("chronology.show", "GET"), {"HX-Request": "true", "HX-Target": "<script>x</script>"}, 200),
    ("current-url-javascript", ("entries.show", "GET"), {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)"}, 200),
    ("trigger-sql", ("main.home", "GET"), {"HX-Request": "true", "HX-Trigger": "' OR 1=1 --"}, 200),
]


@pytest.mark.parametrize("what, route, headers, status", HTMX_HEADERS, ids=[h[0] for h in HTMX_HEADERS])
def test_malformed_htmx_headers(app, client, sample, what, route, headers, status):
    spec = ROUTES[route]
    signed_in(client, sample, spec.who)
    before = snapshot(app)
    path = build_path(app, *route, spec.ids, sample)
    response = client.get(path, query_string=spec.data(sample), headers=headers)
    body = assert_safe(response, list(headers.values()))
    assert response.status_code == status, body[:2000]
    if status == 302:
        assert response.headers["Location"].startswith("/log")
    assert changed_tables(before, snapshot(app)) == set()


def test_a_malformed_htmx_header_on_a_save_still_saves_once_and_redirects(app, client, sample):
    signed_in(client, sample, "dsl")
    before = snapshot(app)
    response = post(app, client, sample, ("entries.add_follow_up", "POST"),
                    headers={"HX-Request": "yes", "X-CSRFToken": real_token(app, client)})
    assert response.status_code == 303  # a plain browser's answer
    after = snapshot(app)
    assert len(after["follow_ups"]) == len(before["follow_ups"]) + 1


# --- odd paths --------------------------------------------------------------------------------

ODD_PATHS = {  # as a server hands PATH_INFO over: decoded, latin-1 text standing for the bytes
    "nul": "/entries/\x00", "not-utf8": "/entries/\xed\xa0\x80", "very-long": "/entries/" + "1" * 10_000,
    "dotdot": "/entries/1/../../pupils/1/chronology/../../../etc/passwd", "double-slash-host": "//evil.example/entries/1",
    "static-dotdot": "/static/../instance/secret_key", "static-nul": "/static/css/app.css\x00.txt",
}


@pytest.mark.parametrize("name", sorted(ODD_PATHS))
def test_odd_paths_are_not_found(app, client, sample, name):
    signed_in(client, sample, "dsl")
    response = client.get("/", environ_overrides={"PATH_INFO": ODD_PATHS[name]})
    assert_safe(response)
    assert response.status_code in (404, 308)
    if response.status_code == 308:
        assert response.headers["Location"].startswith(("/", "http://localhost/"))


# --- sign-in: a next= with a line break ---------------------------------------------------------

@pytest.mark.xfail(strict=True, reason="cpoms/auth/routes.py safe_next lets CR/LF through (urlsplit strips them), "
                                       "so the Location header raises: a 500 (sign-in; reported, not fixed here)")
@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: planted=1", "/\nX: 1"], ids=["crlf", "lf"])
def test_sign_in_with_a_line_break_in_next_goes_home(app, client, sample, target):
    signed_in(client, sample, None)
    token = real_token(app, client)
    spec = ROUTES[("auth.login", "POST")]
    response = client.post("/login", query_string={"next": target}, data={**spec.data(sample), "csrf_token": token})
    assert_safe(response)
    assert response.status_code == 303 and response.headers["Location"] == "/"
