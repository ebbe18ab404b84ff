"""The governors' and trust's review: what happened, how each child was
supported and what the school did, read-only, pupils by initials."""

import secrets

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from .. import audit, policy
from ..formfields import page_number
from ..htmx import render
from ..loaders import schools_or_403
from ..reports.forms import filters_for
from .forms import OversightFilterForm
from .queries import MAX_PAGE, oversight_entries

bp = Blueprint("oversight", __name__)


@bp.route("/oversight")
@login_required
def index():
    school_ids = schools_or_403(policy.oversight_school_ids(current_user))
    form = filters_for(OversightFilterForm, school_ids)
    if not form.validate():
        return render("oversight/index.html", block="entries", form=form, entries=None, status_code=422)
    seed = form.seed(request.args.get("seed"))
    page = page_number(MAX_PAGE)
    entries, has_more = oversight_entries(
        current_user,
        [s.id for s in form.chosen_schools()],
        form.period(),
        form.category_id(),
        form.sample_size(),
        seed,
        page,
    )
    audit.record(
        audit.VIEW_OVERSIGHT, entries=[e.id for e in entries], page=page, seed=seed if form.sample_size() else None
    )
    here = {k: v for k, v in request.args.items() if k not in ("page", "seed")}
    links = {
        "newer": url_for("oversight.index", **here, page=page - 1) if page > 1 else None,
        "older": url_for("oversight.index", **here, page=page + 1) if has_more else None,
        # A new sample: the seed comes from the server, so nobody picks which entries are shown.
        "another": url_for("oversight.index", **here, seed=secrets.randbelow(2**31 - 2) + 1)
        if form.sample_size()
        else None,
    }
    return render(
        "oversight/index.html", block="entries", form=form, entries=entries, period=form.period(), links=links
    )
