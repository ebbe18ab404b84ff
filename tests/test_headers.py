"""Security headers on every page, from the one place that sets them; no inline
script or style in any template, so the Content-Security-Policy can forbid them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.routing import Rule

from cpoms import security_headers
from sweep import REQUEST, build_url

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSP_MUST = [
    "default-src 'self'",
    "script-src 'self' https://unpkg.com/htmx.org@",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def assert_secure(response, *, cached: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    for directive in CSP_MUST:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert ("no-store" in response.headers.get("Cache-Control", "")) is not cached
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def get_routes(app) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"), key=lambda r: r.endpoint
    )


@pytest.mark.parametrize("who", [None, "dsl", "admin", "governor"])
def test_every_page_sends_the_security_headers(app, client, auth, world, sample, who):
    auth.as_(world[who] if who else None)
    for rule in get_routes(app):
        spec = REQUEST.get((rule.endpoint, "GET"), {})
        url = build_url(app, rule.endpoint, sample, **spec.get("query", {}))
        response = client.get(url, headers=spec.get("headers", {}))
        assert response.status_code < 500, url
        assert_secure(response)


def test_error_pages_send_them_too(app, client, auth, world, monkeypatch):
    assert_secure(client.get("/no-such-page"))
    auth.as_(world["dsl"])
    import cpoms.main.routes as main_routes

    monkeypatch.setattr(main_routes, "render", lambda *a, **k: 1 / 0)
    response = client.get("/")
    assert response.status_code == 500
    assert_secure(response)


def test_static_files_may_be_cached_but_are_still_locked_down(client):
    response = client.get("/static/css/app.css")
    response.close()
    assert_secure(response, cached=True)


STATIC_URL = re.compile(r'(?:src|href|data-local)="(/static/([^"?]+)\?v=([0-9a-f]+))"')


def test_a_page_names_each_static_file_with_its_content_hash_and_that_url_is_kept_a_year(client):
    """The browser keeps what the page names and does not ask again; an old or missing
    hash is answered too, but checked each time (cpoms/static_files.py)."""
    named = STATIC_URL.findall(client.get("/login").get_data(as_text=True))
    assert {name for _, name, _ in named} >= {"css/app.css", "js/htmx-fallback.js", "js/htmx.min.js"}
    folder = Path(client.application.static_folder)
    for url, name, version in named:
        assert version == hashlib.sha256((folder / name).read_bytes()).hexdigest()[:16]
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.public, url
        assert_secure(response, cached=True)
    for url in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        response = client.get(url)
        response.close()
        assert response.status_code == 200 and response.cache_control.max_age is None, url
        assert response.headers["ETag"], url  # checked, not fetched again, while unchanged


def test_a_changed_static_file_gets_a_new_url(app, tmp_path):
    (tmp_path / "app.css").write_text("body { color: black }")
    app.static_folder = str(tmp_path)
    with app.test_request_context():
        before = url_for("static", filename="app.css")
        (tmp_path / "app.css").write_text("body { color: navy; background: white }")
        after = url_for("static", filename="app.css")
        assert before != after and after.startswith("/static/app.css?v=")
        assert url_for("static", filename="no-such-file.css") == "/static/no-such-file.css"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    response = client.get("/login", base_url="https://concerns.school.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXIES": 1}])
def test_a_trusted_proxy_that_terminated_https_gets_hsts(client, config_overrides):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
    assert "Strict-Transport-Security" in response.headers


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_csp_without_a_cdn_allows_only_this_site():
    csp = security_headers.content_security_policy("")
    assert "script-src 'self';" in csp


def script_sources(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("script-src "))
    return directive.split()[1:]


def test_csp_allows_the_one_pinned_htmx_file_not_the_whole_cdn(app, client):
    """Anything else on the CDN (any package, any version) is refused: the only
    script from outside is the file the page loads, and the local copy is the fallback."""
    pinned = app.config["HTMX_CDN_URL"]
    response = client.get("/login")
    assert script_sources(response.headers["Content-Security-Policy"]) == ["'self'", pinned]
    page = response.get_data(as_text=True)
    outside = [src for src in re.findall(r'<script src="([^"]+)"', page) if not src.startswith("/")]
    assert outside == [pinned]
    # The fallback and the copy it loads are this site's own.
    fallback = re.search(r'<script src="(/static/js/htmx-fallback\.js\?v=[0-9a-f]+)" data-local="([^"]+)"', page)
    assert fallback and fallback.group(2).startswith("/static/")
    for path in fallback.groups():
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://unpkg.com",
        "https://unpkg.com/",
        "http://unpkg.com/htmx.min.js",
        "https://unpkg.com/htmx.min.js; script-src *",
        "https://unpkg.com/a b.js",
        "https://unpkg.com/htmx.min.js?x=1",
    ],
)
def test_a_cdn_setting_that_is_not_one_file_stops_the_start(url):
    with pytest.raises(ValueError, match="HTMX_CDN_URL"):
        security_headers.content_security_policy(url)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= event handler"),
    (re.compile(r"\shx-on", re.I), "an hx-on attribute (needs eval)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize(
    "template",
    sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html") if p.parent.name != "email"),
)
def test_no_template_has_inline_script_or_style(template):
    """Emails are exempt: mail clients need inline styles and run no script."""
    source = (TEMPLATES / template).read_text()
    for pattern, what in INLINE:
        assert not pattern.search(source), f"{template} has {what}: the CSP would block it"


def test_hidden_page_goes_back_only_within_the_site(client, auth, world):
    auth.as_(world["teacher1"])
    host = "http://localhost"
    assert 'href="/log?pupil=3"' in client.get("/hidden", headers={"Referer": f"{host}/log?pupil=3"}).get_data(
        as_text=True
    )
    for referer in ["https://evil.example/log", f"{host}//evil.example/x", "", f"{host}/hidden", "not a url"]:
        html = client.get("/hidden", headers={"Referer": referer}).get_data(as_text=True)
        assert 'class="button" href="/"' in html, referer
