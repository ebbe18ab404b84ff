"""Signing in with the trust's identity provider, against a real OpenID provider: the
certified `oidc-provider` package on Node (tests/oidc_provider/), over real HTTP. The app
talks to it with Authlib; a test plays the browser at the provider with requests and at
the app with the Flask client (and once with Chromium)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # nosec B404: starts the test provider
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Role, User
from cpoms.sso import oidc, providers
from cpoms.sso.models import SignInLink, SignInProvider, SignInSettings

from conftest import PASSWORD, free_port, make_user, totp_code

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
SECRET = "cpoms-test-secret"  # nosec B105: the test provider's client secret
SLUG = "test"
TENANT = "0b3c9f4e-1d2a-4c5b-8e7f-112233445566"


def _node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        if os.environ.get("CPOMS_REQUIRE_OIDC") == "1":
            pytest.fail("CPOMS_REQUIRE_OIDC=1 but node/npm are missing (apt-get install nodejs npm)", pytrace=False)
        pytest.skip("Node.js and npm are not installed (apt-get install nodejs npm); .ci/run installs them")
    return node, npm


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The test provider on a free port: its issuer address."""
    node, npm = _node_tools()
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=300)  # nosec
    port = free_port()
    log = open(tmp_path_factory.mktemp("oidc-provider") / "provider.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(  # nosec B603: our own script
        [node, "server.js"],
        cwd=PROVIDER_DIR,
        env={**os.environ, "PORT": str(port), "ISSUER_HOST": "localhost"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Another site than the app's 127.0.0.1: the browser's round trip is cross-site, as in life.
    issuer = f"http://localhost:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            pytest.fail(f"the test OpenID provider did not start: {log.read().decode()[-2000:]}")
        time.sleep(0.2)
    yield issuer
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def provider_row(app, world, oidc_provider, monkeypatch):
    """The trust's provider, set up as a trust admin would, with its secret in the environment."""
    monkeypatch.setenv(providers.secret_variable(SLUG), SECRET)
    with app.app_context():
        row = SignInProvider(
            trust_id=world.trust.id,
            slug=SLUG,
            name="Test ID",
            kind=providers.OIDC,
            restriction="",
            issuer=oidc_provider,
            client_id="cpoms",
            mfa_claim="amr",
            mfa_value="mfa",
            enabled=True,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def set_provider(app, **values):
    with app.app_context():
        row = db.session.scalar(select(SignInProvider).where(SignInProvider.slug == SLUG))
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


def provider_misbehaves(issuer: str, mode: str) -> None:
    requests.post(f"{issuer}/_test/next-token", data={"mode": mode}, timeout=5).raise_for_status()


def at_provider(issuer: str, authorize_url: str, email: str, mfa=False, verified="true", hd="", tid="") -> str:
    """The person at the provider's sign-in page: the callback address it sends them back to."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "<form" in response.text:
            form = {"email": email, "email_verified": verified, "hd": hd, "tid": tid}
            if mfa:
                form["mfa"] = "1"
            response = browser.post(url, data=form, allow_redirects=False, timeout=10)
        location = response.headers.get("Location", "")
        assert location, (response.status_code, response.text[:500])
        if location.startswith("http://localhost/"):
            return location
        url = location if location.startswith("http") else issuer + location
    raise AssertionError("the provider never sent the browser back")


def sso_sign_in(client, issuer: str, email: str, mode: str | None = None, **at):
    """The whole round trip; the app's answer at the callback."""
    start = client.get(f"/login/sso/{SLUG}")
    assert start.status_code == 303, start.data[:500]
    callback = at_provider(issuer, start.headers["Location"], email, **at)
    if mode:
        provider_misbehaves(issuer, mode)
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [{"user_id": r.user_id, **json.loads(r.detail or "{}")} for r in rows]


def signed_in_as(client) -> str | None:
    page = client.get("/")
    if page.status_code != 200:
        return None
    return page.get_data(as_text=True)


# --- the happy paths -----------------------------------------------------------------


def test_login_page_offers_the_provider_as_a_real_link(client, provider_row):
    page = client.get("/login?next=/log").get_data(as_text=True)
    assert 'href="/login/sso/test?next=/log"' in page
    assert "Continue with Test ID" in page


def test_no_button_without_the_secret(client, provider_row, monkeypatch):
    monkeypatch.delenv(providers.secret_variable(SLUG))
    assert "Continue with" not in client.get("/login").get_data(as_text=True)
    assert client.get(f"/login/sso/{SLUG}").status_code == 404


def test_staff_member_signs_in_and_is_linked(app, client, world, oidc_provider, provider_row):
    teacher = world["teacher1"]
    response = sso_sign_in(client, oidc_provider, teacher.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Sign out" in signed_in_as(client)
    signed = events(app, "sso_sign_in")
    assert signed == [{"user_id": teacher.id, "provider": SLUG, "mfa": False}]
    assert events(app, "sso_linked")[0]["user_id"] == teacher.id
    with app.app_context():
        link = db.session.scalar(select(SignInLink).where(SignInLink.user_id == teacher.id))
        assert link.subject == teacher.email and link.provider == SLUG


def test_next_survives_the_round_trip(client, world, oidc_provider, provider_row):
    start = client.get(f"/login/sso/{SLUG}?next=/log")
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["teacher1"].email))
    assert client.get(f"{callback.path}?{callback.query}").headers["Location"] == "/log"


def test_start_sends_pkce_state_and_nonce(client, provider_row):
    location = client.get(f"/login/sso/{SLUG}").headers["Location"]
    for part in ("code_challenge=", "code_challenge_method=S256", "state=", "nonce=", "scope=openid"):
        assert part in location


# --- two factors ------------------------------------------------------------------------


def test_privileged_role_with_provider_mfa_has_passed_the_second_factor(
    app, client, world, oidc_provider, provider_row
):
    response = sso_sign_in(client, oidc_provider, world["dsl"].email, mfa=True)
    assert response.headers["Location"] == "/"
    assert client.get("/review").status_code == 200  # a DSL's page, only after two factors
    assert events(app, "sso_sign_in")[-1]["mfa"] is True


def test_privileged_role_without_provider_mfa_gives_the_apps_own_code(app, client, world, oidc_provider, provider_row):
    dsl = world["dsl"]
    response = sso_sign_in(client, oidc_provider, dsl.email, mfa=False)
    assert response.headers["Location"].startswith("/login/two-factor")
    assert client.get("/review").status_code == 302  # nothing else until the code
    done = client.post(response.headers["Location"], data={"code": totp_code(app, dsl)})
    assert done.status_code == 303
    assert client.get("/review").status_code == 200


def test_mfa_is_not_taken_from_a_provider_not_trusted_for_it(app, client, world, oidc_provider, provider_row):
    set_provider(app, mfa_claim="")
    response = sso_sign_in(client, oidc_provider, world["dsl"].email, mfa=True)
    assert response.headers["Location"].startswith("/login/two-factor")


def test_mfa_claim_and_value_are_configurable(app, client, world, oidc_provider, provider_row):
    set_provider(app, mfa_value="hwk")  # the provider says mfa, not hwk
    response = sso_sign_in(client, oidc_provider, world["dsl"].email, mfa=True)
    assert response.headers["Location"].startswith("/login/two-factor")


# --- refusals -----------------------------------------------------------------------------


def refused(response, app, reason: str, text: str | None = None):
    assert response.status_code == 403, response.data[:500]
    assert signed_in_as_anyone(response) is False
    assert events(app, "sso_refused")[-1]["reason"].startswith(reason), events(app, "sso_refused")
    if text:
        assert text in response.get_data(as_text=True)


def signed_in_as_anyone(response) -> bool:
    return "Sign out" in response.get_data(as_text=True)


def nobody_signed_in(client) -> None:
    assert client.get("/").status_code == 302


def test_unknown_email_is_refused_with_a_clear_message(app, client, oidc_provider, provider_row):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    response = sso_sign_in(client, oidc_provider, "stranger@ashgrove.example.org")
    refused(response, app, "unknown_email", "never creates an account")
    nobody_signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_deactivated_account_cannot_come_back(app, client, world, oidc_provider, provider_row):
    with app.app_context():
        db.session.get(User, world["teacher2"].id).active = False
        db.session.commit()
    refused(sso_sign_in(client, oidc_provider, world["teacher2"].email), app, "deactivated")
    nobody_signed_in(client)


def test_unverified_email_is_refused(app, client, world, oidc_provider, provider_row):
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, verified="false"), app, "email_not_verified")


def test_wrong_audience_is_refused(app, client, world, oidc_provider, provider_row):
    response = sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="wrong_aud")
    refused(response, app, "bad_claims")
    nobody_signed_in(client)


def test_tampered_token_is_refused(app, client, world, oidc_provider, provider_row):
    # The provider's token for teacher1, its email changed to the DSL's after signing.
    response = sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="tampered")
    refused(response, app, "bad_signature")
    nobody_signed_in(client)


def test_unsigned_token_is_refused(app, client, world, oidc_provider, provider_row):
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="unsigned"), app, "bad_signature")


def test_expired_token_is_refused(app, client, world, oidc_provider, provider_row):
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="expired"), app, "bad_claims")


def test_token_from_another_issuer_is_refused(app, client, world, oidc_provider, provider_row):
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="wrong_iss"), app, "bad_claims")


def test_wrong_nonce_is_refused(app, client, world, oidc_provider, provider_row):
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, mode="wrong_nonce"), app, "bad_claims")


def test_replayed_callback_is_refused(app, client, world, oidc_provider, provider_row):
    start = client.get(f"/login/sso/{SLUG}")
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["teacher1"].email))
    url = f"{callback.path}?{callback.query}"
    with client.session_transaction() as cookie_session:
        copied = dict(cookie_session)  # an attacker's copy of the cookie, state and all
    assert client.get(url).status_code == 303
    client.post("/logout")
    # The same browser again: its state is used up.
    refused(client.get(url), app, "state_mismatch", "already been used")
    # With the old cookie, state and all: the provider refuses the code a second time.
    with client.session_transaction() as cookie_session:
        cookie_session.clear()
        cookie_session.update(copied)
    refused(client.get(url), app, "token_exchange_failed")
    nobody_signed_in(client)


def test_callback_without_a_sign_in_started_here_is_refused(app, client, world, oidc_provider, provider_row):
    other = client.application.test_client()
    start = other.get(f"/login/sso/{SLUG}")
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["dsl"].email, mfa=True))
    # A victim's browser sent to someone else's callback (login CSRF): no state of its own.
    refused(client.get(f"{callback.path}?{callback.query}"), app, "state_mismatch")


def test_error_from_the_provider_is_refused(app, client, provider_row):
    client.get(f"/login/sso/{SLUG}")
    with client.session_transaction() as cookie_session:
        state = cookie_session[oidc.PENDING]["state"]
    refused(client.get(f"/login/sso/{SLUG}/callback?state={state}&error=access_denied"), app, "provider_error")


def test_account_of_another_trust_is_refused(app, client, world, oidc_provider, provider_row):
    with app.app_context():
        from cpoms.models import School, Trust

        other_trust = Trust(name="Other Trust")
        school = School(slug="elsewhere", name="Elsewhere Primary", trust=other_trust)
        db.session.add_all([other_trust, school])
        db.session.flush()
        make_user("Far Away", "far@elsewhere.example.org", roles=[(Role.STAFF, school, None)])
        db.session.commit()
    refused(sso_sign_in(client, oidc_provider, "far@elsewhere.example.org"), app, "other_trust")


def test_changed_subject_for_a_linked_account_is_refused(app, client, world, oidc_provider, provider_row):
    with app.app_context():
        db.session.add(SignInLink(user_id=world["teacher1"].id, provider=SLUG, subject="someone-before"))
        db.session.commit()
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email), app, "subject_changed")


# --- the tenant / hosted-domain restriction -------------------------------------------------


def test_google_hosted_domain_is_enforced(app, client, world, oidc_provider, provider_row, monkeypatch):
    monkeypatch.setattr(providers, "GOOGLE_ISSUER", oidc_provider)
    set_provider(app, kind=providers.GOOGLE, restriction="ashgrove.example.org", issuer="")
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, hd="gmail.com"), app, "restriction_failed")
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email), app, "restriction_failed")
    response = sso_sign_in(client, oidc_provider, world["teacher1"].email, hd="ashgrove.example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_microsoft_tenant_is_enforced(app, client, world, oidc_provider, provider_row, monkeypatch):
    monkeypatch.setattr(providers, "MICROSOFT_ISSUER", oidc_provider)
    set_provider(app, kind=providers.MICROSOFT, restriction=TENANT, issuer="")
    other_tenant = "99999999-1d2a-4c5b-8e7f-112233445566"
    refused(sso_sign_in(client, oidc_provider, world["teacher1"].email, tid=other_tenant), app, "restriction_failed")
    response = sso_sign_in(client, oidc_provider, world["teacher1"].email, tid=TENANT)
    assert response.status_code == 303 and response.headers["Location"] == "/"


# --- password sign-in turned off, the break-glass admin --------------------------------------


def turn_passwords_off(app, world, break_glass_id):
    with app.app_context():
        db.session.add(
            SignInSettings(trust_id=world.trust.id, password_sign_in=False, break_glass_user_id=break_glass_id)
        )
        db.session.commit()


def test_password_sign_in_off_refuses_passwords_but_not_the_break_glass_admin(
    app, client, world, trust_admin, provider_row, oidc_provider
):
    turn_passwords_off(app, world, trust_admin.id)
    refused_page = client.post("/login", data={"email": world["teacher1"].email, "password": PASSWORD})
    assert refused_page.status_code == 422
    assert "not with a password here" in refused_page.get_data(as_text=True)
    nobody_signed_in(client)
    assert events(app, "sign_in_password_off")[-1]["user_id"] == world["teacher1"].id
    # A wrong password still gets the one message for every failure.
    wrong = client.post("/login", data={"email": world["teacher1"].email, "password": "nope nope nope"})
    assert "not with a password here" not in wrong.get_data(as_text=True)
    # The break-glass admin still signs in with a password (and their code).
    glass = client.post("/login", data={"email": trust_admin.email, "password": PASSWORD})
    assert glass.headers["Location"].startswith("/login/two-factor")
    client.post(glass.headers["Location"], data={"code": totp_code(app, trust_admin)})
    assert client.get("/admin/sign-in").status_code == 200
    client.post("/logout")
    # The provider still works for staff.
    assert sso_sign_in(client, oidc_provider, world["teacher1"].email).headers["Location"] == "/"


# --- signing out ---------------------------------------------------------------------------------


def test_sign_out_offers_the_providers_sign_out(app, client, world, oidc_provider, provider_row):
    sso_sign_in(client, oidc_provider, world["teacher1"].email)
    page = client.post("/logout")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="{oidc_provider}/session/end?client_id=cpoms&amp;post_logout_redirect_uri=' in html
    nobody_signed_in(client)
    assert events(app, "sign_out")[-1]["user_id"] == world["teacher1"].id


def test_sign_out_offers_the_provider_after_the_apps_own_code_too(app, client, world, oidc_provider, provider_row):
    dsl = world["dsl"]
    response = sso_sign_in(client, oidc_provider, dsl.email, mfa=False)
    client.post(response.headers["Location"], data={"code": totp_code(app, dsl)})
    assert client.get("/review").status_code == 200
    page = client.post("/logout")
    assert page.status_code == 200 and "Sign out of Test ID too" in page.get_data(as_text=True)


def test_sign_out_after_a_password_is_as_before(client, auth, world, provider_row):
    auth.login(world["teacher1"])
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"


# --- the trust admin's settings page ---------------------------------------------------------------

GOOD = {
    "name": "Microsoft",
    "slug": "microsoft",
    "kind": "microsoft",
    "restriction": TENANT,
    "issuer": "",
    "client_id": "app-id",
    "mfa_claim": "amr",
    "mfa_value": "mfa",
    "enabled": "y",
}


def test_trust_admin_sets_up_a_provider_audited(app, client, auth, trust_admin):
    auth.as_(trust_admin)
    assert client.get("/admin/sign-in").status_code == 200
    response = client.post("/admin/sign-in", data=GOOD)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(SignInProvider).where(SignInProvider.slug == "microsoft"))
        assert row.restriction == TENANT and row.kind == "microsoft"
        assert not hasattr(row, "client_secret")
    added = events(app, "sso_provider_added")[-1]
    assert added["provider"] == "microsoft" and "secret" not in json.dumps(added)
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "OIDC_MICROSOFT_CLIENT_SECRET" in page


@pytest.mark.parametrize(
    "change, field_text",
    [
        ({"restriction": "common"}, "tenant id"),
        ({"kind": "google", "restriction": "not a domain"}, "Workspace domain"),
        ({"kind": "oidc", "issuer": "javascript:alert(1)"}, "issuer address"),
        ({"slug": "Has Spaces"}, "single hyphens"),
        ({"kind": "saml"}, "Not a valid choice"),
        ({"client_id": ""}, "client id"),
    ],
)
def test_bad_provider_settings_are_refused(app, client, auth, trust_admin, change, field_text):
    auth.as_(trust_admin)
    response = client.post("/admin/sign-in", data={**GOOD, **change})
    assert response.status_code == 422
    assert field_text.lower() in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInProvider)) == 0


def test_school_admin_cannot_change_sign_in(client, auth, world):
    auth.as_(world["admin"])
    assert client.get("/admin/sign-in").status_code == 403
    assert client.post("/admin/sign-in", data=GOOD).status_code == 403


def test_trust_admin_turns_passwords_off_with_a_break_glass_admin(app, client, auth, world, trust_admin, provider_row):
    auth.as_(trust_admin)
    no_glass = client.post("/admin/sign-in/password", data={"break_glass": ""})
    assert no_glass.status_code == 422 and "break-glass" in no_glass.get_data(as_text=True)
    stranger = client.post("/admin/sign-in/password", data={"break_glass": str(world["teacher1"].id)})
    assert stranger.status_code == 422  # not a trust-wide admin
    done = client.post("/admin/sign-in/password", data={"break_glass": str(trust_admin.id)})
    assert done.status_code == 303
    with app.app_context():
        settings = db.session.get(SignInSettings, world.trust.id)
        assert settings.password_sign_in is False and settings.break_glass_user_id == trust_admin.id
    assert events(app, "password_sign_in_setting_changed")[-1]["new"] == {
        "password_sign_in": False,
        "break_glass_user_id": trust_admin.id,
    }


def test_passwords_stay_on_while_no_provider_works(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    response = client.post("/admin/sign-in/password", data={"break_glass": str(trust_admin.id)})
    assert response.status_code == 422
    assert "Set up a provider" in response.get_data(as_text=True)


def test_change_and_remove_a_provider(app, client, auth, world, trust_admin, provider_row):
    auth.as_(trust_admin)
    data = {
        f"p{provider_row}-{k}": v
        for k, v in {
            **GOOD,
            "slug": SLUG,
            "kind": "oidc",
            "issuer": "https://id.example.org",
            "restriction": "",
        }.items()
    }
    assert client.post(f"/admin/sign-in/{provider_row}", data=data).status_code == 303
    assert events(app, "sso_provider_changed")[-1]["new"]["issuer"] == "https://id.example.org"
    assert client.post(f"/admin/sign-in/{provider_row}/remove").status_code == 303
    assert events(app, "sso_provider_removed")[-1]["provider"] == SLUG
    with app.app_context():
        assert db.session.get(SignInProvider, provider_row) is None


def test_another_trusts_provider_looks_missing(app, client, auth, world, trust_admin, provider_row):
    with app.app_context():
        from cpoms.models import Trust

        other = Trust(name="Other Trust")
        db.session.add(other)
        db.session.flush()
        admin = make_user("Other Admin", "admin@other.example.org", roles=[(Role.ADMIN, None, other)])
        db.session.commit()
        db.session.refresh(admin)
        db.session.expunge(admin)
    auth.as_(admin)
    assert client.post(f"/admin/sign-in/{provider_row}/remove").status_code == 404
    assert events(app, "denied")[-1]["user_id"] == admin.id


def test_provider_from_the_environment(app, world, oidc_provider, monkeypatch, client):
    monkeypatch.setenv(providers.secret_variable("staff-id"), SECRET)
    app.config["SIGN_IN_PROVIDERS"] = json.dumps(
        [
            {
                "slug": "staff-id",
                "name": "Staff ID",
                "kind": "oidc",
                "trust": "Test Trust",
                "issuer": oidc_provider,
                "client_id": "cpoms",
            }
        ]
    )
    assert "Continue with Staff ID" in client.get("/login").get_data(as_text=True)
    start = client.get("/login/sso/staff-id")
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["teacher1"].email))
    assert client.get(f"{callback.path}?{callback.query}").headers["Location"] == "/"


@pytest.mark.parametrize(
    "text",
    [
        '{"not": "a list"}',
        '[{"slug": "x"}]',
        '[{"slug": "Bad Slug", "kind": "oidc", "trust": "T", "client_id": "c", "issuer": "https://a.b"}]',
        "not json",
    ],
)
def test_a_bad_environment_provider_stops_start_up(text):
    with pytest.raises(ValueError):
        providers.parse_environment(text)


# --- in Chromium ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_sign_in_with_the_provider_in_chromium(app, world, oidc_provider, provider_row, live_server, page):
    from playwright.sync_api import expect

    from conftest import check_page, open_page

    problems: list[str] = []
    open_page(page, f"{live_server}/login")
    button = page.get_by_role("link", name="Continue with Test ID")
    box = button.bounding_box()
    assert box["height"] >= 44
    check_page(page, "sso-login", problems)
    button.click()
    page.get_by_label("Email", exact=True).fill(world["teacher1"].email)
    page.get_by_role("button", name="Sign in at the provider").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign out of Test ID too")).to_be_visible()
    check_page(page, "sso-signed-out", problems)  # the provider's sign-out offered
    assert not problems, "\n".join(problems)
    page.get_by_role("link", name="Sign out of Test ID too").click()
    # The provider asks to confirm its own sign-out, then returns to our sign-in page.
    page.get_by_role("button").first.click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


# --- hostile values against the real provider ----------------------------------------------------


@pytest.mark.parametrize(
    "target", ["//evil.example.com/", "https://evil.example.com/", "javascript:alert(1)", "/\\evil"]
)
def test_next_never_leaves_the_site(client, world, oidc_provider, provider_row, target):
    start = client.get(f"/login/sso/{SLUG}", query_string={"next": target})
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["teacher1"].email))
    assert client.get(f"{callback.path}?{callback.query}").headers["Location"] == "/"


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("state", "<script>alert(1)</script>", "state_mismatch"),
        ("state", "x" * 10_000, "state_mismatch"),
        ("code", "<script>alert(1)</script>", "token_exchange_failed"),
        ("code", "' OR 1=1 --", "token_exchange_failed"),
        ("code", "x" * 10_000, "no_code"),
        ("iss", "https://evil.example.com", "wrong_issuer_in_response"),
        ("error", "<script>alert(1)</script>", "provider_error"),
    ],
)
def test_hostile_callback_values_are_refused_safely(
    app, client, world, oidc_provider, provider_row, name, value, reason
):
    start = client.get(f"/login/sso/{SLUG}")
    callback = urlsplit(at_provider(oidc_provider, start.headers["Location"], world["teacher1"].email))
    query = dict(part.split("=", 1) for part in callback.query.split("&"))
    query = {k: requests.utils.unquote(v) for k, v in query.items()}
    query[name] = value
    response = client.get(callback.path, query_string=query)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert events(app, "sso_refused")[-1]["reason"].startswith(reason)
    nobody_signed_in(client)


def test_a_callback_that_is_not_utf8_is_refused(app, client, provider_row):
    client.get(f"/login/sso/{SLUG}")
    response = client.get(f"/login/sso/{SLUG}/callback?state=%ED%A0%80%FF&code=%FF")
    assert response.status_code == 403
    assert events(app, "sso_refused")[-1]["reason"] == "state_mismatch"


@pytest.mark.browser
@pytest.mark.parametrize("width", [768, 390])
def test_the_sign_in_settings_page_in_chromium(app, world, trust_admin, provider_row, live_server, page, width):
    from playwright.sync_api import expect

    from conftest import check_page, open_page

    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, f"{live_server}/login")
    page.get_by_label("Email address").fill(trust_admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Code").fill(totp_code(app, trust_admin))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    open_page(page, f"{live_server}/admin/sign-in")
    expect(page.get_by_role("heading", name="Sign-in for Test Trust")).to_be_visible()
    problems: list[str] = []
    check_page(page, f"sso-settings-{width}", problems)
    assert not problems, "\n".join(problems)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for button in page.locator("main button").all():
        assert button.bounding_box()["height"] >= 44
    # Turn passwords off with the trust admin as break-glass, from the page itself.
    page.get_by_label("Staff may sign in with a password").uncheck()
    page.get_by_label("Break-glass administrator").select_option(label=f"Trust Admin ({trust_admin.email})")
    page.get_by_role("button", name="Save password sign-in").click()
    expect(page.get_by_text("Password sign-in is saved.")).to_be_visible()


def test_the_sign_in_pages_pass_the_nu_html_checker(
    app, client, auth, world, trust_admin, oidc_provider, provider_row, tmp_path
):
    from helpers import HTMX_ATTRIBUTE, vnu_or_skip

    command = vnu_or_skip()
    pages = {"login": client.get("/login").get_data(as_text=True)}
    pages["refused"] = sso_sign_in(client, oidc_provider, "stranger@ashgrove.example.org").get_data(as_text=True)
    sso_sign_in(client, oidc_provider, world["teacher1"].email)
    pages["signed-out"] = client.post("/logout").get_data(as_text=True)
    auth.as_(trust_admin)
    pages["settings"] = client.get("/admin/sign-in").get_data(as_text=True)
    pages["settings-errors"] = client.post("/admin/sign-in", data={"kind": "microsoft"}).get_data(as_text=True)
    pages["password-errors"] = client.post("/admin/sign-in/password", data={}).get_data(as_text=True)
    paths = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run(  # nosec B603
        [*command, "--errors-only", "--format", "json", *paths], capture_output=True, text=True, timeout=300
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{m.get('url', '').rsplit('/', 1)[-1]} line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" and not HTMX_ATTRIBUTE.search(m.get("message", ""))
    ]
    assert not errors, "\n".join(errors)


def test_a_provider_that_cannot_be_reached_is_a_clear_refusal(app, client, provider_row):
    set_provider(app, issuer=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    response = client.get(f"/login/sso/{SLUG}")
    assert response.status_code == 502
    assert "did not work" in response.get_data(as_text=True)
    assert events(app, "sso_refused")[-1]["reason"] == "provider_unreachable"


def test_a_break_glass_admin_who_is_no_longer_a_trust_admin_loses_the_password(
    app, client, world, trust_admin, provider_row
):
    turn_passwords_off(app, world, trust_admin.id)
    with app.app_context():
        user = db.session.get(User, trust_admin.id)
        user.roles[0].role = Role.TRUST_REP  # moved to another job in the trust
        db.session.commit()
    response = client.post("/login", data={"email": trust_admin.email, "password": PASSWORD})
    assert response.status_code == 422 and "not with a password here" in response.get_data(as_text=True)


def test_the_last_working_provider_stays_while_passwords_are_off(app, client, auth, world, trust_admin, provider_row):
    turn_passwords_off(app, world, trust_admin.id)
    auth.as_(trust_admin)
    removed = client.post(f"/admin/sign-in/{provider_row}/remove", follow_redirects=True)
    assert "only working provider" in removed.get_data(as_text=True)
    data = {f"p{provider_row}-{k}": v for k, v in {**GOOD, "slug": SLUG, "kind": "oidc", "restriction": ""}.items()}
    data[f"p{provider_row}-issuer"] = "https://id.example.org"
    del data[f"p{provider_row}-enabled"]
    switched_off = client.post(f"/admin/sign-in/{provider_row}", data=data)
    assert switched_off.status_code == 422 and "only working provider" in switched_off.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(SignInProvider, provider_row)
        assert row is not None and row.enabled
