"""The administration blueprint and its one gate: every page under /admin is for administrators.
Its routes live in routes.py, accounts.py, categories.py and schools.py (routes.py gathers them)."""

from flask import Blueprint
from flask_login import current_user, login_required

from .. import policy
from ..loaders import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    require(policy.can_administer(current_user))
