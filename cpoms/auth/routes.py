from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..htmx import render
from ..models import User
from .forms import LoginForm

bp = Blueprint("auth", __name__)

FAILED = "That email address and password do not match an active account."


def safe_next(target: str | None) -> str | None:
    """Follow next= only to a path on this site: never to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()  # a fresh session for the person now at the screen
            login_user(user)
            audit.record(audit.SIGN_IN, user=user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"), 303)
        if user is None:
            _dummy_check(form.password.data)  # an unknown address takes as long as a wrong password
        audit.record(audit.SIGN_IN_FAILED, user=user, email=email)
        form.password.errors.append(FAILED)
        status = 422
    elif form.is_submitted():
        status = 422
    return render("auth/login.html", form=form, status_code=status)


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


def _dummy_check(password: str) -> None:
    check_password_hash(_dummy_hash(), password)


@bp.route("/logout", methods=["POST"])
def logout():
    # Not login_required: signing out of an expired session should just land on
    # the sign-in page, not come back to /logout after signing in.
    # CSRFProtect has already checked the token, as on every POST.
    if current_user.is_authenticated:
        audit.record(audit.SIGN_OUT)
        logout_user()
        flash("You have signed out.", "info")
    session.clear()
    return redirect(url_for("auth.login"), 303)
