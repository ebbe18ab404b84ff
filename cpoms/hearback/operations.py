"""Telling the recorder: an email when the team has reviewed their entry, and the team's
messages. Each function flushes, audits and queues its email in the outbox (sent once the
request has committed); the emails (below) carry no text of the record and no names."""

from __future__ import annotations

from .. import alerts, audit
from ..extensions import db
from ..models import Alert, Entry, User
from ..policy import RECORDED_STATE, holders
from ..timefmt import uk_date
from .models import RecorderMessage

REVIEWED = "recorder_reviewed"
MESSAGE = "recorder_message"
MAX_MESSAGE = 500


def _recorder(entry: Entry) -> list[User]:
    """The recorder, while they are still told at the entry's school and not excluded from
    its pupils' records: else nobody."""
    pupils = [link.pupil_id for link in entry.entry_pupils]
    return list(
        db.session.scalars(holders(RECORDED_STATE, [entry.school_id], pupils).where(User.id == entry.recorded_by_id))
    )


def tell_recorder_reviewed(entry: Entry, reviewer: User) -> None:
    """The first review of an entry: its recorder is emailed (not when they reviewed it themselves)."""
    if entry.recorded_by_id == reviewer.id:
        return
    queued = alerts.queue_about_entry(entry, _recorder(entry), REVIEWED)
    if queued:
        audit.record(audit.TOLD_RECORDER_REVIEWED, entry=entry, user=reviewer, alert=next(iter(queued.values())))


def message_recorder(author: User, entry: Entry, text: str) -> RecorderMessage:
    """Record the team's message on the entry and email the recorder that there is one
    (policy.message_recorder_refusal has said they can still read it)."""
    message = RecorderMessage(
        entry_id=entry.id,
        school_id=entry.school_id,
        author_id=author.id,
        recipient_id=entry.recorded_by_id,
        text=text.strip(),
    )
    db.session.add(message)
    db.session.flush()
    queued = alerts.queue_about_entry(entry, _recorder(entry), MESSAGE)
    # The text stays out of the audit log, as every record's text does.
    audit.record(
        audit.MESSAGE_RECORDER, entry=entry, user=author, message=message.id, alert=next(iter(queued.values()), None)
    )
    return message


# --- the emails: what the recorder logged, when, about whose initials; a link to sign in


def recorder_context(alert: Alert) -> dict:
    entry = alert.entry
    return {
        "entry": entry,
        "logged_on": uk_date(entry.created_at),
        "category_name": entry.category_name,
        "initials": ", ".join(p.initials for p in entry.pupils),
        "school": entry.school.name,
        "link": alerts.link(alert, "hearback.logged"),
        "message": alert.reason == MESSAGE,
    }


EMAILS = (alerts.Email(REVIEWED, "recorder", recorder_context), alerts.Email(MESSAGE, "recorder", recorder_context))
