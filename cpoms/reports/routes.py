"""Reports for senior leaders, governors and the trust: counts and waiting
times by category, month, term and school. No pupil appears in any of them."""

import csv
import io

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

from .. import audit, policy
from ..common import spreadsheet_safe
from ..htmx import render
from ..loaders import found_or_404, schools_or_403
from . import queries
from .forms import ReportFilterForm, filters_for

bp = Blueprint("reports", __name__)


def _report():
    school_ids = schools_or_403(policy.report_school_ids(current_user))
    form = filters_for(ReportFilterForm, school_ids)
    if not form.validate():
        return form, None
    report = queries.build(form.chosen_schools(), form.categories, form.period(), form.category_id())
    return form, report


@bp.route("/reports")
@login_required
def index():
    form, report = _report()
    if report is not None:
        audit.record(audit.VIEW_REPORTS, filters=_filters(form))
    return render(
        "reports/index.html",
        block="report",
        form=form,
        report=report,
        period=form.period() if report else None,
        status_code=200 if report else 422,
    )


@bp.route("/reports/<key>.csv")
@login_required
def download(key: str):
    form, report = _report()
    if report is None:
        abort(422)
    table = found_or_404(report.tables.get(key))
    audit.record(audit.EXPORT_REPORT, table=key, filters=_filters(form))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(h) for h in table.headers])  # category names head columns
    writer.writerows([[spreadsheet_safe(v) for v in row] for row in table.rows])
    name = f"{key}-{form.period().label.replace('/', '-').replace(' ', '-').lower()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _filters(form) -> dict:
    return {name: field.data for name, field in form._fields.items() if field.data}
