"""Security over HTTP with CSRF protection switched on, as in production: tokens,
signing in and out, redirects after sign-in, response headers, cookies, error pages
and hostile input."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from cpoms.audit import AuditEvent
from cpoms.auth.routes import FAILED
from cpoms.extensions import db
from cpoms.models import Entry, FollowUp, User
from cpoms.timefmt import now_utc, uk_local_input

from conftest import PASSWORD, POSTGRES_URL, Auth, csrf_token_from, totp_code

HX = {"HX-Request": "true"}
BODY_HX_HEADERS = re.compile(r"<body hx-headers='(\{[^']*\})'>")


@pytest.fixture
def config_overrides() -> dict:
    overrides = {"WTF_CSRF_ENABLED": True}
    if not POSTGRES_URL:
        overrides["SQLALCHEMY_DATABASE_URI"] = "sqlite://"  # fast; PostgreSQL when asked for
    return overrides


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def counts(app) -> tuple[int, int]:
    return count(app, Entry), count(app, FollowUp)


def strip_tokens(html: str) -> str:
    return re.sub(r'(csrf_token" type="hidden" value="|csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", html)


def log_form(world, **extra) -> dict:
    return {
        "pupil_ids": str(world.pupils[1].id),
        "category": str(world.categories["Behaviour"].id),
        "source": "staff_observation",
        "occurred_at": uk_local_input(now_utc() - timedelta(minutes=10)),
        "narrative": "Pushed in the lunch queue.",
        "checked": "1",  # past the gentle check on save (tests/test_record_check.py)
        **extra,
    }


@pytest.fixture
def entry_id(make_entry) -> int:
    return make_entry()


# (name, the page holding the form, where it posts, a valid body, what success changes)
def csrf_cases(world, entry_id):
    return {
        "log": ("/log", "/log", log_form(world)),
        "follow-up": (
            f"/entries/{entry_id}",
            f"/entries/{entry_id}/follow-ups",
            {"kind": "note", "text": "Seemed happier today."},
        ),
        "logout": ("/", "/logout", {}),
    }


def assert_effect(app, client, name: str, before: tuple[int, int]) -> None:
    entries, follow_ups = counts(app)
    if name == "log":
        assert (entries, follow_ups) == (before[0] + 1, before[1])
    elif name == "follow-up":
        assert (entries, follow_ups) == (before[0], before[1] + 1)
    else:
        assert (entries, follow_ups) == before
        assert client.get("/").status_code == 302  # signed out


# --- CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["log", "follow-up", "logout"])
def test_post_without_token_is_refused_and_writes_nothing(app, client, auth, world, entry_id, name):
    page, action, body = csrf_cases(world, entry_id)[name]
    auth.as_(world["teacher1"])
    assert client.get(page).status_code == 200  # a token now exists in the session
    before = counts(app)
    response = client.post(action, data=body)
    assert response.status_code == 400
    assert counts(app) == before
    assert client.get("/").status_code == 200  # still signed in: the logout was refused too


@pytest.mark.parametrize("name", ["log", "follow-up", "logout"])
def test_post_with_token_in_form_field_succeeds(app, client, auth, world, entry_id, name):
    page, action, body = csrf_cases(world, entry_id)[name]
    auth.as_(world["teacher1"])
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    before = counts(app)
    response = client.post(action, data={**body, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert_effect(app, client, name, before)


# The log form posted by htmx answers 204 with HX-Redirect: htmx then loads the entry page.
@pytest.mark.parametrize("name, status", [("log", 204), ("follow-up", 200), ("logout", 303)])
def test_htmx_post_with_token_in_header_succeeds(app, client, auth, world, entry_id, name, status):
    page, action, body = csrf_cases(world, entry_id)[name]
    auth.as_(world["teacher1"])
    html = client.get(page).get_data(as_text=True)
    token = json.loads(BODY_HX_HEADERS.search(html).group(1))["X-CSRFToken"]
    before = counts(app)
    response = client.post(action, data=body, headers={**HX, "X-CSRFToken": token})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    assert "csrf_token" not in body
    assert_effect(app, client, name, before)


def test_token_is_in_body_hx_headers_of_a_signed_in_page(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/").get_data(as_text=True)
    match = BODY_HX_HEADERS.search(html)
    assert match, "no <body hx-headers=...> on a signed-in page"
    token = json.loads(match.group(1))["X-CSRFToken"]
    assert token and token == csrf_token_from(html)


def test_token_of_another_session_is_refused(app, client, auth, world):
    auth.as_(world["teacher1"])
    token = csrf_token_from(client.get("/log").get_data(as_text=True))
    other = Auth(app, app.test_client()).as_(world["teacher2"])
    assert other.get("/log").status_code == 200
    response = other.post("/log", data={**log_form(world), "csrf_token": token})
    assert response.status_code == 400
    assert count(app, Entry) == 0


def test_csrf_failure_on_the_log_form_gives_back_what_was_typed(app, client, auth, world):
    narrative = "Said <b>Mum's</b> boyfriend & his dog frighten her."
    child_words = "I don't want to go home."
    auth.as_(world["teacher1"])
    response = client.post("/log", data=log_form(world, narrative=narrative, child_words=child_words))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your session expired before this was saved" in html
    assert str(escape(narrative)) in html
    assert str(escape(child_words)) in html
    assert "<b>Mum" not in html  # given back as text, never as markup
    assert count(app, Entry) == 0


def test_sign_in_without_token_is_refused(client, world):
    client.get("/login")
    response = client.post("/login", data={"email": world["teacher1"].email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --- signing in and out ------------------------------------------------------------


def sign_in(client, email: str, password: str = PASSWORD, next_: str | None = None):
    """The sign-in form, then the code step when the account has two-factor sign-in."""
    url = "/login" if next_ is None else f"/login?next={quote(next_, safe='')}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"email": email, "password": password, "csrf_token": token})
    step = response.headers.get("Location", "")
    if response.status_code == 303 and step.startswith("/login/two-factor"):
        token = csrf_token_from(client.get(step).get_data(as_text=True))
        code = totp_code(client.application, email)
        response = client.post(step, data={"code": code, "csrf_token": token})
    return response


def test_sign_in_succeeds_and_redirects_home(app, client, world):
    response = sign_in(client, world["teacher1"].email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == world["teacher1"].id)))
    assert "sign_in" in actions


def test_sign_in_ignores_case_and_spaces_in_the_email(client, world):
    response = sign_in(client, f"  {world['teacher1'].email.upper()} ")
    assert response.status_code == 303


def test_wrong_password_and_unknown_email_look_the_same(client, world):
    known = world["teacher1"].email
    unknown = "nobody@ashgrove.example.org"
    wrong = sign_in(client, known, "not the password")
    absent = sign_in(client, unknown, "not the password")
    assert wrong.status_code == absent.status_code == 422
    wrong_html, absent_html = wrong.get_data(as_text=True), absent.get_data(as_text=True)
    assert FAILED in wrong_html and FAILED in absent_html
    assert strip_tokens(wrong_html).replace(known, "EMAIL") == strip_tokens(absent_html).replace(unknown, "EMAIL")
    assert client.get("/").status_code == 302


def test_an_inactive_user_cannot_sign_in(app, client, world):
    with app.app_context():
        db.session.execute(update(User).where(User.id == world["teacher1"].id).values(active=False))
        db.session.commit()
    response = sign_in(client, world["teacher1"].email)
    assert response.status_code == 422
    assert FAILED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_deactivated_user_loses_a_live_session(app, client, world):
    assert sign_in(client, world["dsl"].email).status_code == 303
    assert client.get("/review").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == world["dsl"].id).values(active=False))
        db.session.commit()
    response = client.get("/review")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_in_starts_a_fresh_session(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    assert sign_in(client, world["teacher1"].email).status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_in_follows_a_local_next(client, world):
    response = sign_in(client, world["dsl"].email, next_="/review")
    assert response.status_code == 303
    assert response.headers["Location"] == "/review"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_ignores_a_next_to_another_site(client, world, target):
    response = sign_in(client, world["dsl"].email, next_=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_logout_only_by_post(client, auth, world):
    auth.as_(world["teacher1"])
    response = client.get("/logout")
    assert response.status_code == 405
    assert "That action is not allowed here" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in


def test_logout_ends_the_session(client, world):
    sign_in(client, world["teacher1"].email)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


# --- headers and cookies -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/log",
        "/review",
        "/entries/{entry_id}",
        "/pupils/{pupil_id}/chronology",
        "/entries/999999",
    ],
)
def test_security_headers_on_signed_in_pages(client, auth, world, entry_id, path):
    auth.as_(world["dsl"])
    response = client.get(path.format(entry_id=entry_id, pupil_id=world.pupils[0].id))
    assert response.status_code in (200, 404)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in response.headers["Cache-Control"]


def test_security_headers_on_the_sign_in_page(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite_lax(app, client, world):
    response = sign_in(client, world["teacher1"].email)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, "sign-in set no session cookie"
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


# --- error pages and hostile input ------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_missing_route_gives_a_friendly_404(client, auth, world, signed_in):
    auth.as_(world["teacher1"] if signed_in else None)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "Traceback" not in html and "werkzeug" not in html.lower()


BIG = "99999999999999999999"


@pytest.mark.parametrize(
    "path, status",
    [
        ("/review?category=abc&page=-5&status=<script>", 200),
        ("/review?page=" + BIG + "&category=" + BIG + "&school=nowhere", 200),
        ("/pupils/999999/chronology", 404),
        ("/pupils/{pupil_id}/chronology?category=<script>", 200),
        ("/log?q=%27%20OR%201=1--", 200),
        ("/log?q=%00%25_%5C", 200),
        ("/log?q=<script>alert(1)</script>", 200),
        ("/log?pupil=abc&pupil=-1", 200),
        ("/entries/abc", 404),
        ("/entries/-1", 404),
        ("/entries/" + BIG, 404),
        ("/pupils/" + BIG + "/chronology", 404),
        ("/log/pupils/" + BIG, 404),
        ("/log?pupil=" + BIG, 200),
        ("/log?pupil=%C2%B2", 200),
    ],
)
def test_hostile_query_never_500(client, auth, world, path, status):
    auth.as_(world["dsl"])
    response = client.get(path.format(pupil_id=world.pupils[0].id))
    assert response.status_code == status
    assert "<script>" not in response.get_data(as_text=True).split("</head>", 1)[1]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"find": "1", "q": "' OR 1=1--"}, 200),
        ({"pupil_ids": ["abc", "²", "-3"]}, 422),
        ({"add_pupil": "²"}, 200),
        ({"add_pupil": BIG}, 200),
        ({"pupil_ids": BIG}, 422),
    ],
)
def test_hostile_log_form_never_500(app, client, auth, world, body, status):
    auth.as_(world["teacher1"])
    token = csrf_token_from(client.get("/log").get_data(as_text=True))
    response = client.post("/log", data={**body, "csrf_token": token})
    assert response.status_code == status
    assert count(app, Entry) == 0
