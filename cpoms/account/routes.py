"""The signed-in person's own account: two-factor sign-in and their password."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from .. import audit, policy
from ..auth import sessions, two_factor
from ..auth.forms import ChangePasswordForm, CodeForm
from ..htmx import render
from . import operations

bp = Blueprint("account", __name__, url_prefix="/account")


def _me():
    return current_user._get_current_object()


# The manage page holds two code forms: prefixes keep their fields apart.
NEW_CODES, TURN_OFF = "codes", "off"


def _manage_page(status: int = 200, **forms):
    context = {
        "codes_form": CodeForm(formdata=None, prefix=NEW_CODES),
        "off_form": CodeForm(formdata=None, prefix=TURN_OFF),
        **forms,
    }
    return render(
        "account/two_factor.html",
        mode="manage",
        can_turn_off=policy.can_turn_off_two_factor(current_user),
        status_code=status,
        **context,
    )


def _codes_page(codes: list[str], first_time: bool):
    return render("account/two_factor.html", mode="codes", codes=codes, first_time=first_time)


@bp.route("/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def two_factor_page():
    user = _me()
    if user.two_factor_enrolled:
        return _manage_page() if not CodeForm().is_submitted() else redirect(url_for(".two_factor"), 303)
    row = sessions.current_row()
    form = CodeForm()
    if form.validate_on_submit():
        codes, refused = operations.finish_setup(user, row, form.code.data)
        if codes is not None:
            return _codes_page(codes, first_time=True)
        form.code.errors.append(refused)
    status = 422 if form.is_submitted() else 200
    secret = operations.setup_key(user, row, again=status == 422 and row.totp_setup_secret is not None)
    return render(
        "account/two_factor.html",
        mode="enrol",
        form=form,
        qr=two_factor.qr_svg(two_factor.provisioning_uri(user, secret)),
        secret=two_factor.grouped(secret),
        required=policy.two_factor_required(user),
        status_code=status,
    )


def _code_checked(form: CodeForm) -> bool:
    if not form.validate_on_submit():
        return False
    checked = two_factor.check_code(_me(), form.code.data)
    if checked == two_factor.ACCEPTED:
        return True
    form.code.errors.append(
        two_factor.CODE_USED
        if checked == two_factor.ALREADY_USED
        else "That code did not work. Enter the code your app shows now."
    )
    return False


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
def recovery_codes():
    if not current_user.two_factor_enrolled:
        return redirect(url_for(".two_factor"), 303)
    form = CodeForm(prefix=NEW_CODES)
    if not _code_checked(form):
        return _manage_page(422, codes_form=form)
    codes = two_factor.new_recovery_codes(_me())
    audit.record(audit.RECOVERY_CODES_REGENERATED)
    return _codes_page(codes, first_time=False)


@bp.route("/two-factor/off", methods=["POST"])
@login_required
def turn_off_two_factor():
    if not policy.can_turn_off_two_factor(current_user):
        return redirect(url_for(".two_factor"), 303)
    form = CodeForm(prefix=TURN_OFF)
    if not _code_checked(form):
        return _manage_page(422, off_form=form)
    user = _me()
    two_factor.turn_off(user)
    sessions.start(user)  # no longer verified: the session may only log from now on
    audit.record(audit.TWO_FACTOR_TURNED_OFF, user=user)
    flash("Two-factor sign-in is off. You can still log concerns; to read entries, turn it on again.", "info")
    return redirect(url_for(".two_factor"), 303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        user.set_password(form.password.data)
        ended = sessions.end_all(user.id, sessions.PASSWORD_CHANGED, keep=sessions.current_row())
        audit.record(audit.PASSWORD_CHANGED, other_sessions_ended=ended)
        flash("Your password has been changed. Any other device signed in as you has been signed out.", "success")
        return redirect(url_for("main.home"), 303)
    return render("account/password.html", form=form, status_code=422 if form.is_submitted() else 200)
