"""What I logged: the recorder's list; the team's message to a recorder."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from .. import alerts, audit, policy, redaction, submissions
from ..entries.routes import entry_page
from ..formfields import page_number
from ..htmx import render
from ..loaders import entry_page_or_404, require, require_on
from . import operations, queries
from . import policy as hearback_policy
from .forms import MESSAGE_RULE, RecorderMessageForm

bp = Blueprint("hearback", __name__)


@bp.app_context_processor
def hear_back_pieces():
    """For the partials this area adds to the home and entry pages, which their own views
    do not know about: the home page's lines and the message form, built when shown."""
    return {
        "heard_lately": lambda: queries.heard_lately(current_user),
        "new_recorder_message_form": lambda: RecorderMessageForm(formdata=None),
        "recorder_message_rule": MESSAGE_RULE,
        "pupil_for_recorder": redaction.name_for_recorder,
        "for_recorder": redaction.for_recorder,
    }


@bp.route("/logged")
@login_required
def logged():
    require(policy.sees_what_they_recorded(current_user))
    page = page_number(10_000)
    rows, has_more = queries.logged_by(current_user, page)
    # Not a view of a record (no text, pupils by initials, to the person who wrote them):
    # kept so that what someone was shown, and when they saw a message, can be told.
    audit.record(
        audit.VIEW_LOGGED,
        page=page,
        entries=[row.entry.id for row in rows],
        messages=[m.id for row in rows for m in row.messages],
    )
    return render("hearback/logged.html", rows=rows, has_more=has_more, page=page)


@bp.route("/entries/<int:entry_id>/recorder-messages", methods=["POST"])
@login_required
@submissions.once()
def message_recorder(entry_id: int):
    entry = entry_page_or_404(entry_id)
    require_on(entry, hearback_policy.can_message_recorder(current_user, entry), "message_recorder")
    form = RecorderMessageForm()
    if form.validate_on_submit():
        refusal = hearback_policy.message_recorder_refusal(current_user, entry)
        if refusal is None:
            message = operations.message_recorder(current_user, entry, form.text.data)
            target = url_for("entries.show", entry_id=entry.id, _anchor="recorder-messages")
            submissions.claim(form.submission_key.data, message.id, target)
            emailed = (
                "is being emailed"
                if alerts.mail_configured()
                else "will be emailed once a mail server is set up (the email is queued)"
            )
            flash(
                f"Message saved. {entry.recorded_by.name} {emailed} that there is a message to read; "
                "the email does not contain it.",
                "success",
            )
            return redirect(target, 303)
        form.text.errors.append(refusal[0].upper() + refusal[1:] + ".")
    return entry_page(entry, status=422, recorder_message_form=form)
