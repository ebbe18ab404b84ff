"""Who sees and completes tasks given on an entry."""

from __future__ import annotations

from ..policy import access, can_view_entry


def task_school_ids(user) -> frozenset[int]:
    """Schools whose tasks a user sees on their home page: those they still log at
    (someone who has left keeps no tasks there)."""
    return access(user).read_own


def can_complete_task(user, task) -> bool:
    """The person the task was given to, while at that school; and the school's reviewers."""
    a = access(user)
    if task.school_id in a.review:
        return True
    return task.assignee_id == a.user_id and task.school_id in a.read_own


def can_view_task(user, task) -> bool:
    """A task is part of its entry: whoever reads the entry sees it (completing it is can_complete_task)."""
    return can_view_entry(user, task.entry)
