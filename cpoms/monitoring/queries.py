"""A pupil's monitoring periods, and the monitored pupils of schools: one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from .. import policy
from ..common import uk_today
from ..extensions import db
from ..models import Pupil
from . import policy as monitoring_policy
from .models import MonitoringEvent, MonitoringState

LIST_SHOWN = 200


@dataclass
class Period:
    """One time on the monitoring list: its start, reviews, and end (None while it lasts)."""

    started: MonitoringEvent
    reviews: list[MonitoringEvent] = field(default_factory=list)
    ended: MonitoringEvent | None = None

    @property
    def review_on(self) -> date:
        return (self.reviews[-1] if self.reviews else self.started).review_on

    @property
    def review_overdue(self) -> bool:
        return self.ended is None and self.review_on < uk_today()


def periods_of(pupil_id: int, user) -> list[Period]:
    """What this reader may see of them (policy.visible_monitoring), oldest first; events
    are added in order, so their ids order them."""
    periods: list[Period] = []
    events = db.session.scalars(
        select(MonitoringEvent)
        .where(MonitoringEvent.pupil_id == pupil_id, monitoring_policy.visible_monitoring(user))
        .order_by(MonitoringEvent.id)
    )
    for event in events:
        if event.kind == MonitoringEvent.STARTED:
            periods.append(Period(started=event))
        elif periods and event.kind == MonitoringEvent.REVIEWED:
            periods[-1].reviews.append(event)
        elif periods and event.kind == MonitoringEvent.ENDED:
            periods[-1].ended = event
    return periods


def monitored(user, school_ids, only=None) -> list[MonitoringState]:
    """Pupils of these schools on the monitoring list, the review due soonest first (at most
    LIST_SHOWN), but those whose record this user is excluded from. The pupil's school now,
    not the state's: a pupil who moved on with their monitoring still on is the new school's
    to review, and no longer the old one's. `only`: a SELECT of the pupil ids to keep (the
    review page's key information filter)."""
    if not school_ids:
        return []
    narrowed = () if only is None else (MonitoringState.pupil_id.in_(only),)
    return list(
        db.session.scalars(
            select(MonitoringState)
            .join(Pupil, Pupil.id == MonitoringState.pupil_id)
            .where(
                Pupil.school_id.in_(school_ids),
                MonitoringState.active.is_(True),
                policy.open_pupils(user, MonitoringState.pupil_id),
                *narrowed,
            )
            .order_by(MonitoringState.review_on, MonitoringState.pupil_id)
            .limit(LIST_SHOWN)
        )
    )
