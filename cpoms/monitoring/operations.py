"""Starting, reviewing and ending a pupil's monitoring: an event added, the
pupil's state row moved on, audited, flushed."""

from __future__ import annotations

from datetime import date

from .. import audit
from ..extensions import db
from ..models import Pupil, User
from ..timefmt import now_utc
from .models import MonitoringEvent, MonitoringState


class WrongState(Exception):
    """Starting what is already on, or reviewing or ending what is not."""


def state_of(pupil: Pupil) -> MonitoringState | None:
    return db.session.get(MonitoringState, pupil.id)


def _event(user: User, pupil: Pupil, kind: str, text: str, **dates) -> MonitoringEvent:
    event = MonitoringEvent(
        pupil_id=pupil.id, school_id=pupil.school_id, kind=kind, by_id=user.id, at=now_utc(), text=text.strip(), **dates
    )
    db.session.add(event)
    return event


def start(user: User, pupil: Pupil, reason: str, starts_on: date, review_on: date) -> MonitoringEvent:
    state = state_of(pupil)
    if state is not None and state.active:
        raise WrongState("This pupil is already on the monitoring list.")
    event = _event(user, pupil, MonitoringEvent.STARTED, reason, starts_on=starts_on, review_on=review_on)
    if state is None:
        state = MonitoringState(pupil_id=pupil.id, school_id=pupil.school_id)
        db.session.add(state)
    state.active, state.started_on, state.review_on, state.reason = True, starts_on, review_on, reason.strip()
    state.updated_at = event.at
    db.session.flush()
    audit.record(audit.START_MONITORING, pupil=pupil, user=user, event=event.id, review_on=review_on.isoformat())
    return event


def _active_state(pupil: Pupil) -> MonitoringState:
    state = state_of(pupil)
    if state is None or not state.active:
        raise WrongState("This pupil is not on the monitoring list.")
    return state


def review(user: User, pupil: Pupil, note: str, review_on: date) -> MonitoringEvent:
    state = _active_state(pupil)
    event = _event(user, pupil, MonitoringEvent.REVIEWED, note, review_on=review_on)
    state.review_on, state.updated_at = review_on, event.at
    db.session.flush()
    audit.record(audit.REVIEW_MONITORING, pupil=pupil, user=user, event=event.id, review_on=review_on.isoformat())
    return event


def end(user: User, pupil: Pupil, reason: str) -> MonitoringEvent:
    state = _active_state(pupil)
    event = _event(user, pupil, MonitoringEvent.ENDED, reason)
    state.active, state.updated_at = False, event.at
    db.session.flush()
    audit.record(audit.END_MONITORING, pupil=pupil, user=user, event=event.id)
    return event
