"""Every rendered page passes the Nu HTML Checker (vnu.jar) with no error, and every
form's error state uses the error-summary pattern.

The pages come from tests/page_crawl.py: every GET route of app.url_map, rendered
for a role the permission matrix lets in, home and the log form for each main role,
each form posted empty (its error state), and the error pages. vnu.jar needs Java 17
and comes from npm (`npm pack vnu-jar`); .ci/run fetches it into /tmp/cpoms-vnu.
Where it is missing the check skips with that reason, unless CPOMS_REQUIRE_VNU=1
(CI), where it fails.

Only one kind of message is filtered: the checker does not know htmx's hx-*
attributes ("Attribute “hx-post” not allowed on element …").
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs the HTML checker on files this test wrote
from html.parser import HTMLParser

import pytest

from page_crawl import Rendered, render_all
from helpers import HTMX_ATTRIBUTE, vnu_or_skip, with_data

# Every route as every role: the sweep's configuration (conftest.config_overrides).
pytestmark = pytest.mark.sweep


@pytest.fixture
def pages(app, client, auth, world, make_entry, sample) -> list[Rendered]:
    return render_all(app, client, auth, world, sample, extra=with_data(app, world, make_entry, sample))


def test_every_page_passes_the_nu_html_checker(pages, tmp_path, capsys):
    command = vnu_or_skip()
    folder = tmp_path / "pages"
    folder.mkdir()
    files = {}
    for number, page in enumerate(pages):
        path = folder / f"{number:03d}.html"
        path.write_text(page.html, encoding="utf-8")
        files[path.name] = page
    paths = sorted(str(folder / name) for name in files)
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *paths],  # nosec B603
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors, filtered = [], 0
    for message in messages:
        if message.get("type") != "error":
            continue
        if HTMX_ATTRIBUTE.search(message.get("message", "")):
            filtered += 1
            continue
        page = files.get(message.get("url", "").rsplit("/", 1)[-1])
        errors.append(
            f"{page.name if page else message.get('url')} ({page.url if page else ''}) "
            f"line {message.get('lastLine')}: {message['message']} [{message.get('extract', '').strip()}]"
        )
    with capsys.disabled():
        print(f"\n[vnu] {len(pages)} pages checked, {len(errors)} errors, {filtered} hx-* attribute messages filtered")
    assert not errors, "\n".join(errors)


def assert_the_crawl_covers_the_app(pages):
    names = {page.name for page in pages}
    for expected in (
        "GET log.new as teacher1",
        "GET entries.show as dsl",
        "POST log.new as dsl",
        "GET oversight.index as governor",
        "GET chronology.show as dsl",
        "GET reports.index as dsl",
    ):
        assert expected in names, f"the crawl missed {expected}: {sorted(names)}"
    assert len(pages) >= 40


class _Summary(HTMLParser):
    """The error summary's links and every id on the page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.summaries = 0
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if "error-summary" in (attrs.get("class") or "").split():
            self.summaries += 1
            self._depth = 1
        elif self._depth and tag not in ("br", "img", "input"):
            self._depth += 1
            if tag == "a":
                self.links.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1


def test_every_form_error_state_has_the_error_summary_with_links_to_the_fields(pages):
    assert_the_crawl_covers_the_app(pages)
    problems = []
    error_states = [page for page in pages if page.status == 422]
    assert len(error_states) >= 10, [page.name for page in error_states]
    for page in error_states:
        found = _Summary()
        found.feed(page.html)
        if found.summaries != 1:
            problems.append(f"{page.name}: {found.summaries} error summaries")
        if not found.links:
            problems.append(f"{page.name}: the summary links to no field")
        for href in found.links:
            if not href.startswith("#") or href[1:] not in found.ids:
                problems.append(f"{page.name}: summary link {href!r} leads to no field on the page")
    assert not problems, "\n".join(problems)
