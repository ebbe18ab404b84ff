"""The schools of a trust, for its trust-wide admins: add and rename. A school is
never deleted: its records are the trust's."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..htmx import render
from ..loaders import managed_school_or_404, require
from ..models import School, Trust
from . import policy as admin_policy
from .blueprint import bp
from .forms import ONE_OF_MANY, SchoolForm


def _trusts() -> list[Trust]:
    require(admin_policy.can_manage_schools(current_user))
    return list(
        db.session.scalars(
            select(Trust)
            .where(Trust.id.in_(admin_policy.manageable_trust_ids(current_user)))
            .options(selectinload(Trust.schools))
            .order_by(Trust.name)
        )
    )


def _valid(form: SchoolForm, school_id: int | None = None) -> bool:
    if not form.validate():
        return False
    for field, column in ((form.slug, School.slug), (form.name, School.name)):
        query = select(School.id).where(func.lower(column) == field.data.lower())
        if school_id is not None:
            query = query.where(School.id != school_id)
        if db.session.scalar(query) is not None:
            field.errors = [f"Another school already has {field.data!r}: choose another."]
            return False
    return True


def _page(trusts, form: SchoolForm, status: int = 200, changing: tuple[int, SchoolForm] | None = None):
    forms = {
        s.id: SchoolForm(formdata=None, prefix=f"s{s.id}", obj=s, meta=ONE_OF_MANY) for t in trusts for s in t.schools
    }
    if changing is not None:
        forms[changing[0]] = changing[1]
    return render("admin/schools.html", trusts=trusts, form=form, forms=forms, status_code=status)


@bp.route("/schools", methods=["GET", "POST"])
def schools():
    trusts = _trusts()
    form = SchoolForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        return _page(trusts, form)
    if not _valid(form):
        return _page(trusts, form, 422)
    # A trust admin of several trusts adds to the first; one trust is the usual case.
    school = School(trust_id=trusts[0].id, name=form.name.data, slug=form.slug.data)
    db.session.add(school)
    db.session.flush()
    audit.record(audit.SCHOOL_ADDED, school_id=school.id, new={"name": school.name, "slug": school.slug})
    flash(f"{school.name} is added. Give its staff roles from the users pages, then import its pupils.", "success")
    return redirect(url_for(".schools"), 303)


@bp.route("/schools/<int:school_id>", methods=["POST"])
def change_school(school_id: int):
    trusts = _trusts()
    school = managed_school_or_404(school_id)
    form = SchoolForm(prefix=f"s{school.id}", meta=ONE_OF_MANY)
    if not _valid(form, school.id):
        return _page(trusts, SchoolForm(formdata=None), 422, changing=(school.id, form))
    old = {"name": school.name, "slug": school.slug}
    new = {"name": form.name.data, "slug": form.slug.data}
    if old != new:
        school.name, school.slug = new["name"], new["slug"]
        audit.record(
            audit.SCHOOL_CHANGED,
            school_id=school.id,
            old={k: v for k, v in old.items() if new[k] != v},
            new={k: v for k, v in new.items() if old[k] != v},
        )
    flash(f"{school.name} is saved." if old != new else "Nothing was changed.", "success")
    return redirect(url_for(".schools"), 303)
