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
from datetime import date, timedelta

import pytest
from flask import url_for
from flask_mail import Message
from sqlalchemy import func, select

from cpoms import mailbox
from cpoms.adults.operations import raise_concern, set_dsl_allowed
from cpoms.keyinfo import operations as keyinfo
from cpoms.audit import AuditEvent
from cpoms.auth import reset
from cpoms.common import uk_today
from cpoms.entries.operations import add_follow_up
from cpoms.exclusions.models import RecordExclusion
from cpoms.extensions import db
from cpoms.guidance.models import GuidanceVersion
from cpoms.mis import imports, pupils
from cpoms.mis.models import RetentionDeletion
from cpoms.sso.models import SignInProvider
from cpoms.models import Entry, FollowUp, Kind, Pupil, Role, RoleAssignment, School, User
from cpoms.tasks.operations import give_task
from cpoms.timefmt import now_utc, uk_local_input
from cpoms.transfers.models import Transfer

from conftest import POSTGRES_URL
from pack_support import received_sample
from sample_files import attach_png

ROLES = (
    "anonymous",
    "teacher1",
    "teacher2",
    "dsl",
    "deputy",
    "slt",
    "governor",
    "admin",
    "other_dsl",
    "other_teacher",
    "trust_rep",
)
IGNORED_METHODS = {"HEAD", "OPTIONS"}
HX = {"HX-Request": "true"}
MISSING_ID = 999_999


@pytest.fixture
def config_overrides(tmp_path) -> dict:
    # A fresh in-memory SQLite database per test keeps the sweep fast; with
    # TEST_DATABASE_URL set, the tests run on PostgreSQL as everywhere else.
    # The sweep runs as `make run` does with no mail server, so the local mailbox's
    # routes exist to be swept (with a mail server, or outside `make run`, they do not).
    mailbox = {"MAIL_BACKEND": "mailbox", "MAILBOX_DIR": str(tmp_path / "mailbox")}
    return mailbox if POSTGRES_URL else {"SQLALCHEMY_DATABASE_URI": "sqlite://", **mailbox}


def row(**codes: int) -> dict[str, int]:
    """One route's expected status per role; every role must be named."""
    assert set(codes) == set(ROLES), f"row must name every role, missing {set(ROLES) - set(codes)}"
    return codes


# (endpoint, method) -> {role: status}. The sample record is an entry at ashgrove,
# recorded by teacher1, category Safeguarding (alerts to dsl and deputy), about
# world.pupils[0].
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("main.home", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("auth.login", "GET"): row(
        anonymous=200,
        teacher1=302,
        teacher2=302,
        dsl=302,
        deputy=302,
        slt=302,
        governor=302,
        admin=302,
        other_dsl=302,
        other_teacher=302,
        trust_rep=302,
    ),
    ("auth.login", "POST"): row(
        anonymous=422,
        teacher1=302,
        teacher2=302,
        dsl=302,
        deputy=302,
        slt=302,
        governor=302,
        admin=302,
        other_dsl=302,
        other_teacher=302,
        trust_rep=302,
    ),
    ("auth.logout", "POST"): row(
        anonymous=303,
        teacher1=303,
        teacher2=303,
        dsl=303,
        deputy=303,
        slt=303,
        governor=303,
        admin=303,
        other_dsl=303,
        other_teacher=303,
        trust_rep=303,
    ),
    # The log form: for everyone who logs entries somewhere (staff, DSLs, SLT).
    ("log.new", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    ("log.new", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=422,
        dsl=422,
        deputy=422,
        slt=422,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=422,
        trust_rep=403,
    ),
    # htmx pieces of the log form (sent with HX-Request, as htmx does). Signed out,
    # htmx is told to load the sign-in page whole (401 with HX-Redirect).
    ("log.pupil_search", "GET"): row(
        anonymous=401,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    # A pupil of ashgrove: brookfield's loggers get the 404 of a pupil that does not exist.
    ("log.pupil_chip", "GET"): row(
        anonymous=401,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Reading the entry: recorder, alerted team, whole-school readers, the trust.
    ("entries.show", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=200,
    ),
    # Follow-ups: the recorder (notes), DSLs and SLT; governors and the trust read only.
    ("entries.add_follow_up", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=422,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Review: the team and SLT. The note is optional, so an empty form is a review (303).
    ("entries.review", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=303,
        deputy=303,
        slt=303,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Close and reopen: the safeguarding team only (not SLT).
    ("entries.close", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("entries.reopen", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Queue an entry's failed alerts again: the safeguarding team it alerts.
    ("entries.retry_alerts", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=303,
        deputy=303,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Queue every failed alert of one's schools again: safeguarding teams and admins.
    ("main.retry_alerts", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=303,
        deputy=303,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=303,
        other_teacher=403,
        trust_rep=403,
    ),
    # The local mailbox of `make run` with no mail server: anyone at the computer running it,
    # signed in or not (the person who asked for a password reset is not). It exists only in
    # that mode and answers only requests from the computer itself (tests/test_mailbox.py).
    ("mailbox.index", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("mailbox.show", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    # What I logged: everyone who logs (without two-factor sign-in too: tests/test_recorder_hears_back.py).
    ("hearback.logged", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    # A message to the entry's recorder (teacher1): the safeguarding team; readers of the entry
    # who may not send one get 403, everyone else the 404 of a missing entry.
    ("hearback.message_recorder", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("review.queue", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    # --- signing in (every session below has passed the two-factor step) ---
    # The code step: nothing left to do for a verified session, so home.
    ("auth.two_factor", "GET"): row(
        anonymous=302,
        teacher1=302,
        teacher2=302,
        dsl=302,
        deputy=302,
        slt=302,
        governor=302,
        admin=302,
        other_dsl=302,
        other_teacher=302,
        trust_rep=302,
    ),
    ("auth.two_factor", "POST"): row(
        anonymous=302,
        teacher1=302,
        teacher2=302,
        dsl=302,
        deputy=302,
        slt=302,
        governor=302,
        admin=302,
        other_dsl=302,
        other_teacher=302,
        trust_rep=302,
    ),
    # Forgotten password and the reset link (a live link for teacher1): open to all.
    ("auth.forgot", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("auth.forgot", "POST"): row(
        anonymous=422,
        teacher1=422,
        teacher2=422,
        dsl=422,
        deputy=422,
        slt=422,
        governor=422,
        admin=422,
        other_dsl=422,
        other_teacher=422,
        trust_rep=422,
    ),
    ("auth.reset", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("auth.reset", "POST"): row(
        anonymous=422,
        teacher1=422,
        teacher2=422,
        dsl=422,
        deputy=422,
        slt=422,
        governor=422,
        admin=422,
        other_dsl=422,
        other_teacher=422,
        trust_rep=422,
    ),
    # One's own account. Staff (teachers) are not enrolled: the page enrols them,
    # and an empty code is refused (422); enrolled people see the manage page, so
    # a post to it goes back there (303).
    ("account.two_factor", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("account.two_factor", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=422,
        dsl=303,
        deputy=303,
        slt=303,
        governor=303,
        admin=303,
        other_dsl=303,
        other_teacher=422,
        trust_rep=303,
    ),
    # New recovery codes need a code: the enrolled get 422 for an empty one.
    ("account.recovery_codes", "POST"): row(
        anonymous=302,
        teacher1=303,
        teacher2=303,
        dsl=422,
        deputy=422,
        slt=422,
        governor=422,
        admin=422,
        other_dsl=422,
        other_teacher=303,
        trust_rep=422,
    ),
    # Turning it off: not for roles that need it, and nothing to turn off for the unenrolled.
    ("account.turn_off_two_factor", "POST"): row(
        anonymous=302,
        teacher1=303,
        teacher2=303,
        dsl=303,
        deputy=303,
        slt=303,
        governor=303,
        admin=303,
        other_dsl=303,
        other_teacher=303,
        trust_rep=303,
    ),
    ("account.password", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("account.password", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=422,
        dsl=422,
        deputy=422,
        slt=422,
        governor=422,
        admin=422,
        other_dsl=422,
        other_teacher=422,
        trust_rep=422,
    ),
    # Administering accounts: the school's admin, on teacher1 (a user of ashgrove).
    ("admin.users", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # Force reset and reset two-factor: a confirm page first; a post without its
    # confirmation shows that page again (422) and changes nothing.
    ("admin.force_reset", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.force_reset", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.reset_two_factor", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.reset_two_factor", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.unlock", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # Importing pupils from the MIS: the school's admins; a preview only for the admin who uploaded it.
    ("mis.upload", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.upload", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.preview", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.confirm", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.retention", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # A chronology is for whole-school readers of the pupil's school.
    ("chronology.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=200,
    ),
    # Exports of a chronology: whoever may read it.
    ("chronology.export_csv", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=200,
    ),
    ("chronology.export_pdf", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=200,
    ),
    # Marking a follow-up as a key event: the safeguarding team of the entry's school;
    # others who may read the entry are refused (403), the rest see nothing (404).
    ("chronology.mark_key_event", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=303,
        deputy=303,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Who has viewed a pupil's record: the pupil's school's safeguarding team only.
    ("auditlog.viewers", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # The blank page of "hide screen" without JavaScript shows nothing: anyone.
    ("main.hidden", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    # Reports (counts, no pupils): everyone who reads a whole school.
    ("reports.index", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=200,
    ),
    ("reports.download", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=200,
    ),
    # The governors' and trust's review: governors and trust representatives.
    ("oversight.index", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=200,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=200,
    ),
    # Search of every narrative: the safeguarding team and SLT.
    ("search.results", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    # The audit log: admins, for their schools.
    ("auditlog.log", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # The recording guidance: everyone signed in reads their own school's page and its history.
    ("guidance.show", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("guidance.history", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    # A version of ashgrove's page: brookfield's staff get the 404 of a missing one.
    ("guidance.version", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=404,
        other_teacher=404,
        trust_rep=200,
    ),
    # Editing the guidance: administrators; the trust-wide category descriptions: trust admins only.
    ("guidance.edit", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("guidance.edit", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("guidance.categories", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("guidance.categories", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # Concerns that evolve. A later category and a link: the safeguarding team only.
    ("entries.add_category", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("entries.link", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # A correction: the safeguarding team, and the recorder on their own entry.
    ("entries.amend", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # The folded forms of the entry page, as htmx fetches them: who may use the form.
    ("entries.fold_link", "GET"): row(
        anonymous=401,
        teacher1=403,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("entries.fold_category", "GET"): row(
        anonymous=401,
        teacher1=403,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("entries.fold_correction", "GET"): row(
        anonymous=401,
        teacher1=200,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # --- tasks and monitoring (issue 4, items 6 and 10) ---
    # Completing a task (given to teacher2 on an entry slt recorded): the person it was
    # given to and the school's reviewers. The recorder of that entry does not read it (404);
    # readers who may not complete it are refused (403). Completing again changes nothing (303).
    ("tasks.complete", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=303,
        dsl=303,
        deputy=303,
        slt=303,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # A pupil's monitoring: the safeguarding team of the pupil's school; to everyone else
    # the page does not exist. Empty forms are shown again with their errors.
    ("monitoring.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("monitoring.start", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # The sample pupil is not on the list: there is nothing to review or end (409).
    **{
        ("monitoring." + name, "POST"): row(
            anonymous=302,
            teacher1=404,
            teacher2=404,
            dsl=409,
            deputy=409,
            slt=404,
            governor=404,
            admin=404,
            other_dsl=404,
            other_teacher=404,
            trust_rep=404,
        )
        for name in ("review", "end")
    },
    # --- child-protection file transfers and subject access (cpoms/transfers/) ---
    # The sample transfer: Oliver's file, sent from ashgrove to brookfield, awaiting acceptance.
    # The dashboard: the safeguarding teams (of the sending and of the receiving school).
    ("transfers.dashboard", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    # Starting one from Amelia's chronology: her school's team; other readers of it 403, the rest 404.
    ("transfers.start", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("transfers.start", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # A transfer: the teams of the two schools; to everyone else it does not exist.
    ("transfers.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=200,
        other_teacher=404,
        trust_rep=404,
    ),
    # Already sent: marking it sent again is a conflict (409) for the sender, refused to the receiver.
    ("transfers.mark_sent", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=409,
        deputy=409,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=403,
        other_teacher=404,
        trust_rep=404,
    ),
    # Accepting (a button) and declining (a reason needed): the receiving team only.
    ("transfers.accept", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=403,
        deputy=403,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=303,
        other_teacher=404,
        trust_rep=404,
    ),
    ("transfers.decline", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=403,
        deputy=403,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=422,
        other_teacher=404,
        trust_rep=404,
    ),
    # A receipt and a pack are for transfers outside the trust: refused on this one.
    ("transfers.record_receipt", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=403,
        deputy=403,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=403,
        other_teacher=404,
        trust_rep=404,
    ),
    ("transfers.download_pack", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=403,
        deputy=403,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=403,
        other_teacher=404,
        trust_rep=404,
    ),
    # A subject-access export of Amelia's record: her school's safeguarding team (a zip, 200).
    ("transfers.subject_access", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # --- signed child-protection files (cpoms/packs/): the signing keys are public (anyone holding a
    # pack checks its fingerprint); receiving a pack and the list of distrusted keys are for the
    # safeguarding team (an empty form: 422, nothing kept).
    ("packs.signing_keys", "GET"): row(
        anonymous=200,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    ("packs.upload", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    ("packs.upload", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=403,
        trust_rep=403,
    ),
    ("packs.confirm", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=403,
        trust_rep=403,
    ),
    # A file of a received pack: its pupil's safeguarding team; anyone else, the same 404 as none.
    ("packs.received_file", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("packs.distrusted_keys", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=200,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    ("packs.distrust_key", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=403,
        trust_rep=403,
    ),
    ("packs.trust_key", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=422,
        deputy=422,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=403,
        trust_rep=403,
    ),
    # --- drafts saved as people type (tablet): anyone signed in keeps their own; an empty form keeps nothing ---
    ("drafts.save", "POST"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=200,
        admin=200,
        other_dsl=200,
        other_teacher=200,
        trust_rep=200,
    ),
    # --- attachments (issue 4, item 7): read with the entry, except by governors and trust
    # representatives (initials only: a file may name the child); added by whoever adds follow-ups.
    **{
        ("attachments." + name, "GET"): row(
            anonymous=302,
            teacher1=200,
            teacher2=404,
            dsl=200,
            deputy=200,
            slt=200,
            governor=404,
            admin=404,
            other_dsl=404,
            other_teacher=404,
            trust_rep=404,
        )
        for name in ("download", "preview")
    },
    ("attachments.add", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=422,
        governor=403,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    # Administration (accounts, roles, categories, schools of the trust, staff import, retention
    # deletion). On teacher1, whose one role cannot be removed (303 with a message). An empty
    # move has no direction (400). Schools are for trust-wide admins, whom the sweep has not.
    ("admin.new_user", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.new_user", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.user", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.add_role", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.remove_role", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.deactivate", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.reactivate", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.categories", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.categories", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.change_category", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.move_category", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.schools", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.schools", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("admin.change_school", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # Sign in with the trust's provider: nobody signed in starts one (no provider is set up in
    # the sweep: 404); a signed-in person is sent home. The settings are the trust admins' only.
    ("sso.start", "GET"): row(
        anonymous=404,
        teacher1=302,
        teacher2=302,
        dsl=302,
        deputy=302,
        slt=302,
        governor=302,
        admin=302,
        other_dsl=302,
        other_teacher=302,
        trust_rep=302,
    ),
    ("sso.callback", "GET"): row(
        anonymous=404,
        teacher1=404,
        teacher2=404,
        dsl=404,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("sso.settings", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("sso.settings", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("sso.change_provider", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("sso.remove_provider", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("sso.password_setting", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.staff_upload", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=200,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.staff_upload", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=422,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("mis.propose_deletion", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=303,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # A deletion proposed by admin for Amelia: its school's DSL confirms or withdraws it (then it
    # is gone: 404 for those after); to everyone else it looks missing.
    ("deletion.pending", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=403,
        trust_rep=403,
    ),
    ("deletion.confirm", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=303,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # An earlier date of birth from the MIS, accepted by a DSL of the pupil's school (Amelia has
    # none waiting: the DSL is told so); to everyone else the pupil looks missing.
    ("deletion.accept_date_of_birth", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=303,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("deletion.withdraw", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=303,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # Concerns about adults. The sample concern was raised by teacher2 about teacher1 at ashgrove,
    # whose headteacher is slt (given the role for the sweep) and whose DSLs the headteacher allows
    # to manage them too. Anyone who logs raises one; only its case managers read it, never
    # teacher1 (the person named): to everyone else it is missing (404).
    ("adults.new", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    ("adults.new", "POST"): row(
        anonymous=302,
        teacher1=422,
        teacher2=422,
        dsl=422,
        deputy=422,
        slt=422,
        governor=403,
        admin=403,
        other_dsl=422,
        other_teacher=422,
        trust_rep=403,
    ),
    # The raise form's pupil picker (htmx pieces, as the log form's): for everyone who raises
    # one; a pupil of ashgrove is missing to brookfield's staff (their form is at brookfield).
    ("adults.pupil_search", "GET"): row(
        anonymous=401,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    ("adults.pupil_chip", "GET"): row(
        anonymous=401,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=404,
        other_teacher=404,
        trust_rep=403,
    ),
    ("adults.received", "GET"): row(
        anonymous=302,
        teacher1=200,
        teacher2=200,
        dsl=200,
        deputy=200,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=200,
        other_teacher=200,
        trust_rep=403,
    ),
    ("adults.index", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=403,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("adults.retention", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=403,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("adults.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=404,
        slt=200,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("adults.add_follow_up", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=404,
        slt=422,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # A concern's reference list and its deletion page: its case managers only, never the
    # person named. The sample has no outcome, so its review is not due (a proposal: 422),
    # and no deletion waits to be confirmed or withdrawn (404 to everyone).
    ("adults.reference", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=404,
        slt=200,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("adults.deletion_proposal", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=404,
        slt=200,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("adults.deletion_proposal", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=409,
        deputy=404,
        slt=409,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("adults.confirm_deletion", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=404,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("adults.withdraw_deletion", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=404,
        deputy=404,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # Counts per term, no names: the case managers, and the governors and trust representatives.
    ("adults.report", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=200,
        deputy=403,
        slt=200,
        governor=200,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=200,
    ),
    # Whether the DSLs manage them too: the headteacher decides.
    ("adults.settings", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=200,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("adults.settings", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=422,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    # Who may not read a pupil's record: the pupil's safeguarding team (cpoms/exclusions/).
    ("exclusions.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("exclusions.add", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("exclusions.end", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    # Key information: read by the pupil's school's team and SLT, recorded and ended by the
    # team; to everyone else the pupil looks missing. Police notifications: the team's alone;
    # the key adult (teacher1) marks their own check-in done. The trust's own flags: its
    # administrators (none in the sweep: the admin works at one school).
    ("keyinfo.show", "GET"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=200,
        deputy=200,
        slt=200,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("keyinfo.record_status", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("keyinfo.end_status", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=403,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("keyinfo.record_police_notification", "POST"): row(
        anonymous=302,
        teacher1=404,
        teacher2=404,
        dsl=422,
        deputy=422,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("keyinfo.check_in", "POST"): row(
        anonymous=302,
        teacher1=303,
        teacher2=404,
        dsl=303,
        deputy=303,
        slt=404,
        governor=404,
        admin=404,
        other_dsl=404,
        other_teacher=404,
        trust_rep=404,
    ),
    ("keyinfo.flags", "GET"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
    ("keyinfo.flags", "POST"): row(
        anonymous=302,
        teacher1=403,
        teacher2=403,
        dsl=403,
        deputy=403,
        slt=403,
        governor=403,
        admin=403,
        other_dsl=403,
        other_teacher=403,
        trust_rep=403,
    ),
}

# How to call a route beyond its URL: extra query arguments and headers.
REQUEST = {
    ("log.pupil_search", "GET"): {"query": {"q": "am"}, "headers": HX},
    ("log.pupil_chip", "GET"): {"headers": HX},
    ("adults.pupil_search", "GET"): {"query": {"q": "am"}, "headers": HX},
    ("adults.pupil_chip", "GET"): {"headers": HX},
    ("entries.fold_link", "GET"): {"headers": HX},
    ("entries.fold_category", "GET"): {"headers": HX},
    ("entries.fold_correction", "GET"): {"headers": HX},
    ("search.results", "GET"): {"query": {"q": "bruise"}},
}


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


def strip_tokens(html: str) -> str:
    return re.sub(r'(csrf_token" type="hidden" value="|csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", html)


def entry_ids_linked(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/entries/(\d+)"', html)}


@pytest.fixture
def sample(app, world, make_entry):
    with app.test_request_context():
        version = GuidanceVersion(school_id=world.school.id, body="Write full names.", created_by_id=world["admin"].id)
        db.session.add(version)
        token = reset.issue(db.session.get(User, world["teacher1"].id))
        upload = imports.store(
            db.session.get(User, world["admin"].id),
            db.session.get(School, world.school.id),
            "pupils.csv",
            pupils.parse(b"UPN,Surname,Forename,DOB,Year,Class\n"),
            full=False,
        ).id
        db.session.commit()
        version_id = version.id
    entry_id = make_entry()
    with app.test_request_context():
        follow_up = add_follow_up(
            db.session.get(User, world["dsl"].id),
            db.session.get(Entry, entry_id),
            Kind.NOTE,
            "Spoke to the class teacher.",
        )
        db.session.commit()
        follow_up_id = follow_up.id
    with app.app_context():
        role_id = db.session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == world["teacher1"].id))
        proposal = RetentionDeletion(
            pupil_id=world.pupils[0].id, school_id=world.school.id, reason="Reviewed.", proposed_by_id=world["admin"].id
        )
        db.session.add(proposal)
        db.session.commit()
        administration = {
            "role_id": role_id,
            "category_id": world.categories["Behaviour"].id,
            "school_id": world.school.id,
            "proposal_id": proposal.id,
        }
    task_id = give_sample_task(app, world, make_entry(recorder="slt"))
    with app.test_request_context(), mailbox.Connection() as connection:
        letter = connection.send(Message("A sample email", recipients=["dsl@ashgrove.example.org"], body="Sample."))
    attachment_id = attach_png(app, entry_id, world["teacher1"].id)
    with app.test_request_context():
        received = received_sample(world)
    return {
        **received,
        "entry_id": entry_id,
        "follow_up_id": follow_up_id,
        "pupil_id": world.pupils[0].id,
        "task_id": task_id,
        "attachment_id": attachment_id,
        "name": letter,
        "version_id": version_id,
        "key": "months",
        "user_id": world["teacher1"].id,
        "token": token,
        "upload_id": upload,
        "transfer_id": sent_transfer(app, world),
        "concern_id": sample_concern(app, world),
        **sample_key_information(app, world),
        "kind": "decision",
        "slug": "test",
        "provider_id": sample_sign_in_provider(app, world),
        "exclusion_id": sample_exclusion(app, world),
        **administration,
    }


def sample_sign_in_provider(app, world) -> int:
    """The trust's provider (no secret in the sweep's environment, so not offered)."""
    with app.app_context():
        row = SignInProvider(
            trust_id=world.trust.id,
            slug="test",
            name="Test",
            kind="oidc",
            issuer="https://id.example.org",
            client_id="cpoms",
            restriction="",
            mfa_claim="amr",
            mfa_value="mfa",
            enabled=True,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def sample_key_information(app, world) -> dict:
    """A child protection plan on Amelia, and a police notification with teacher1 her key adult."""
    with app.test_request_context():
        dsl, amelia = db.session.get(User, world["dsl"].id), db.session.get(Pupil, world.pupils[0].id)
        status = keyinfo.record_status(dsl, amelia, "cp_plan", date(2026, 3, 3), category_of_abuse="neglect")
        notification, _ = keyinfo.record_police_notification(
            dsl,
            amelia,
            incident_at=now_utc(),
            child_present=True,
            officer="PC Sample",
            force_reference="REF-1",
            shared="Sample.",
            key_adult=db.session.get(User, world["teacher1"].id),
        )
        db.session.commit()
        return {"status_id": status.id, "notification_id": notification.id}


def sample_concern(app, world) -> int:
    """slt is also ashgrove's headteacher, who lets its DSLs manage concerns about adults;
    teacher2 raised a concern about teacher1."""
    with app.test_request_context():
        slt = db.session.get(User, world["slt"].id)
        slt.roles.append(RoleAssignment(role=Role.HEADTEACHER, school_id=world.school.id))
        db.session.flush()
        set_dsl_allowed(slt, world.school.id, True)
        concern, _ = raise_concern(
            db.session.get(User, world["teacher2"].id),
            db.session.get(School, world.school.id),
            subject_kind="staff",
            person=db.session.get(User, world["teacher1"].id),
            typed_name="",
            subject_role="",
            happened_at=now_utc() - timedelta(hours=1),
            location="The hall",
            what_happened="Raised his voice at a pupil.",
            what_was_said="",
            pupils=[world.pupils[0]],
        )
        db.session.commit()
        return concern.id


def sample_exclusion(app, world) -> int:
    """other_teacher (of brookfield) kept from Amelia's record: it changes nothing any role
    of the sweep sees, and gives the route that ends an exclusion one to end."""
    with app.app_context():
        exclusion = RecordExclusion(
            pupil_id=world.pupils[0].id,
            user_id=world["other_teacher"].id,
            school_id=world.school.id,
            reason="Is the child's aunt.",
            by_id=world["dsl"].id,
        )
        db.session.add(exclusion)
        db.session.commit()
        return exclusion.id


def sent_transfer(app, world) -> int:
    """Oliver's file, sent from ashgrove to brookfield and awaiting acceptance."""
    with app.app_context():
        transfer = Transfer(
            pupil_id=world.pupils[1].id,
            from_school_id=world.school.id,
            to_school_id=world.other_school.id,
            method="cp_system",
            started_by_id=world["dsl"].id,
            status="sent",
            sent_on=now_utc().date(),
        )
        db.session.add(transfer)
        db.session.commit()
        return transfer.id


def give_sample_task(app, world, entry_id: int) -> int:
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        follow_up = add_follow_up(dsl, db.session.get(Entry, entry_id), Kind.TASK, "Check in daily.")
        task = give_task(dsl, follow_up, world["teacher2"].id, uk_today())
        db.session.commit()
        return task.id


def build_url(app, endpoint: str, ids: dict, **query) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    unknown = set(rule.arguments) - set(ids)
    assert not unknown, f"{endpoint}: no sample value for URL argument(s) {unknown}; add one to the sweep"
    with app.test_request_context():
        return url_for(endpoint, **{k: ids[k] for k in rule.arguments}, **query)


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


def valid_log_form(world, pupil, **extra) -> dict:
    return {
        "pupil_ids": str(pupil.id),
        "category": str(world.categories["Behaviour"].id),
        "source": "staff_observation",
        "occurred_at": uk_local_input(now_utc() - timedelta(minutes=10)),
        "narrative": "Pushed in the lunch queue.",
        "checked": "1",  # past the gentle check on save (tests/test_record_check.py)
        **extra,
    }


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
