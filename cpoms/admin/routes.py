"""The school's accounts, for its administrators: who has two-factor sign-in,
who is locked out, and the three things an admin may do about it."""

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..auth import lockout
from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import administered_user_or_404
from ..models import RoleAssignment, User
from . import accounts, categories, operations, schools  # noqa: F401  (their routes join the blueprint)
from . import policy as admin_policy
from .blueprint import bp
from .forms import ConfirmForm


@bp.route("/users")
def users():
    people = list(
        db.session.scalars(
            select(User)
            .where(admin_policy.administered_users(current_user))
            .options(selectinload(User.roles).joinedload(RoleAssignment.school))
            .order_by(User.name, User.id)
        )
    )
    return render("admin/users.html", people=people, button=BaseForm(formdata=None), locked=lockout.is_locked)


def _back(message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for(".users"), 303)


# endpoint: (what it does, its audit action, what the admin is told)
SIMPLE_ACTIONS = {
    "reset_two_factor": (
        operations.reset_two_factor,
        audit.ADMIN_RESET_TWO_FACTOR,
        "Two-factor sign-in for {name} has been reset: they set it up again at their next sign-in.",
    ),
    "unlock": (lockout.unlock, audit.ADMIN_UNLOCKED_ACCOUNT, "{name}'s account is unlocked."),
}


def _unconfirmed(user: User, action: str):
    """The confirm page, unless its button sent this POST. The users list links to the
    page (GET), which says what the action does to the person before anything does;
    a POST without its confirmation (one tap on an old page, a repeat) changes nothing."""
    posted = request.method == "POST"
    form = ConfirmForm() if posted else ConfirmForm(formdata=None)
    if posted and form.validate():
        return None
    form.confirm.data = "yes"  # what the page's button sends
    return render("admin/confirm.html", person=user, action=action, form=form, status_code=422 if posted else 200)


@bp.route("/users/<int:user_id>/force-reset", methods=["GET", "POST"])
def force_reset(user_id: int):
    user = administered_user_or_404(user_id)
    if (page := _unconfirmed(user, "force_reset")) is not None:
        return page
    mailed = operations.force_password_reset(current_user, user)
    audit.record(audit.ADMIN_FORCED_PASSWORD_RESET, target_user_id=user.id, mailed=mailed)
    if mailed:
        return _back(f"{user.name} has been signed out everywhere and emailed a link to set a new password.")
    return _back(
        f"{user.name} has been signed out everywhere and their password no longer works, but the "
        "email with the link could not be sent. Check the mail settings, then force a reset again.",
        "warning",
    )


def _simple_action(user_id: int):
    endpoint = request.endpoint.rpartition(".")[2]
    change, action, message = SIMPLE_ACTIONS[endpoint]
    user = administered_user_or_404(user_id)
    if endpoint in CONFIRMED_FIRST and (page := _unconfirmed(user, endpoint)) is not None:
        return page
    change(user)
    audit.record(action, target_user_id=user.id)
    return _back(message.format(name=user.name))


# These sign the person out everywhere and cannot be undone: they are confirmed first.
# Unlocking only gives back what the lock took, so it acts at once.
CONFIRMED_FIRST = {"reset_two_factor"}
bp.add_url_rule("/users/<int:user_id>/reset-two-factor", "reset_two_factor", _simple_action, methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>/unlock", "unlock", _simple_action, methods=["POST"])
