"""Where a request goes when its session cannot use the page it asked for: to sign
in (no session), or to the two-factor step or enrolment that must come first."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, request, url_for
from flask_login import current_user, login_url

from .. import policy
from ..extensions import login_manager
from ..htmx import wants_partial

# What a session with a step pending may still reach.
ALWAYS_OPEN = {"static", "auth.logout"}
OPEN_DURING = {
    policy.VERIFY: ALWAYS_OPEN | {"auth.two_factor"},
    policy.ENROL: ALWAYS_OPEN | {"account.two_factor"},
}


def go_to(url: str, status: int = 302):
    """A redirect; for an htmx request, a whole-page one (HX-Redirect), so a sign-in
    page is never swapped into a piece of another page."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 401 if status == 401 else 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, status)


def here() -> str:
    return request.full_path.rstrip("?") if request.method == "GET" else request.path


@login_manager.unauthorized_handler
def sign_in_first():
    # After a timeout mid-form, come back to the page the form was on.
    target = g.get("draft_path") or here()
    if not g.get("session_ended"):
        flash(login_manager.login_message, login_manager.login_message_category)
    url = login_url("auth.login", next_url=target)
    if wants_partial():
        return go_to(url, 401)
    return redirect(url)


def step_first():
    """before_app_request: a session with the two-factor step (or enrolment) still
    to do reaches nothing else."""
    if request.endpoint in ALWAYS_OPEN or request.endpoint is None:
        return None
    step = policy.pending_sign_in_step(current_user)
    if step is None or request.endpoint in OPEN_DURING[step]:
        return None
    if step == policy.VERIFY:
        return go_to(url_for("auth.two_factor", next=here() if request.method == "GET" else None))
    return go_to(url_for("account.two_factor"))
