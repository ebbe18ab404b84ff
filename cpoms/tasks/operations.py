"""Giving a task and completing it: rows added, audited, flushed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import FollowUp, User
from ..timefmt import now_utc
from .models import Task, TaskCompletion


def give_task(author: User, follow_up: FollowUp, assignee_id: int, due_on: date) -> Task:
    entry = follow_up.entry
    task = Task(
        follow_up_id=follow_up.id,
        entry_id=entry.id,
        school_id=entry.school_id,
        assignee_id=assignee_id,
        due_on=due_on,
        created_at=follow_up.created_at,
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        audit.GIVE_TASK, entry=entry, user=author, task=task.id, assignee=assignee_id, due_on=due_on.isoformat()
    )
    return task


def complete(user: User, task: Task) -> bool:
    """Marks the task done, once: a second completion (another tab, a double click)
    adds nothing. Returns whether this call completed it."""
    if (
        task.completion is not None
        or db.session.scalar(select(TaskCompletion.id).where(TaskCompletion.task_id == task.id)) is not None
    ):
        return False
    db.session.add(TaskCompletion(task_id=task.id, completed_by_id=user.id, completed_at=now_utc()))
    db.session.flush()
    db.session.expire(task, ["completion"])
    audit.record(audit.COMPLETE_TASK, entry_id=task.entry_id, school_id=task.school_id, user=user, task=task.id)
    return True
