"""Accessibility in a real browser (Chromium), at tablet size (768x1024):

* axe-core finds no violation (WCAG 2.2 AA, and its best practices: tests/axe_check.py)
  on every page the app renders, in each state: empty, filled in, with validation
  errors, and with data. The pages are those of tests/page_crawl.py (every GET route
  of app.url_map through the permission matrix, and every form posted empty), rendered
  by the app and shown in the browser by a server of the app (so its CSS and scripts
  load as usual);
* the log form can be filled in and saved with the keyboard alone, and every control
  reached shows where the focus is;
* every button, link, field and menu on the main pages is at least 44x44 CSS px.
  Exempt, as WCAG 2.5.8 allows: a link inside a sentence or a list of text;
* the menu stays on one line at 768 px for every role;
* htmx comes from the CDN with an integrity hash, and from our copy when the CDN
  cannot be reached: the typeahead still works.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from page_crawl import render_all
from axe_check import AXE_TAG, answer, axe_violations, with_axe
from helpers import with_data
from conftest import CDN, assert_htmx_loaded, open_page, serving, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides(tmp_path):
    # As `make run` with no mail server: the local mailbox's pages are checked too.
    return {"MAIL_BACKEND": "mailbox", "MAILBOX_DIR": str(tmp_path / "mailbox")}


SHOWN_AT = "/__rendered"  # a path the app does not serve: the browser is handed the rendered page there


class Shown:
    """The app, and at SHOWN_AT the page last handed over, with axe-core's script tag: a
    page is served as the app would serve it, so the browser loads its stylesheet, its
    scripts and axe-core from its cache (no Playwright route, which would turn the
    cache off)."""

    def __init__(self, app):
        self.app, self.html = with_axe(app), b""

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != SHOWN_AT:
            return self.app(environ, start_response)
        return answer(start_response, self.html, "text/html; charset=utf-8", "no-store")


@pytest.fixture
def show(page: Page, app):
    """show(html): the page in the browser, at the address of a server of the app."""
    shown = Shown(app)
    with serving(shown) as base:

        def show(html: str) -> None:
            at = html.rfind("</body>")
            shown.html = (html[:at] + AXE_TAG + html[at:] if at >= 0 else html + AXE_TAG).encode()
            page.goto(f"{base}{SHOWN_AT}")

        yield show


def test_axe_finds_nothing_on_any_page_in_any_state(
    page: Page,
    app,
    client,
    auth,
    world,
    make_entry,
    sample,
    show,
    capsys,
):
    pages = render_all(app, client, auth, world, sample, extra=with_data(app, world, make_entry, sample))
    problems = []
    for rendered in pages:
        show(rendered.html)
        problems += axe_violations(page, f"{rendered.name} ({rendered.url}, {rendered.status})")
    with capsys.disabled():
        print(f"\n[axe] {len(pages)} pages, {len(problems)} violations")
    assert not problems, "\n".join(problems)


def test_axe_can_fail(page: Page, show):
    """The control: a page with an unlabelled field and an image without alt text."""
    show(
        '<!doctype html><html lang="en"><title>x</title><main><img src="/x.png"><input type="text"></main></html>',
    )
    found = " ".join(axe_violations(page, "control"))
    assert "image-alt" in found and "label" in found  # WCAG
    assert "page-has-heading-one" in found  # a best practice


# --- the keyboard alone ----------------------------------------------------------------


def focus_ring(page: Page) -> str:
    """How the focused element shows it has the focus: its outline, or its label's (the
    radios are covered by their label card), or the box shadow."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const target = (el.type === 'radio' && el.labels.length) ? el.labels[0] : el;
        const style = getComputedStyle(target);
        if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) return 'outline';
        if (style.boxShadow && style.boxShadow !== 'none') return 'shadow';
        return 'none:' + el.outerHTML.slice(0, 120);
    }""")


def tab_to(page: Page, predicate: str, limit: int = 40) -> int:
    """Press Tab until the focused element matches `predicate` (JS on `el`); every stop shows its focus."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        assert not focus_ring(page).startswith("none"), focus_ring(page)
        if page.evaluate(f"() => {{ const el = document.activeElement; return {predicate}; }}"):
            return presses
    raise AssertionError(f"never reached {predicate}")


def test_the_log_form_with_the_keyboard_alone(page: Page, live_server, world, teacher_enrolled, capsys):
    sign_in(page, live_server, "teacher1", teacher_enrolled)
    open_page(page, f"{live_server}/")
    keys = tab_to(page, "el.textContent.trim() === 'Log a concern' && el.classList.contains('button-hero')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log a concern", level=1)).to_be_visible()
    assert_htmx_loaded(page)
    keys += tab_to(page, "el.id === 'q'")
    page.keyboard.type("amel")
    expect(page.locator("#pupil-results button.result")).to_have_count(1)
    keys += tab_to(page, "el.classList.contains('result')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name=re.compile("Amelia Hassan"))).to_be_checked()
    keys += tab_to(page, "el.name === 'category'")
    page.keyboard.press("Space")  # the first category, Safeguarding
    expect(page.get_by_role("radio", name=re.compile(r"^Safeguarding"))).to_be_checked()
    keys += tab_to(page, "el.name === 'source'")
    page.keyboard.press("ArrowRight")  # Staff observation -> Pupil disclosure
    expect(page.get_by_role("radio", name=re.compile(r"Pupil disclosure$"))).to_be_checked()
    keys += tab_to(page, "el.id === 'narrative'")
    page.keyboard.type(
        "At break Amelia Hassan told me her brother hits her when their mum is at work, "
        "and showed me a bruise on her upper arm."
    )
    keys += tab_to(page, "el.id === 'child_words'")
    page.keyboard.type("He hits me when mum is at work.")
    problems = axe_violations(page, "log form, filled in")
    keys += tab_to(page, "el.textContent.trim() === 'Save entry'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    with capsys.disabled():
        print(f"\n[keyboard] the log form: {keys} Tab presses and 5 other keys besides the text typed")
    assert not problems, "\n".join(problems)


def test_the_error_summary_takes_the_keyboard_to_the_field(page: Page, live_server, world, teacher_enrolled):
    sign_in(page, live_server, "teacher1", teacher_enrolled)
    open_page(page, f"{live_server}/log")
    page.get_by_role("button", name="Save entry").press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    problems = axe_violations(page, "log form, errors")
    summary.get_by_role("link", name=re.compile("what happened", re.I)).press("Enter")
    expect(page.get_by_label("What happened")).to_be_focused()
    assert not problems, "\n".join(problems)


# --- touch targets and the menu ----------------------------------------------------------

TARGETS_JS = """() => {
    const small = [];
    const inText = (el) => {  // a link within a sentence: WCAG 2.5.8's inline exception
        const parent = el.parentElement;
        if (el.tagName !== 'A' || !parent) return false;
        const text = [...parent.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
        return text.length > 0 && getComputedStyle(el).display === 'inline';
    };
    const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
                                          && getComputedStyle(el).visibility !== 'hidden'; };
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
        if (!seen(el) || inText(el) || el.closest('[hidden], #privacy-screen')) continue;
        // A radio or checkbox is touched through its label: measure what takes the tap.
        let target = el;
        if ((el.type === 'radio' || el.type === 'checkbox') && el.labels.length) {
            const a = el.getBoundingClientRect(), b = el.labels[0].getBoundingClientRect();
            const box = {width: Math.max(a.right, b.right) - Math.min(a.left, b.left),
                         height: Math.max(a.bottom, b.bottom) - Math.min(a.top, b.top)};
            if (box.width >= 44 && box.height >= 44) continue;
            target = el.labels[0];
        }
        const r = target.getBoundingClientRect();
        if (r.width < 44 || r.height < 44) small.push(`${Math.round(r.width)}x${Math.round(r.height)} ` + el.outerHTML.slice(0, 100));
    }
    return small;
}"""


def test_touch_targets_are_at_least_44_px_on_the_main_pages(page: Page, app, live_server, world, make_entry):
    entry_id = make_entry(narrative="Amelia said her arm hurt.")
    paths = {
        "teacher1": ["/", "/log", f"/log?q=a&pupil={world.pupils[0].id}"],
        "dsl": [
            "/",
            "/review",
            f"/entries/{entry_id}",
            f"/pupils/{world.pupils[0].id}/chronology",
            "/reports",
            "/search?q=arm",
        ],
        "governor": ["/oversight"],
    }
    problems = []
    for who, urls in paths.items():
        sign_in(page, live_server, who, None if who == "teacher1" else app)
        for path in urls:
            open_page(page, f"{live_server}{path}")
            problems += [f"{who} {path}: {line}" for line in page.evaluate(TARGETS_JS)]
        page.get_by_role("button", name="Sign out").click()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["teacher1", "dsl", "slt", "governor", "admin"])
def test_the_menu_fits_on_one_line_at_768_px(page: Page, app, live_server, world, who):
    sign_in(page, live_server, who, None if who == "teacher1" else app)
    tops = page.locator("nav[aria-label=Main] .nav > li").evaluate_all(
        "items => items.map(li => Math.round(li.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, f"the menu wraps: {tops}"
    more = page.locator("details.nav-menu")
    if more.count():
        more.locator("summary").click()  # opens without JavaScript too: it is a <details>
        expect(more.locator("ul a").first).to_be_visible()


# --- htmx when the CDN cannot be reached ---------------------------------------------


def test_htmx_has_its_integrity_hash_and_the_typeahead_works_with_the_cdn_blocked(page: Page, live_server, world):
    refused = []
    page.route(CDN, lambda route: (refused.append(route.request.url), route.abort()))
    sign_in(page, live_server, "teacher1")
    open_page(page, f"{live_server}/log")
    cdn_tag = page.locator("script[integrity]")
    expect(cdn_tag).to_have_count(1)
    assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", cdn_tag.get_attribute("integrity"))
    assert cdn_tag.get_attribute("crossorigin") == "anonymous"
    assert refused, "the page never asked the CDN"
    page.get_by_label("Find a pupil by name or UPN").press_sequentially("hart")
    expect(page.locator("#pupil-results button.result", has_text="Isla Hartley")).to_be_visible()
