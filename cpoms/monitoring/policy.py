"""Who may see and manage the monitoring list."""

from __future__ import annotations

from sqlalchemy import and_, false, or_

from ..models import Pupil
from ..policy import access, open_pupils, reads_about_pupil, received_with_file
from .models import MonitoringEvent


def can_manage_monitoring(user, pupil: Pupil) -> bool:
    """Putting a pupil on the monitoring list, reviewing and ending it: the safeguarding team."""
    return pupil.school_id in access(user).team and reads_about_pupil(user, pupil)


def monitoring_list_school_ids(user) -> frozenset[int]:
    """The monitored pupils on the review page: whoever uses it (the team and SLT)."""
    return access(user).review


def visible_monitoring(user):
    """A WHERE clause on MonitoringEvent, as for entries: recorded by a school this
    user reads as a whole, or received with the pupil's file."""
    a = access(user)
    if a.user_id is None:
        return false()
    return and_(
        or_(
            MonitoringEvent.school_id.in_(a.read_all),
            received_with_file(a, MonitoringEvent.pupil_id, MonitoringEvent.at),
        ),
        open_pupils(user, MonitoringEvent.pupil_id),
    )
