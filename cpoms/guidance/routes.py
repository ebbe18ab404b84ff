"""The school's recording guidance, where staff record: the page, its history,
and the category descriptions the log form shows."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from .. import policy
from ..admin import policy as admin_policy
from ..htmx import render
from ..loaders import guidance_school_or_404, guidance_trust_or_404, guidance_version_or_404, require
from ..markdown_text import render_markdown
from ..models import Category
from . import operations
from . import policy as guidance_policy
from .forms import GuidanceForm, category_descriptions_form, field_name
from .queries import Scope, newest, schools, shown_for, trusts, versions

bp = Blueprint("guidance", __name__, url_prefix="/guidance")


def _readable_school():
    """The school whose guidance to show: ?school=ID among the user's, or their first."""
    require(guidance_policy.can_read_guidance(current_user))
    mine = schools(guidance_policy.guidance_school_ids(current_user))
    wanted = request.args.get("school")
    if wanted is None:
        return mine[0], mine
    return guidance_school_or_404(wanted, guidance_policy.can_read_guidance_of), mine


def _scope_from_args(allowed) -> Scope:
    """?school=ID or ?trust=ID, if `allowed` says this user may use it; 404 otherwise."""
    if "trust" in request.args and "school" not in request.args:
        return Scope(trust=guidance_trust_or_404(request.args["trust"], allowed))
    return Scope(school=guidance_school_or_404(request.args.get("school", ""), allowed))


@bp.route("")
@login_required
def show():
    school, mine = _readable_school()
    version = shown_for(school)
    return render(
        "guidance/show.html",
        school=school,
        schools=mine,
        version=version,
        body=render_markdown(version.body) if version else None,
        school_scope=Scope(school=school),
        trust_scope=Scope(trust=school.trust),
    )


@bp.route("/history")
@login_required
def history():
    require(guidance_policy.can_read_guidance(current_user))
    if not request.args:
        school, _ = _readable_school()
        scope = Scope(school=school)
    else:
        scope = _scope_from_args(guidance_policy.can_read_guidance_of)
    return render("guidance/history.html", scope=scope, versions=versions(scope))


@bp.route("/versions/<int:version_id>")
@login_required
def version(version_id: int):
    require(guidance_policy.can_read_guidance(current_user))
    found = guidance_version_or_404(version_id)
    scope = Scope(school=found.school, trust=found.trust)
    return render(
        "guidance/version.html", version=found, scope=scope, body=render_markdown(found.body), current=newest(scope)
    )


def _editable_scope() -> Scope:
    require(guidance_policy.can_edit_guidance(current_user))
    if request.args:
        return _scope_from_args(guidance_policy.can_edit_guidance_of)
    own = schools(policy.access(current_user).admin)
    if own:
        return Scope(school=own[0])
    return Scope(trust=trusts(policy.access(current_user).admin_trusts)[0])


@bp.route("/edit", methods=["GET", "POST"])
@login_required
def edit():
    scope = _editable_scope()
    current = newest(scope)
    # A school without its own page starts from the trust's, which its staff see now.
    starting = current or (shown_for(scope.school) if scope.school else None)
    form = GuidanceForm()
    if request.method == "GET" and starting:
        form.body.data = starting.body
    status, preview = 200, None
    if request.method == "POST":
        if form.validate():
            body = form.body.data.strip().replace("\r\n", "\n")
            if "preview" in request.form:
                preview = render_markdown(body)
            elif current is not None and body == current.body:
                form.body.errors = ["This is the same as the current version: change something to save."]
                status = 422
            else:
                operations.save_version(current_user, scope, body, (form.note.data or "").strip())
                flash(f"The recording guidance of {scope.name} has been saved.", "success")
                if scope.school:
                    return redirect(url_for("guidance.show", school=scope.school.id), 303)
                return redirect(url_for("guidance.history", **scope.args), 303)
        else:
            status = 422
    return render(
        "guidance/edit.html",
        form=form,
        scope=scope,
        current=current,
        inherited=starting if current is None else None,
        preview=preview,
        status_code=status,
    )


@bp.route("/categories", methods=["GET", "POST"])
@login_required
def categories():
    require(admin_policy.can_edit_categories(current_user))
    found = Category.ordered()
    form = category_descriptions_form(found)
    status = 200
    if request.method == "POST":
        if form.validate():
            changed = operations.describe_categories(current_user, {c: form[field_name(c)].data.strip() for c in found})
            flash(
                f"{len(changed)} description{'' if len(changed) == 1 else 's'} changed."
                if changed
                else "Nothing was changed.",
                "success",
            )
            return redirect(url_for("guidance.categories"), 303)
        status = 422
    return render(
        "guidance/categories.html", form=form, fields=[(c, form[field_name(c)]) for c in found], status_code=status
    )
