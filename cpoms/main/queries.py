"""What the home page gathers for a person: their latest entries, what colleagues
alerted them to, their tasks, and for the team and admins how the alerts are going."""

from __future__ import annotations

from sqlalchemy import select

from .. import alerts, policy
from ..extensions import db
from ..log.queries import shared_with
from ..models import Entry
from ..review.queries import unreviewed_count
from ..tasks import policy as tasks_policy
from ..tasks.queries import my_open_tasks


def _latest(user, limit: int, recorded_by_them: bool = False) -> list[Entry]:
    query = select(Entry).where(policy.visible_entries(user))
    if recorded_by_them:
        query = query.where(Entry.recorded_by_id == user.id)
    return list(db.session.scalars(query.order_by(Entry.created_at.desc(), Entry.id.desc()).limit(limit)))


def home_page(user) -> dict:
    recent = _latest(user, 10, recorded_by_them=True)
    review_schools = policy.review_school_ids(user)
    # Governors and trust representatives log nothing and have no queue: they
    # start from the latest entries of their schools (read-only, by initials).
    latest = []
    if not recent and not review_schools and policy.reads_whole_school(user):
        latest = _latest(user, 25)
    mail_schools = policy.alert_retry_school_ids(user)
    return {
        "recent": recent,
        "latest": latest,
        "waiting": unreviewed_count(review_schools),
        "undelivered": alerts.undelivered_count(review_schools),
        "failed": alerts.failed_count(mail_schools),
        "mail_health": alerts.mail_health(mail_schools) if mail_schools else None,
        "shared": shared_with(user),
        "my_tasks": my_open_tasks(user, tasks_policy.task_school_ids(user)),
    }
