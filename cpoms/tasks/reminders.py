"""`flask send-reminders`: an email to the person a task was given to, the day
before it is due and each day it is overdue; never twice for a task on one day.

Reminders go through the alert outbox (cpoms/alerts.py), so they are retried
like alerts. A TaskReminder row per task and UK day, unique, makes a second run
on the same day queue nothing, even when two runs race."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from .. import alerts, audit
from ..common import due_words
from ..extensions import db
from ..models import Alert, User
from ..policy import ASSIGNABLE, holds
from .models import Task, TaskCompletion, TaskReminder

TASK_REMINDER = "task_reminder"


def due_for_reminder(today: date):
    """Open tasks due by tomorrow, not yet reminded of today, whose person still works at the school."""
    return (
        select(Task)
        .join(User, User.id == Task.assignee_id)
        .where(
            Task.due_on <= today + timedelta(days=1),
            User.active.is_(True),
            ~exists().where(TaskCompletion.task_id == Task.id),
            ~exists().where(TaskReminder.task_id == Task.id, TaskReminder.sent_on == today),
            holds(ASSIGNABLE, Task.assignee_id, Task.school_id, about_entry=Task.entry_id),
        )
        .order_by(Task.id)
    )


def queue_reminders(today: date) -> list[int]:
    """Queue today's reminders and commit; the ids of the alerts queued."""
    queued = []
    for task in db.session.scalars(due_for_reminder(today)):
        alert = Alert(
            entry_id=task.entry_id,
            school_id=task.school_id,
            recipient_id=task.assignee_id,
            email=task.assignee.email,
            reason=TASK_REMINDER,
        )
        db.session.add(alert)
        db.session.flush()
        db.session.add(TaskReminder(task_id=task.id, sent_on=today, alert_id=alert.id))
        queued.append(alert.id)
    if queued:
        audit.record(audit.QUEUE_TASK_REMINDERS, alerts=len(queued), day=today.isoformat())
    try:
        db.session.commit()
    except IntegrityError:
        # Another run queued today's reminders first: theirs stand, these go.
        db.session.rollback()
        return []
    return queued


def reminder_context(alert: Alert) -> dict:
    """Which task, when due, where: no narrative and no task text, initials only."""
    task = db.session.scalar(
        select(Task).join(TaskReminder, TaskReminder.task_id == Task.id).where(TaskReminder.alert_id == alert.id)
    )
    entry = task.entry
    return {
        "task": task,
        "entry": entry,
        "recipient": alert.recipient,
        "initials": ", ".join(p.initials for p in entry.pupils),
        "when": due_words(task.due_on),
        "link": alerts.link(alert, "entries.show", entry_id=entry.id),
    }


EMAILS = (alerts.Email(TASK_REMINDER, "task_reminder", reminder_context),)
