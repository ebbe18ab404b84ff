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
from sqlalchemy import update
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder

from cpoms.auth.models import UserSession
from cpoms.auth.sessions import hash_token
from cpoms.extensions import db
from cpoms.timefmt import now_utc

from hostile_support import Pristine, Route, assert_safe, build_path, changed_tables, sign_in_as, snapshot
from test_hostile_input import ROUTES, SMALL_FILES, app, make_sample, sample, user_of, world  # noqa: F401  (fixtures)

POSTS = sorted(route for route in ROUTES if route[1] == "POST")
GETS = sorted(route for route in ROUTES if route[1] == "GET")
# What a valid POST gets, per route (the controls that prove a refusal is the token's doing).
SUCCESS = {
    ("auth.login", "POST"): 303,
    ("auth.logout", "POST"): 303,
    ("auth.two_factor", "POST"): 303,
    ("auth.forgot", "POST"): 303,
    ("auth.reset", "POST"): 303,
    # The log form posts with htmx: a saved entry is a whole-page load of its page (HX-Redirect).
    ("log.new", "POST"): 204,
    ("entries.add_follow_up", "POST"): 200,
    ("entries.review", "POST"): 200,
    ("entries.close", "POST"): 200,
    ("entries.reopen", "POST"): 200,
    ("account.two_factor", "POST"): 200,
    ("account.recovery_codes", "POST"): 200,  # the new recovery codes
    ("account.turn_off_two_factor", "POST"): 303,
    ("account.password", "POST"): 303,
    ("admin.force_reset", "POST"): 303,
    ("admin.reset_two_factor", "POST"): 303,
    ("admin.unlock", "POST"): 303,
    ("guidance.edit", "POST"): 303,
    ("guidance.categories", "POST"): 303,
    ("entries.retry_alerts", "POST"): 303,
    ("main.retry_alerts", "POST"): 303,
    ("chronology.mark_key_event", "POST"): 303,
    ("mis.upload", "POST"): 303,
    ("mis.confirm", "POST"): 303,
    # Concerns that evolve.
    ("entries.add_category", "POST"): 200,
    ("entries.amend", "POST"): 200,
    ("entries.link", "POST"): 200,
    # Tasks and monitoring (issue 4): a task's status comes back in place for htmx.
    ("tasks.complete", "POST"): 200,
    ("monitoring.start", "POST"): 303,
    ("monitoring.review", "POST"): 303,
    ("monitoring.end", "POST"): 303,
    ("exclusions.add", "POST"): 303,
    ("exclusions.end", "POST"): 303,
    # Child-protection file transfers; a subject-access export answers with its zip.
    ("transfers.start", "POST"): 303,
    ("transfers.mark_sent", "POST"): 303,
    ("transfers.accept", "POST"): 303,
    ("transfers.decline", "POST"): 303,
    ("transfers.record_receipt", "POST"): 303,
    ("transfers.subject_access", "POST"): 200,
    # --- drafts saved as people type (tablet): the status line ---
    ("drafts.save", "POST"): 200,
    ("attachments.add", "POST"): 303,  # attachments (issue 4, item 7): back to the entry
    ("hearback.message_recorder", "POST"): 303,  # the team's message to the recorder: back to the entry
    # Administration: accounts, roles, categories, schools, staff import, deletion after retention review.
    ("admin.new_user", "POST"): 303,
    ("admin.add_role", "POST"): 303,
    ("admin.remove_role", "POST"): 303,
    ("admin.deactivate", "POST"): 303,
    ("admin.reactivate", "POST"): 303,
    ("admin.categories", "POST"): 303,
    ("admin.change_category", "POST"): 303,
    ("admin.move_category", "POST"): 303,
    ("admin.schools", "POST"): 303,
    ("admin.change_school", "POST"): 303,
    ("mis.staff_upload", "POST"): 303,
    ("mis.propose_deletion", "POST"): 303,
    ("deletion.confirm", "POST"): 303,
    ("deletion.withdraw", "POST"): 303,
    ("deletion.accept_date_of_birth", "POST"): 303,
    # Concerns about adults: raised (to the page saying it was received), recorded on, who manages them.
    ("adults.new", "POST"): 303,
    ("adults.add_follow_up", "POST"): 303,
    ("adults.settings", "POST"): 303,
    # ... and deleted after review by two case managers: proposed, confirmed or withdrawn.
    ("adults.deletion_proposal", "POST"): 303,
    ("adults.confirm_deletion", "POST"): 303,
    ("adults.withdraw_deletion", "POST"): 303,
    # Sign-in: the trust admins' providers and password setting, back to the settings page.
    ("sso.settings", "POST"): 303,
    ("sso.change_provider", "POST"): 303,
    ("sso.remove_provider", "POST"): 303,
    ("sso.password_setting", "POST"): 303,
    # Key information and police notifications: back to the pupil's key information page; the
    # key adult's check-in, home; the trust's flags, their page.
    ("keyinfo.record_status", "POST"): 303,
    ("keyinfo.end_status", "POST"): 303,
    ("keyinfo.record_police_notification", "POST"): 303,
    ("keyinfo.check_in", "POST"): 303,
    ("keyinfo.flags", "POST"): 303,
    # Signed child-protection files: a checked pack's page, then back to the chronology; the key list.
    ("packs.upload", "POST"): 200,
    ("packs.confirm", "POST"): 303,
    ("packs.distrust_key", "POST"): 303,
    ("packs.trust_key", "POST"): 303,
}  # an htmx POST to an entry gets the updated activity section back; the others redirect


@pytest.fixture(scope="module")
def pristine():
    made = Pristine({"WTF_CSRF_ENABLED": True, **SMALL_FILES}, make_sample)  # as in production
    yield made
    made.close()


# A page every signed-in person is shown, with the sign-out form's CSRF token, that reads
# nothing else: the home page answers the same but costs four times as much, twice a case.
LIGHT_PAGE = "/account/password"


def page_with_a_form(sample, spec) -> str:
    """A page this session is shown, whose forms carry the session's CSRF token: the
    code step comes first for someone enrolled in two-factor sign-in."""
    if spec.who is None:
        return "/login"
    enrolled = getattr(user_of(sample, spec.who), "totp_enrolled_at", None)
    return "/login/two-factor" if enrolled and not spec.verified else LIGHT_PAGE


def signed_in(client, sample, spec_or_who):
    spec = spec_or_who if isinstance(spec_or_who, Route) else Route(who=spec_or_who)
    sign_in_as(client, user_of(sample, spec.who), spec.verified, spec.session)
    client.get(page_with_a_form(sample, spec))  # the session now holds a CSRF token
    return client


def still_signed_in(client) -> bool:
    """Whether the session cookie names a live session (one with the code step still to do counts)."""
    response = client.get(LIGHT_PAGE)
    return response.status_code == 200 or response.headers.get("Location", "").startswith("/login/two-factor")


def post(app, client, sample, route, **kwargs):
    spec = ROUTES[route]
    path = build_path(app, *route, spec.ids, sample)
    return client.post(path, **{"data": spec.data(sample), **kwargs})


# --- CSRF, on every POST route --------------------------------------------------------------


def real_token(app, client, spec=None, sample=None) -> str:
    """The token a page of this session would carry (signed form of the session's raw token)."""
    page = (
        page_with_a_form(sample, spec)
        if spec
        else "/login"
        if client.get(LIGHT_PAGE).status_code == 302
        else LIGHT_PAGE
    )
    html = client.get(page).get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in html:
        marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def tampered(token: str) -> str:
    """The token with one character of its signature changed. Not the last: base64's last
    character carries padding bits too, so some changes to it decode to the same signature
    (the old "last two become xx" let about one case in a thousand through)."""
    return token[:-2] + ("y" if token[-2] == "x" else "x") + token[-1]


def other_sessions_token(app, sample) -> str:
    other = app.test_client()
    signed_in(other, sample, "teacher2")
    return real_token(app, other)


# name -> (form fields to add, headers to add), each from (app, client, sample)
# name -> (form fields to add, headers to add), each from (app, client, sample, route)
CSRF_ATTEMPTS = {
    "missing": lambda app, client, sample, spec: ({}, {}),
    "wrong": lambda app, client, sample, spec: ({"csrf_token": "not-a-token"}, {}),
    "empty": lambda app, client, sample, spec: ({"csrf_token": ""}, {}),
    "other-session": lambda app, client, sample, spec: ({"csrf_token": other_sessions_token(app, sample)}, {}),
    "tampered": lambda app, client, sample, spec: (
        {"csrf_token": tampered(real_token(app, client, spec, sample))},
        {},
    ),
    "htmx-header-wrong": lambda app, client, sample, spec: ({}, {"HX-Request": "true", "X-CSRFToken": "not-a-token"}),
    "htmx-header-other-session": lambda app, client, sample, spec: (
        {},
        {"HX-Request": "true", "X-CSRFToken": other_sessions_token(app, sample)},
    ),
}


@pytest.mark.parametrize("attempt", sorted(CSRF_ATTEMPTS))
@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_post_without_a_valid_csrf_token_is_refused(app, client, sample, route, attempt):
    spec = ROUTES[route]
    signed_in(client, sample, spec)
    fields, headers = CSRF_ATTEMPTS[attempt](app, client, sample, spec)
    before = snapshot(app)
    response = post(app, client, sample, route, data={**spec.data(sample), **fields}, headers=headers)
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()
    assert still_signed_in(client) == (spec.who is not None), "a refused sign-in or sign-out changed who is signed in"


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_post_with_the_token_in_the_htmx_header_succeeds(app, client, sample, route):
    """The control: the same requests with the session's own token go through."""
    spec = ROUTES[route]
    signed_in(client, sample, spec)
    headers = {"HX-Request": "true", "X-CSRFToken": real_token(app, client, spec, sample)}
    response = post(app, client, sample, route, headers=headers)
    assert response.status_code == SUCCESS[route], response.get_data(as_text=True)[:2000]


# --- session cookies ----------------------------------------------------------------------


def signed_cookie(app, data: dict, key: str | None = None) -> str:
    signer = Flask("forger")
    signer.secret_key = key or app.secret_key
    signer.config["SECRET_KEY"] = signer.secret_key
    return app.session_interface.get_signing_serializer(signer).dumps(data)


def flip(text: str, at: int = 5) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def live_session(app, sample, ended: bool = False, verified: bool = True) -> dict:
    """A session cookie's content naming a real session row of the DSL's."""
    client = app.test_client()
    sign_in_as(client, sample["world"]["dsl"], verified)
    with client.session_transaction() as session:
        token = session["_user_id"]
    if ended:
        with app.app_context():
            db.session.execute(
                update(UserSession)
                .where(UserSession.token_hash == hash_token(token))
                .values(ended_at=now_utc(), end_reason="signed_out")
            )
            db.session.commit()
    return {"_user_id": token, "_fresh": True}


def user_id_cookie(app, s, user_id) -> str:
    return signed_cookie(app, {"_user_id": user_id, "_fresh": True})


COOKIES = {
    "garbage": lambda app, s: "not-a-session",
    "empty": lambda app, s: "",
    "oversized": lambda app, s: "x" * 4000,  # near the most a browser keeps
    "non-ascii": lambda app, s: "\u00e9t\u00e9.\u00ff",
    "tampered-payload": lambda app, s: flip(signed_cookie(app, live_session(app, s))),
    "tampered-signature": lambda app, s: flip(signed_cookie(app, live_session(app, s)), -3),
    "unsigned": lambda app, s: signed_cookie(app, live_session(app, s)).rsplit(".", 2)[0],
    "forged-with-another-key": lambda app, s: signed_cookie(app, live_session(app, s), key="someone-elses-key"),
    # Signed with the real key (only someone with the key, or an older session format,
    # makes these): the session token must name a live session row, and nothing else does.
    "real-key-missing-user": lambda app, s: user_id_cookie(app, s, "999999"),
    "real-key-negative-user": lambda app, s: user_id_cookie(app, s, "-1"),
    "real-key-word-user": lambda app, s: user_id_cookie(app, s, "abc"),
    "real-key-huge-user": lambda app, s: user_id_cookie(app, s, str(2**70)),
    "real-key-old-format-user-id": lambda app, s: user_id_cookie(app, s, str(s["world"]["dsl"].id)),
    "real-key-long-token": lambda app, s: user_id_cookie(app, s, "t" * 3000),
    "real-key-empty-token": lambda app, s: user_id_cookie(app, s, ""),
    "real-key-nul-token": lambda app, s: user_id_cookie(app, s, "\x00"),
    # The cookie's JSON carries types: a number, a list, a mapping, text that is not
    # encodable (a lone surrogate). The loader once passed them on to .encode(): a 500.
    "real-key-number-token": lambda app, s: user_id_cookie(app, s, 2**70),
    "real-key-list-token": lambda app, s: user_id_cookie(app, s, ["abc"]),
    "real-key-mapping-token": lambda app, s: user_id_cookie(app, s, {"token": "abc"}),
    "real-key-surrogate-token": lambda app, s: user_id_cookie(app, s, "\ud800"),
    "real-key-non-ascii-token": lambda app, s: user_id_cookie(app, s, "t\u00e9"),
    "real-key-token-hash": lambda app, s: user_id_cookie(
        app, s, hash_token(live_session(app, s)["_user_id"])
    ),  # what the table keeps is not a key to it
    "real-key-ended-session": lambda app, s: signed_cookie(app, live_session(app, s, ended=True)),
}


@pytest.mark.parametrize("name", sorted(COOKIES))
def test_a_bad_session_cookie_is_nobody(app, client, sample, name):
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookie = COOKIES[name](app, sample)
    client.set_cookie(cookie_name, cookie)
    before = snapshot(app)
    page = client.get(f"/entries/{sample['entry_id']}")
    assert_safe(page)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?")
    client.set_cookie(cookie_name, cookie)
    write = client.post("/log", data=ROUTES[("log.new", "POST")].data(sample))
    assert_safe(write)
    assert write.status_code in (302, 400)  # sent to sign in, or refused for want of a token
    client.set_cookie(cookie_name, cookie)
    piece = client.get("/log/pupils", query_string={"q": "am"}, headers={"HX-Request": "true"})
    assert_safe(piece)
    assert piece.status_code == 401 and piece.headers["HX-Redirect"].startswith("/login?")  # a whole-page sign-in
    assert changed_tables(before, snapshot(app)) == set()


def test_a_session_signed_with_the_real_key_is_accepted(app, client, sample):
    """The control: the forger above makes cookies the app takes when the key is right."""
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed_cookie(app, live_session(app, sample)))
    assert client.get(f"/entries/{sample['entry_id']}").status_code == 200


def test_a_session_before_the_code_step_reads_nothing(app, client, sample):
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed_cookie(app, live_session(app, sample, verified=False)))
    page = client.get(f"/entries/{sample['entry_id']}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login/two-factor")


# --- methods a route does not take ----------------------------------------------------------


def takes(app, path: str, method: str) -> bool:
    """Whether some route at this address answers this method."""
    try:
        app.url_map.bind("localhost").match(path.split("?")[0], method=method)
    except HTTPException:
        return False
    return True


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
        if takes(app, path, method):
            continue  # another route at the same address takes this method (preview GET, confirm POST)
        response = client.open(
            path, method=method, data={"csrf_token": token}, headers={"X-HTTP-Method-Override": "GET"}
        )
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
    signed_in(client, sample, spec)
    before = snapshot(app)
    data = {
        **spec.data(sample),
        "csrf_token": real_token(app, client, spec, sample),
        "padding": "x" * (2 * 1024 * 1024),
    }
    response = post(app, client, sample, route, data=data)
    assert_safe(response)
    assert response.status_code == 413
    assert "That was too large to send" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(app)) == set()


# name -> client.post keyword arguments for POST /log
OVERSIZED = {
    "content-length-lie": lambda token: {
        "data": b"narrative=x",
        "content_type": "application/x-www-form-urlencoded",
        "headers": {"X-CSRFToken": token},
        "environ_overrides": {"CONTENT_LENGTH": str(10**10)},
    },
    # The log form takes files (5 of ATTACHMENT_MAX_BYTES, 256 KB here): a body beyond them.
    "multipart-file": lambda token: {
        "data": {"csrf_token": token, "attachment": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.bin")},
        "content_type": "multipart/form-data",
    },
    "multipart-many-parts": lambda token: {
        "data": {"csrf_token": token, **{f"f{i}": "x" for i in range(1500)}},
        "content_type": "multipart/form-data",
    },
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
    "lone-surrogate": "\xed\xa0\x80",
    "invalid-byte": "\xff",
    "overlong-slash": "\xc0\xaf",
}


@pytest.mark.parametrize("raw", sorted(NOT_UTF8))
@pytest.mark.parametrize("route", GETS, ids=lambda r: r[0])
def test_a_query_string_that_is_not_utf8_is_a_bad_request(app, client, sample, route, raw):
    spec = ROUTES[route]
    signed_in(client, sample, spec)
    before = snapshot(app)
    path = build_path(app, *route, spec.ids, sample)
    response = client.get(
        path, headers=spec.headers, environ_overrides={"QUERY_STRING": f"q={NOT_UTF8[raw]}&category=1"}
    )
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()


# A static file is named by its path; a guidance page given any query must be named by
# it (?school= or ?trust=): otherwise not found.
NAMED_BY_QUERY = {"static", "guidance.history", "guidance.edit"}
# The sample's sign-in provider has no secret, so it is not offered (tests/test_sso.py runs these
# against a real provider): not found, whatever the query.
NOT_OFFERED = {"sso.start", "sso.callback"}


@pytest.mark.parametrize("route", GETS, ids=lambda r: r[0])
def test_percent_encoded_bytes_that_are_not_utf8_stay_text(app, client, sample, route):
    spec = ROUTES[route]
    signed_in(client, sample, spec)
    path = build_path(app, *route, spec.ids, sample)
    response = client.get(path, headers=spec.headers, environ_overrides={"QUERY_STRING": "q=%ED%A0%80%FF&pupil=%FF"})
    assert_safe(response)
    response.close()  # a static file is sent from an open file
    assert response.status_code < 400 or route[0] in NAMED_BY_QUERY | NOT_OFFERED and response.status_code == 404


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r[0])
def test_a_form_body_that_is_not_utf8_is_a_bad_request(app, client, sample, route):
    spec = ROUTES[route]
    signed_in(client, sample, spec)
    token = real_token(app, client, spec, sample)
    before = snapshot(app)
    path = build_path(app, *route, spec.ids, sample)
    body = "&".join(f"{k}={v}" for k, v in spec.data(sample).items()).encode() + b"&note=\xed\xa0\x80\xff"
    response = client.post(
        path, data=body, content_type="application/x-www-form-urlencoded", headers={"X-CSRFToken": token}
    )
    assert_safe(response)
    assert response.status_code == 400
    assert changed_tables(before, snapshot(app)) == set()
    assert still_signed_in(client) == (spec.who is not None)  # a sign-out did not happen either


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
    (
        "current-url-javascript",
        ("entries.show", "GET"),
        {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)"},
        200,
    ),
    ("trigger-sql", ("main.home", "GET"), {"HX-Request": "true", "HX-Trigger": "' OR 1=1 --"}, 200),
]


@pytest.mark.parametrize("what, route, headers, status", HTMX_HEADERS, ids=[h[0] for h in HTMX_HEADERS])
def test_malformed_htmx_headers(app, client, sample, what, route, headers, status):
    spec = ROUTES[route]
    signed_in(client, sample, spec)
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
    response = post(
        app,
        client,
        sample,
        ("entries.add_follow_up", "POST"),
        headers={"HX-Request": "yes", "X-CSRFToken": real_token(app, client)},
    )
    assert response.status_code == 303  # a plain browser's answer
    after = snapshot(app)
    assert len(after["follow_ups"]) == len(before["follow_ups"]) + 1


# --- odd paths --------------------------------------------------------------------------------

ODD_PATHS = {  # as a server hands PATH_INFO over: decoded, latin-1 text standing for the bytes
    "nul": "/entries/\x00",
    "not-utf8": "/entries/\xed\xa0\x80",
    "very-long": "/entries/" + "1" * 10_000,
    "dotdot": "/entries/1/../../pupils/1/chronology/../../../etc/passwd",
    "double-slash-host": "//evil.example/entries/1",
    "static-dotdot": "/static/../instance/secret_key",
    "static-nul": "/static/css/app.css\x00.txt",
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


# urlsplit drops CR and LF before it looks for a host, so safe_next once let them
# through, and setting the Location header failed: a 500. Here with CSRF on, as in production.
@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: planted=1", "/\nX: 1"], ids=["crlf", "lf"])
def test_sign_in_with_a_line_break_in_next_goes_home(app, client, sample, target):
    signed_in(client, sample, None)
    token = real_token(app, client)
    spec = ROUTES[("auth.login", "POST")]
    response = client.post("/login", query_string={"next": target}, data={**spec.data(sample), "csrf_token": token})
    assert_safe(response)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "planted" not in response.headers.get("Set-Cookie", "")
