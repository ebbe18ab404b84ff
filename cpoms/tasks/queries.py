"""Tasks as lists and counts: each one query, whatever the number of tasks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import policy
from ..extensions import db
from ..models import Entry
from .models import Task, TaskCompletion

MY_TASKS_SHOWN = 50


def _open_tasks(*where) -> list[Task]:
    """Open tasks matching `where`, soonest due first, each with its entry and follow-up."""
    return list(
        db.session.scalars(
            select(Task)
            .outerjoin(TaskCompletion, TaskCompletion.task_id == Task.id)
            .options(contains_eager(Task.completion), joinedload(Task.entry), joinedload(Task.follow_up))
            .where(TaskCompletion.id.is_(None), *where)
            .order_by(Task.due_on, Task.id)
            .limit(MY_TASKS_SHOWN)
        ).unique()
    )


def my_open_tasks(user, school_ids) -> list[Task]:
    """Open tasks given to this person at these schools, soonest due first: none on an
    entry about a pupil whose record they are excluded from."""
    if not school_ids:
        return []
    return _open_tasks(
        Task.assignee_id == user.id, Task.school_id.in_(school_ids), policy.open_entries(user, Task.entry_id)
    )


def overdue_tasks(user, school_ids, today: date) -> list[Task]:
    """Open tasks past their due day at these schools, the longest overdue first (at most
    MY_TASKS_SHOWN), that this user may read."""
    if not school_ids:
        return []
    return _open_tasks(Task.school_id.in_(school_ids), Task.due_on < today, policy.open_entries(user, Task.entry_id))


def counts_by_school(school_ids, today: date, category_id: int | None = None) -> dict[int, tuple[int, int]]:
    """(open, overdue) tasks per school, in one aggregate query over the tasks table
    (its (school_id, due_on) index), joining entries only to filter by category."""
    if not school_ids:
        return {}
    query = (
        select(Task.school_id, func.count(Task.id), func.sum(case((Task.due_on < today, 1), else_=0)))
        .outerjoin(TaskCompletion, TaskCompletion.task_id == Task.id)
        .where(Task.school_id.in_(school_ids), TaskCompletion.id.is_(None))
        .group_by(Task.school_id)
    )
    if category_id:
        query = query.join(Entry, Entry.id == Task.entry_id).where(Entry.category_id == category_id)
    return {school: (n, int(overdue or 0)) for school, n, overdue in db.session.execute(query)}
