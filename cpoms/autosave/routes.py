"""Drafts saved as people type: htmx posts the form here every few seconds.

The draft lives on the server, for the signed-in user only (cpoms/drafts.py says
why not the browser); the page it was typed on gives it back until the form is
saved, after a reload, in a new tab, or after signing in again.
"""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import drafts

bp = Blueprint("drafts", __name__)


@bp.route("/drafts", methods=["POST"])
@login_required
def save():
    draft = drafts.autosave(current_user.id)
    # The CSRF check has already passed (Flask-WTF): a draft is the user's own text, nothing more.
    return render_template("_draft_status.html", draft=draft)
