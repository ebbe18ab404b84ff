"""/mailbox: the local mailbox's messages, newest first, each readable as text.

Registered only in mailbox mode (cpoms.create_app), and even then answered only to
the computer the app runs on. It is not behind sign-in: the person who asked for a
password reset is not signed in, and sign-in would not protect it anyway, since the
reset links it holds open every account. What protects it is that it exists only
under the dev launcher, with no mail server, and never for a request that came
from elsewhere or through a proxy.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..loaders import found_or_404
from . import folder, letter, letters

bp = Blueprint("mailbox", __name__)

LOOPBACK = {"127.0.0.1", "::1"}


@bp.before_request
def only_from_this_computer():
    found_or_404(
        request.remote_addr in LOOPBACK
        and "X-Forwarded-For" not in request.headers
        and "Forwarded" not in request.headers
    )


@bp.route("/mailbox")
def index():
    return render_template("mailbox/index.html", letters=letters(), folder=folder())


@bp.route("/mailbox/<name>")
def show(name: str):
    found = found_or_404(letter(name))
    return render_template("mailbox/show.html", letter=found, folder=folder())
