"""axe-core in the browser tests: one rule set and one way to run it, for the crawl of
every page (tests/test_browser_a11y.py) and for the pages the journeys stop on
(conftest.check_page).

axe-core is 570 KB of script. Every live server answers it at AXE_AT, cacheable, so a
page loads it from the browser's cache, compiled, instead of evaluating it afresh each
time (a fifth of the crawl's time). A page with a Playwright route has no HTTP cache
(Playwright turns it off), so the crawl hands pages over through its server, not a route."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

# WCAG 2.2 A and AA, and axe's best practices (a page has one h1, its content is in
# landmarks, ...). Every violation fails, whatever axe calls its impact.
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# resultTypes: every violation is still reported with all its nodes; the passes are not
# collected node by node (half of axe's time on a long page).
OPTIONS = {"runOnly": {"type": "tag", "values": RULES}, "resultTypes": ["violations"]}

SCRIPT = Axe().axe_script.encode()
AXE_AT = "/__axe.min.js"  # a path the app does not serve
AXE_TAG = f'<script src="{AXE_AT}"></script>'  # in a page's own markup: loaded with the page


def answer(start_response, body: bytes, content_type: str, cache_control: str) -> list[bytes]:
    """A 200 with `body`, from a WSGI wrapper that answers a path of its own."""
    start_response(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", cache_control)],
    )
    return [body]


def with_axe(app):
    """The WSGI app `app`, and axe-core at AXE_AT."""

    def serve(environ, start_response):
        if environ.get("PATH_INFO") != AXE_AT:
            return app(environ, start_response)
        return answer(start_response, SCRIPT, "text/javascript", "public, max-age=3600")

    return serve


def axe_violations(page: Page, name: str) -> list[str]:
    """Every violation of RULES axe-core finds on the page as it is now, a line each."""
    if page.evaluate("() => window.axe === undefined"):
        try:
            page.add_script_tag(url=AXE_AT)  # from the live server, or the browser's cache
        except PlaywrightError:  # a page from elsewhere than a live server
            page.evaluate(SCRIPT.decode())
    response = page.evaluate("options => axe.run(document, options)", OPTIONS)
    return [
        f"{name}: [{v['impact']}] {v['id']}: {v['help']} -> "
        + "; ".join(", ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in response["violations"]
    ]
