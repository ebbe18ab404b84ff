"""Every page the app renders, in each state, for the HTML checker and axe.

The list is built from app.url_map through the permission matrix of
test_permissions.py (EXPECTED, its `sample` records and build_url): each GET route
is rendered for the role that sees most of it, each form's error state by posting
it empty as a role that gets the form back (422). A route added later is crawled
as soon as it has its matrix row, with no list here to keep up to date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from sweep import EXPECTED, REQUEST, build_url

# Who renders a page: the first of these the matrix gives a 200 (or a 422 for a form's
# errors). The safeguarding team sees the most forms on an entry; admins see theirs.
PREFERRED = ("dsl", "slt", "admin", "governor", "trust_rep", "teacher1", "anonymous")
# Home and the menu differ most by role: these are rendered for each of them too.
EVERY_ROLE = ("main.home", "log.new")
HOME_ROLES = ("teacher1", "dsl", "slt", "governor", "admin", "trust_rep")
# The sample entry is open, so the page has no reopen form to show errors in; callers
# render the error state of reopening a closed entry instead (an `extra` POST).
OPEN_SAMPLE_ONLY = {("entries.reopen", "POST")}


@dataclass(frozen=True)
class Rendered:
    name: str  # e.g. "GET entries.show as dsl"
    url: str
    status: int
    html: str


def _first_role(codes: dict[str, int], status: int) -> str | None:
    return next((role for role in PREFERRED if codes.get(role) == status), None)


def targets() -> list[tuple[str, str, str, int]]:
    """(endpoint, method, role, expected status) for every page and error state to render."""
    found = []
    for (endpoint, method), codes in sorted(EXPECTED.items()):
        if REQUEST.get((endpoint, method), {}).get("headers", {}).get("HX-Request"):
            continue  # a piece of a page, checked inside the page that holds it
        if (endpoint, method) in OPEN_SAMPLE_ONLY:
            continue
        status = 200 if method == "GET" else 422
        roles = HOME_ROLES if endpoint in EVERY_ROLE and method == "GET" else (_first_role(codes, status),)
        found += [(endpoint, method, role, status) for role in roles if role and codes.get(role) == status]
    return found


def render_all(app, client, auth, world, sample, extra=()) -> list[Rendered]:
    """Render every target (and `extra`: (name, role, method, url) rows) with the test client;
    only HTML answers are kept (exports are CSV and PDF)."""
    pages = []
    jobs = [
        (f"{m} {e} as {r}", r, m, build_url(app, e, sample, **REQUEST.get((e, m), {}).get("query", {})), s)
        for e, m, r, s in targets()
    ]
    jobs += [(name, role, method, url, None) for name, role, method, url in extra]
    for name, role, method, url, status in jobs:
        auth.as_(None if role == "anonymous" else world[role])
        response = client.get(url) if method == "GET" else client.post(url, data={})
        assert status is None or response.status_code == status, (name, response.status_code)
        if response.mimetype == "text/html":
            pages.append(Rendered(name, url, response.status_code, response.get_data(as_text=True)))
    return pages


def readable(response) -> str:
    """What a response shows: its text, a PDF's extracted text, any other file's bytes as Latin-1."""
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    return response.data.decode("latin-1")


def sweep_get(app, client, ids: dict):
    """Every GET route of the app (its matrix row, so a route added later is swept too),
    each URL argument filled from `ids`, asked by whoever the client is signed in as:
    (endpoint, url, what the response shows). Never a 500."""
    for endpoint, method in sorted(EXPECTED):
        if method != "GET":
            continue
        spec = REQUEST.get((endpoint, method), {})
        url = build_url(app, endpoint, ids, **spec.get("query", {}))
        response = client.get(url, headers=spec.get("headers", {}))
        assert response.status_code != 500, url
        yield endpoint, url, readable(response)
