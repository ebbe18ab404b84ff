"""Who may do what, route by route: a route x role matrix built from app.url_map.

Every (endpoint, method) the app serves must have a row in EXPECTED, and every row
must name a route that still exists: a new route without a stated expectation fails
the suite. The codes follow DESIGN.md ("Roles and what each may see") and
cpoms/policy.py:

* anonymous: 302 to /login on every login_required route;
* a record the user may not see: 404, the same page as for a record that does not
  exist, and an audit row with action "denied";
* a page the user may not use at all (the log form, the review queue): 403;
* an allowed user posting an empty form: 422 (the form is re-shown with errors),
  except marking as reviewed, whose only field (a note) is optional: 303;
* writing on a record the user may see but not write: 403.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Entry, FollowUp, RoleAssignment

from sweep import EXPECTED, MISSING_ID, REQUEST, ROLES, build_url, strip_tokens, valid_log_form

# Every route as every role: the sweep's configuration (conftest.config_overrides).
pytestmark = pytest.mark.sweep

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
    }


def user_for(world, role: str):
    return None if role == "anonymous" else world[role]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def denied_events(**where) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "denied")
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(query))


def entry_ids_linked(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/entries/(\d+)"', html)}


# --- the table and url_map agree ----------------------------------------------


def test_every_served_route_has_an_expectation(app):
    missing = served_routes(app) - set(EXPECTED)
    assert not missing, f"routes with no row in EXPECTED (say who may use them): {sorted(missing)}"


def test_every_expectation_names_a_served_route(app):
    stale = set(EXPECTED) - served_routes(app)
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {sorted(stale)}"


# --- the sweep -----------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_role_matrix(app, client, auth, world, sample, route):
    endpoint, method = route
    spec = REQUEST.get(route, {})
    url = build_url(app, endpoint, sample, **spec.get("query", {}))
    actual: dict[str, int] = {}
    problems: list[str] = []
    for role in ROLES:
        auth.as_(user_for(world, role))
        with app.app_context():
            before = (count(Entry), count(FollowUp))
        if method == "GET":
            response = client.get(url, headers=spec.get("headers", {}))
        else:
            response = client.post(url, data={}, headers=spec.get("headers", {}))
        actual[role] = response.status_code
        location = response.headers.get("Location", "")
        if role == "anonymous" and response.status_code == 302 and not location.startswith("/login"):
            problems.append(f"anonymous sent to {location!r}, not /login")
        if response.status_code == 401 and not response.headers.get("HX-Redirect", "").startswith("/login"):
            problems.append(f"{role}: a 401 that does not send htmx to /login")
        if response.status_code >= 400:
            with app.app_context():
                if (count(Entry), count(FollowUp)) != before:
                    problems.append(f"{role}: a refused {method} wrote rows")
        assert response.status_code != 500, (role, response.data[:2000])
    assert actual == EXPECTED[route]
    assert not problems


def test_redirects_of_the_sweep_go_where_they_should(app, client, auth, world, sample):
    entry_url = f"/entries/{sample['entry_id']}"
    auth.as_(None)
    assert client.get(entry_url).headers["Location"] == f"/login?next=%2Fentries%2F{sample['entry_id']}"
    auth.as_(world["dsl"])
    assert client.get("/login").headers["Location"] == "/"
    assert client.post(f"{entry_url}/review").headers["Location"] == f"{entry_url}#activity"
    # Without HX-Request the htmx pieces send a browser to the full form.
    assert client.get("/log/pupils?q=am").headers["Location"] == "/log?q=am"
    pupil_id = sample["pupil_id"]
    assert client.get(f"/log/pupils/{pupil_id}").headers["Location"] == f"/log?pupil={pupil_id}"
    assert client.post("/logout").headers["Location"] == "/login"


# --- a forbidden record looks like a missing one, and the refusal is audited ----

# (who, method, a record they may not see, the same route for a missing id, the id audited)
FORBIDDEN_LOOKS_MISSING = [
    ("teacher2", "GET", "/entries/{entry_id}", "/entries/{missing}", "entry_id"),
    ("admin", "GET", "/entries/{entry_id}", "/entries/{missing}", "entry_id"),
    ("other_dsl", "GET", "/entries/{entry_id}", "/entries/{missing}", "entry_id"),
    ("teacher1", "GET", "/pupils/{pupil_id}/chronology", "/pupils/{missing}/chronology", "pupil_id"),
    ("other_dsl", "GET", "/pupils/{pupil_id}/chronology", "/pupils/{missing}/chronology", "pupil_id"),
    ("teacher1", "GET", "/pupils/{pupil_id}/chronology.pdf", "/pupils/{missing}/chronology.pdf", "pupil_id"),
    ("other_dsl", "GET", "/pupils/{pupil_id}/chronology.csv", "/pupils/{missing}/chronology.csv", "pupil_id"),
    ("teacher2", "POST", "/entries/{entry_id}/follow-ups", "/entries/{missing}/follow-ups", "entry_id"),
    ("other_teacher", "POST", "/entries/{entry_id}/follow-ups", "/entries/{missing}/follow-ups", "entry_id"),
    ("other_dsl", "POST", "/entries/{entry_id}/review", "/entries/{missing}/review", "entry_id"),
    ("other_dsl", "POST", "/entries/{entry_id}/close", "/entries/{missing}/close", "entry_id"),
]


@pytest.mark.parametrize(
    "role, method, forbidden, missing, key",
    FORBIDDEN_LOOKS_MISSING,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in FORBIDDEN_LOOKS_MISSING],
)
def test_forbidden_record_looks_missing_and_the_refusal_is_audited(
    app, client, auth, world, sample, role, method, forbidden, missing, key
):
    auth.as_(world[role])
    send = client.get if method == "GET" else client.post
    refused = send(forbidden.format(**sample))
    with app.app_context():
        events = denied_events(user_id=world[role].id, **{key: sample[key]})
    assert len(events) == 1
    absent = send(missing.format(missing=MISSING_ID))
    assert refused.status_code == absent.status_code == 404
    assert strip_tokens(refused.get_data(as_text=True)) == strip_tokens(absent.get_data(as_text=True))
    assert refused.headers.get("Content-Type") == absent.headers.get("Content-Type")


def test_missing_record_is_audited_as_denied_too(app, client, auth, world, sample):
    auth.as_(world["dsl"])
    assert client.get(f"/entries/{MISSING_ID}").status_code == 404
    with app.app_context():
        assert len(denied_events(user_id=world["dsl"].id, entry_id=MISSING_ID)) == 1


def test_a_record_that_may_be_seen_writes_no_denial(app, client, auth, world, sample):
    auth.as_(world["governor"])
    assert client.get(f"/entries/{sample['entry_id']}").status_code == 200
    with app.app_context():
        assert denied_events() == []


@pytest.mark.parametrize(
    "role, action",
    [
        ("governor", "follow-ups"),
        ("trust_rep", "follow-ups"),
        ("teacher1", "review"),
        ("slt", "close"),
    ],
)
def test_refused_write_on_a_visible_record_is_audited(app, client, auth, world, sample, role, action):
    auth.as_(world[role])
    assert client.post(f"/entries/{sample['entry_id']}/{action}").status_code == 403
    with app.app_context():
        assert len(denied_events(user_id=world[role].id, entry_id=sample["entry_id"])) == 1


# --- writes that look allowed but are not ------------------------------------------


def test_logging_works_for_a_pupil_of_ones_own_school(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=valid_log_form(world, world.pupils[1]))
    assert response.status_code == 303
    with app.app_context():
        assert count(Entry) == 1


@pytest.mark.parametrize("role, pupil", [("teacher1", "other"), ("other_teacher", "home"), ("other_dsl", "home")])
def test_cannot_log_about_a_pupil_of_another_school(app, client, auth, world, role, pupil):
    target = world.other_pupils[0] if pupil == "other" else world.pupils[0]
    auth.as_(world[role])
    response = client.post("/log", data=valid_log_form(world, target))
    assert response.status_code == 422
    assert "Choose at least one pupil." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Entry) == 0


def test_staff_who_left_the_school_no_longer_see_their_entries(app, client, auth, world, sample):
    with app.app_context():
        teacher = world["teacher1"]
        db.session.execute(
            RoleAssignment.__table__.update()
            .where(RoleAssignment.user_id == teacher.id)
            .values(school_id=world.other_school.id)
        )
        db.session.commit()
    auth.as_(world["teacher1"])
    assert client.get(f"/entries/{sample['entry_id']}").status_code == 404


# --- what each role sees ---------------------------------------------------------


@pytest.fixture
def three_entries(world, make_entry) -> dict[str, int]:
    return {
        "home_safeguarding": make_entry("teacher1", [world.pupils[0]], "Safeguarding"),
        "home_behaviour": make_entry("teacher2", [world.pupils[1]], "Behaviour"),
        "other_safeguarding": make_entry("other_teacher", [world.other_pupils[0]], "Safeguarding"),
    }


# role -> (entries listed in /review or None for 403, entries they may open)
VISIBILITY = {
    "teacher1": (None, {"home_safeguarding"}),
    "teacher2": (None, {"home_behaviour"}),
    "dsl": ({"home_safeguarding", "home_behaviour"}, {"home_safeguarding", "home_behaviour"}),
    "deputy": ({"home_safeguarding", "home_behaviour"}, {"home_safeguarding", "home_behaviour"}),
    "slt": ({"home_safeguarding", "home_behaviour"}, {"home_safeguarding", "home_behaviour"}),
    "governor": (None, {"home_safeguarding", "home_behaviour"}),
    "admin": (None, set()),
    "other_dsl": ({"other_safeguarding"}, {"other_safeguarding"}),
    "other_teacher": (None, {"other_safeguarding"}),
    "trust_rep": (None, {"home_safeguarding", "home_behaviour", "other_safeguarding"}),
}


@pytest.mark.parametrize("role", sorted(VISIBILITY))
def test_visibility(client, auth, world, three_entries, role):
    in_queue, openable = VISIBILITY[role]
    auth.as_(world[role])
    queue = client.get("/review?status=all")
    if in_queue is None:
        assert queue.status_code == 403
    else:
        assert queue.status_code == 200
        assert entry_ids_linked(queue.get_data(as_text=True)) == {three_entries[k] for k in in_queue}
    opened = {name for name, entry_id in three_entries.items() if client.get(f"/entries/{entry_id}").status_code == 200}
    assert opened == openable
    # Home lists the entries they recorded themselves; governors and trust
    # representatives, who record nothing, start from every entry they may read.
    recorded = {
        name
        for name, recorder in [
            ("home_safeguarding", "teacher1"),
            ("home_behaviour", "teacher2"),
            ("other_safeguarding", "other_teacher"),
        ]
        if recorder == role
    }
    home = client.get("/").get_data(as_text=True)
    expected = openable if role in ("governor", "trust_rep") else recorded
    assert entry_ids_linked(home) == {three_entries[k] for k in expected}


FULL_NAMES = {"teacher1", "dsl", "deputy", "slt"}
INITIALS_ONLY = {"governor", "trust_rep"}


@pytest.mark.parametrize("role", sorted(FULL_NAMES | INITIALS_ONLY))
def test_entry_page_names_pupils_by_role(client, auth, world, sample, role):
    auth.as_(world[role])
    response = client.get(f"/entries/{sample['entry_id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if role in FULL_NAMES:
        assert "Amelia Hassan" in html
    else:
        assert "A.H." in html
        assert "Amelia" not in html and "Hassan" not in html


@pytest.mark.parametrize("role", sorted(INITIALS_ONLY))
def test_chronology_names_pupils_by_initials_for_reviewers(client, auth, world, sample, role):
    auth.as_(world[role])
    response = client.get(f"/pupils/{sample['pupil_id']}/chronology")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "A.H." in html
    for secret in ("Amelia", "Hassan", world.pupils[0].upn):
        assert secret not in html


def test_review_queue_shows_full_names_to_the_team(client, auth, world, sample):
    auth.as_(world["dsl"])
    assert "Amelia Hassan" in client.get("/review").get_data(as_text=True)
