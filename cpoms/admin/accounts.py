"""Making accounts and giving roles: an admin gives only the roles policy.grantable_roles()
lists for them, and deactivates (never deletes) an account. Nobody who recorded
anything can be deleted: there is no deletion of accounts at all."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..formfields import BaseForm
from ..htmx import render
from ..loaders import administered_user_or_404, refuse, refuse_unless, role_or_404
from ..models import Role, School, Trust, User
from . import operations
from . import policy as admin_policy
from .blueprint import bp
from .forms import NewUserForm, RoleForm


def grant_value(role: str, school_id: int | None, trust_id: int | None) -> str:
    return f"{role}@school:{school_id}" if school_id is not None else f"{role}@trust:{trust_id}"


def grant_choices(user) -> list[tuple[str, str]]:
    grants = admin_policy.grantable_roles(user)
    schools = {
        s.id: s.name
        for s in db.session.scalars(select(School).where(School.id.in_({g[1] for g in grants if g[1] is not None})))
    }
    trusts = {
        t.id: t.name
        for t in db.session.scalars(select(Trust).where(Trust.id.in_({g[2] for g in grants if g[2] is not None})))
    }
    return sorted(
        (
            (
                grant_value(*g),
                f"{Role.LABELS[g[0]]} at {schools[g[1]]}"
                if g[1] is not None
                else f"{Role.LABELS[g[0]]} across {trusts[g[2]]} (every school)",
            )
            for g in grants
        ),
        key=lambda choice: (choice[1].split(" at ")[-1], choice[1]),
    )


def chosen_grant(value: str) -> tuple[str, int | None, int | None]:
    """The (role, school_id, trust_id) of a choice the form has already checked."""
    role, _, place = value.partition("@")
    kind, _, number = place.partition(":")
    return (role, int(number), None) if kind == "school" else (role, None, int(number))


def _with_choices(form: RoleForm) -> RoleForm:
    form.grant.choices = [("", "Choose a role"), *grant_choices(current_user)]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _with_choices(NewUserForm())
    if request.method == "POST" and form.validate():
        grant = chosen_grant(form.grant.data) if form.grant.data else None
        if grant is None:
            form.grant.errors = ["Choose the role they have, and where."]
        elif db.session.scalar(select(User.id).where(func.lower(User.email) == form.email.data)) is not None:
            form.email.errors = [
                "There is already an account with this email address. If they work at another "
                "school too, give them a role from their page on the users list."
            ]
        elif admin_policy.grant_refusal(current_user, None, *grant) is None:
            user, mailed = operations.create_user(current_user, form.name.data, form.email.data, grant)
            flash(
                f"{user.name} has an account and has been emailed a link to choose a password."
                if mailed
                else f"{user.name} has an account, but the email with the link to choose a password "
                "could not be sent: check the mail settings, then use Force password reset on the users list.",
                "success" if mailed else "warning",
            )
            return redirect(url_for(".user", user_id=user.id), 303)
        else:
            refuse("grant role", grant=form.grant.data)
    return render("admin/new_user.html", form=form, status_code=422 if request.method == "POST" else 200)


@bp.route("/users/<int:user_id>")
def user(user_id: int):
    person = administered_user_or_404(user_id)
    return _user_page(person, _with_choices(RoleForm(formdata=None)))


def _user_page(person: User, form: RoleForm, status: int = 200):
    return render("admin/user.html", person=person, form=form, button=BaseForm(formdata=None), status_code=status)


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def add_role(user_id: int):
    person = administered_user_or_404(user_id)
    form = _with_choices(RoleForm())
    if not form.validate() or not form.grant.data:
        if not form.grant.errors:
            form.grant.errors = ["Choose the role to give, and where."]
        return _user_page(person, form, 422)
    grant = chosen_grant(form.grant.data)
    refuse_unless(
        admin_policy.grant_refusal(current_user, person, *grant) is None,
        "grant role",
        target_user_id=person.id,
        grant=form.grant.data,
    )
    added = operations.add_role(current_user, person, grant)
    flash(f"{person.name} now has this role." if added else f"{person.name} already had this role.", "success")
    return redirect(url_for(".user", user_id=person.id), 303)


@bp.route("/users/<int:user_id>/roles/<int:role_id>/remove", methods=["POST"])
def remove_role(user_id: int, role_id: int):
    person = administered_user_or_404(user_id)
    assignment = role_or_404(person, role_id)
    refuse_unless(
        admin_policy.grant_refusal(current_user, person, assignment.role, assignment.school_id, assignment.trust_id)
        is None,
        "remove role",
        target_user_id=person.id,
        role=assignment.id,
    )
    if len(person.roles) == 1:
        flash(
            f"This is {person.name}'s only role: deactivate the account instead, so that it stays on the users list.",
            "warning",
        )
    else:
        operations.remove_role(current_user, person, assignment)
        flash(f"The role has been removed from {person.name}. The audit log keeps that they held it.", "success")
    return redirect(url_for(".user", user_id=person.id), 303)


def _set_active(user_id: int):
    person = administered_user_or_404(user_id)
    refuse_unless(admin_policy.can_deactivate_user(current_user, person), "deactivate", target_user_id=person.id)
    active = request.endpoint.endswith("reactivate")
    operations.set_active(current_user, person, active)
    flash(
        f"{person.name} can sign in again."
        if active
        else f"{person.name} is deactivated and signed out everywhere. What they recorded stays.",
        "success",
    )
    return redirect(url_for(".user", user_id=person.id), 303)


bp.add_url_rule("/users/<int:user_id>/deactivate", "deactivate", _set_active, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/reactivate", "reactivate", _set_active, methods=["POST"])
