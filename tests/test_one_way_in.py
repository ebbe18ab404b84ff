"""One way in: routes load records only through cpoms/loaders.py.

The guard reads the code of every module that serves a route (found from app.url_map and
the request hooks, with ast so comments and strings do not count) and fails on a route
that gets a record or answers 403/404 itself. The sweep below asks each converted route,
as a user it must refuse, for a record that exists and for one that does not: the two
answers are the same 404 page, and each refusal is one audit.DENIED row naming what was
asked for."""

from __future__ import annotations

import ast
import inspect
import json
import sys
import textwrap

import pytest
from sqlalchemy import select

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.guidance.models import GuidanceVersion
from cpoms.models import Role, RoleAssignment, Trust, User

from conftest import make_user
from sweep import MISSING_ID, strip_tokens

# Every route as every role: the sweep's configuration (conftest.config_overrides).
pytestmark = pytest.mark.sweep

LOADERS = "cpoms.loaders"
FORBIDDEN_ABORTS = {403, 404}
GETTERS = {"get_or_404", "first_or_404", "one_or_404"}
SELF_RAISED = {"NotFound", "Forbidden"}


# --- the guard ----------------------------------------------------------------------


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def bypasses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place the code loads or refuses a record by itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name.endswith("session.get"):
                found.append((node.lineno, "db.session.get"))
            elif name.rpartition(".")[2] in GETTERS:
                found.append((node.lineno, name))
            elif (
                name.rpartition(".")[2] == "abort"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in FORBIDDEN_ABORTS
            ):
                found.append((node.lineno, f"{name}({node.args[0].value})"))
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if _dotted(raised).rpartition(".")[2] in SELF_RAISED:
                found.append((node.lineno, f"raise {_dotted(raised)}"))
    return sorted(found)


def _functions(app):
    yield from app.view_functions.values()
    for hooks in (app.before_request_funcs, app.url_value_preprocessors, app.after_request_funcs):
        for functions in hooks.values():
            yield from functions
    for by_code in app.error_handler_spec.values():
        for handlers in by_code.values():
            yield from handlers.values()


def route_modules(app) -> dict[str, str]:
    """Module name -> source, for every module a route, a request hook or an error handler lives in."""
    modules = {}
    for function in _functions(app):
        name = inspect.unwrap(function).__module__
        if name.startswith("cpoms") and name != LOADERS:
            modules[name] = inspect.getsource(sys.modules[name])
    return modules


def test_the_guard_sees_the_route_modules(app):
    modules = route_modules(app)
    # Routes added to a blueprint from another module of its package are found too.
    for name in (
        "cpoms.entries.routes",
        "cpoms.admin.accounts",
        "cpoms.admin.schools",
        "cpoms.attachments.routes",
        "cpoms.mis.deletion_routes",
        "cpoms.guidance.routes",
    ):
        assert name in modules


def test_no_route_loads_or_refuses_a_record_by_itself(app):
    found = {f"{name}:{line}: {what}" for name, source in route_modules(app).items() for line, what in bypasses(source)}
    assert not found, "load records through cpoms/loaders.py (a refusal is its 404 or 403): " + ", ".join(sorted(found))


def test_the_guard_reads_code_not_comments():
    source = textwrap.dedent('''
        # abort(404) and db.session.get(Entry, 1) in a comment do not count
        """nor abort(403) in a string"""
        def view(entry_id):
            entry = db.session.get(Entry, entry_id)
            if entry is None:
                abort(404)
            flask.abort(403)
            abort(400)
            Entry.query.get_or_404(entry_id)
            raise NotFound()
    ''')
    assert [what for _, what in bypasses(source)] == [
        "db.session.get",
        "abort(404)",
        "flask.abort(403)",
        "Entry.query.get_or_404",
        "raise NotFound",
    ]


def test_loaders_is_where_the_loading_is(app):
    assert bypasses(inspect.getsource(sys.modules[LOADERS]))


# --- a refused record is a missing one -----------------------------------------------


@pytest.fixture
def more(app, world, sample):
    """A second admin at the home school, an admin of the other school, and a trust-wide
    admin of another trust with its own guidance."""
    with app.app_context():
        home, other = world.school, world.other_school
        elsewhere = Trust(name="Elsewhere Trust")
        db.session.add(elsewhere)
        db.session.flush()
        people = {
            "admin2": make_user("Second Admin", "admin2@ashgrove.example.org", roles=[(Role.ADMIN, home, None)]),
            "other_admin": make_user("Other Admin", "admin@brookfield.example.org", roles=[(Role.ADMIN, other, None)]),
            "far_admin": make_user("Far Admin", "admin@elsewhere.example.org", roles=[(Role.ADMIN, None, elsewhere)]),
        }
        version = GuidanceVersion(trust_id=elsewhere.id, body="Elsewhere's own.", created_by_id=world["admin"].id)
        db.session.add(version)
        db.session.commit()
        dsl_role = db.session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == world["dsl"].id))
        return {
            **sample,
            "people": {key: db.session.get(User, user.id) for key, user in people.items()},
            "elsewhere": elsewhere.id,
            "elsewhere_version": version.id,
            "dsl_role": dsl_role,
            "other_pupil": world.other_pupils[0].id,
            "other_school": other.id,
            "home_school": home.id,
            "missing": MISSING_ID,
        }


def who(world, more, key):
    return more["people"][key] if key in more["people"] else world[key]


MISSING_UPLOAD = "A" * 32
HX = {"HX-Request": "true"}

# (who, method, the address of a record they may not have, the same for a missing one, what the refusal audits)
REFUSED_LOOKS_MISSING = [
    ("other_dsl", "POST", "/follow-ups/{follow_up_id}/key-event", "/follow-ups/{missing}/key-event", "follow-up"),
    ("other_dsl", "POST", "/tasks/{task_id}/complete", "/tasks/{missing}/complete", "task"),
    ("governor", "GET", "/attachments/{attachment_id}", "/attachments/{missing}", "attachment"),
    ("other_dsl", "GET", "/attachments/{attachment_id}", "/attachments/{missing}", "attachment"),
    ("trust_rep", "GET", "/attachments/{attachment_id}/preview", "/attachments/{missing}/preview", "attachment"),
    ("other_dsl", "POST", "/entries/{entry_id}/attachments", "/entries/{missing}/attachments", "entry"),
    ("other_dsl", "POST", "/entries/{entry_id}/categories", "/entries/{missing}/categories", "entry"),
    ("other_dsl", "POST", "/entries/{entry_id}/links", "/entries/{missing}/links", "entry"),
    ("other_dsl", "POST", "/entries/{entry_id}/amendments", "/entries/{missing}/amendments", "entry"),
    ("other_dsl", "GET", "/pupils/{pupil_id}/monitoring", "/pupils/{missing}/monitoring", "monitoring"),
    ("other_dsl", "GET", "/pupils/{pupil_id}/viewers", "/pupils/{missing}/viewers", "record viewers"),
    ("other_teacher", "GET", "/log/pupils/{pupil_id}", "/log/pupils/{missing}", "log for pupil"),
    ("teacher1", "GET", "/transfers/{transfer_id}", "/transfers/{missing}", "transfer"),
    ("teacher1", "POST", "/transfers/{transfer_id}/accept", "/transfers/{missing}/accept", "transfer"),
    ("other_teacher", "GET", "/pupils/{pupil_id}/transfer", "/pupils/{missing}/transfer", "chronology"),
    ("admin2", "GET", "/admin/pupils/import/{upload_id}", "/admin/pupils/import/" + MISSING_UPLOAD, "pupil import"),
    ("admin2", "POST", "/admin/pupils/import/{upload_id}", "/admin/pupils/import/" + MISSING_UPLOAD, "pupil import"),
    (
        "admin",
        "POST",
        "/admin/pupils/retention/{other_pupil}/propose",
        "/admin/pupils/retention/{missing}/propose",
        "propose_deletion",
    ),
    (
        "other_dsl",
        "POST",
        "/retention-deletions/{proposal_id}/confirm",
        "/retention-deletions/{missing}/confirm",
        "retention_deletion",
    ),
    (
        "other_admin",
        "POST",
        "/retention-deletions/{proposal_id}/withdraw",
        "/retention-deletions/{missing}/withdraw",
        "retention_deletion",
    ),
    ("other_admin", "GET", "/admin/users/{user_id}", "/admin/users/{missing}", "user"),
    ("other_admin", "POST", "/admin/users/{user_id}/deactivate", "/admin/users/{missing}/deactivate", "user"),
    ("other_admin", "POST", "/admin/users/{user_id}/unlock", "/admin/users/{missing}/unlock", "user"),
    (
        "admin",
        "POST",
        "/admin/users/{user_id}/roles/{dsl_role}/remove",
        "/admin/users/{user_id}/roles/{missing}/remove",
        "role",
    ),
    ("far_admin", "POST", "/admin/schools/{home_school}", "/admin/schools/{missing}", "school"),
    ("other_dsl", "GET", "/guidance/versions/{version_id}", "/guidance/versions/{missing}", "guidance version"),
    ("teacher1", "GET", "/guidance/versions/{elsewhere_version}", "/guidance/versions/{missing}", "guidance version"),
    ("teacher1", "GET", "/guidance?school={other_school}", "/guidance?school={missing}", "guidance"),
    ("teacher1", "GET", "/guidance/history?trust={elsewhere}", "/guidance/history?trust={missing}", "guidance"),
    ("admin", "GET", "/guidance/edit?school={other_school}", "/guidance/edit?school={missing}", "guidance"),
]


def denials(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "denied", AuditEvent.user_id == user_id).order_by(AuditEvent.id)
    )
    return [{**json.loads(row.detail or "{}"), "entry_id": row.entry_id, "pupil_id": row.pupil_id} for row in rows]


@pytest.mark.parametrize(
    "role, method, refused, missing, what",
    REFUSED_LOOKS_MISSING,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in REFUSED_LOOKS_MISSING],
)
def test_a_refused_record_is_a_missing_one(app, client, auth, world, more, role, method, refused, missing, what):
    user = who(world, more, role)
    auth.as_(user)
    send = client.get if method == "GET" else client.post
    refused_answer = send(refused.format(**more), headers=HX if "/log/pupils/" in refused else {})
    with app.app_context():
        after_refusal = denials(user.id)
    missing_answer = send(missing.format(**more), headers=HX if "/log/pupils/" in missing else {})
    with app.app_context():
        after_missing = denials(user.id)
    assert refused_answer.status_code == missing_answer.status_code == 404
    assert strip_tokens(refused_answer.get_data(as_text=True)) == strip_tokens(missing_answer.get_data(as_text=True))
    assert refused_answer.headers.get("Content-Type") == missing_answer.headers.get("Content-Type")
    assert len(after_refusal) == 1 and after_refusal[0]["what"] == what
    assert len(after_missing) == 2 and after_missing[1]["what"] == what


def test_a_refused_attachment_names_the_file_asked_for(app, client, auth, world, sample):
    """A governor reads the entry but may not open its files: the refusal is on record."""
    auth.as_(world["governor"])
    assert client.get(f"/entries/{sample['entry_id']}").status_code == 200
    assert client.get(f"/attachments/{sample['attachment_id']}").status_code == 404
    with app.app_context():
        # On the entry's record too, so whoever reviews that child's record sees the attempt.
        assert [(d["what"], d["attachment"], d["entry_id"]) for d in denials(world["governor"].id)] == [
            ("attachment", sample["attachment_id"], sample["entry_id"])
        ]


def test_a_refused_link_target_is_a_missing_one(app, client, auth, world, make_entry, sample):
    other_school_entry = make_entry(recorder="other_teacher", pupils=[world.other_pupils[0]])
    auth.as_(world["dsl"])
    url = f"/entries/{sample['entry_id']}/links"
    refused = client.post(url, data={"number": str(other_school_entry), "reason": "Same day."})
    missing = client.post(url, data={"number": str(MISSING_ID), "reason": "Same day."})
    assert refused.status_code == missing.status_code == 422
    text = "There is no entry with that number that you can read."
    assert text in refused.get_data(as_text=True) and text in missing.get_data(as_text=True)
    with app.app_context():
        assert [(d["what"], d["entry_id"]) for d in denials(world["dsl"].id)] == [
            ("link_to", other_school_entry),
            ("link_to", MISSING_ID),
        ]


# --- a write on a record the user may read: 403, on record ------------------------------

REFUSED_WRITES = [
    ("governor", "/tasks/{task_id}/complete", "complete task"),
    ("admin", "/retention-deletions/{proposal_id}/confirm", "confirm deletion"),
    ("slt", "/pupils/{pupil_id}/subject-access", "subject-access export"),
    ("dsl", "/transfers/{transfer_id}/accept", "accept transfer"),
]


@pytest.mark.parametrize("role, url, what", REFUSED_WRITES, ids=[c[2] for c in REFUSED_WRITES])
def test_a_refused_write_is_403_and_on_record(app, client, auth, world, more, role, url, what):
    auth.as_(world[role])
    assert client.post(url.format(**more)).status_code == 403
    with app.app_context():
        assert [d["what"] for d in denials(world[role].id)] == [what]


# --- addresses no record could have ----------------------------------------------


@pytest.mark.parametrize(
    "role, url",
    [
        ("admin", "/admin/pupils/import/" + "a" * 33),
        ("admin", "/admin/pupils/import/a%27b"),
        ("admin", "/admin/pupils/import/%C2%B2"),
        ("teacher1", "/guidance?school=99999999999999999999999"),
        ("teacher1", "/guidance?school=-1"),
        ("teacher1", "/guidance?school=%C2%B2"),
        ("teacher1", "/guidance/history?trust=1e3"),
        ("teacher1", "/guidance/history?school="),
        ("dsl", "/entries/99999999999999999999999"),
        ("dsl", "/pupils/2147483648/chronology"),
    ],
)
def test_an_id_no_record_could_have_is_404(app, client, auth, world, more, role, url):
    auth.as_(who(world, more, role))
    assert client.get(url).status_code == 404


def test_an_id_no_record_could_have_is_refused_without_touching_the_database(app, world):
    from werkzeug.exceptions import NotFound

    from cpoms import loaders
    from cpoms.mis.models import PupilImport
    from cpoms.models import Entry

    with app.test_request_context():
        for model, key in (
            (Entry, "9" * 30),
            (Entry, "-3"),
            (Entry, 2**31),
            (PupilImport, "x" * 33),
            (PupilImport, "a/b"),
            (PupilImport, ""),
        ):
            with pytest.raises(NotFound):
                loaders.load(model, key, lambda user, record: True, what="probe")
        db.session.rollback()
