"""Tasks a follow-up gives to a member of staff, their completions and reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..common import due_words, uk_today
from ..extensions import db
from ..models import Entry, FollowUp, User, UTCDateTime, utcnow


class Task(db.Model):
    """An action a follow-up (Kind.TASK) gives to a member of staff, due on a day.
    Append-only: it is done when a TaskCompletion row names it."""

    __tablename__ = "tasks"
    __table_args__ = (
        # The reports' overdue count per school, and "my tasks" by due date.
        Index("ix_tasks_school_due", "school_id", "due_on"),
        Index("ix_tasks_assignee_due", "assignee_id", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    # The entry's school, copied (it never changes) so counts per school read this table alone.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assignee: Mapped[User] = relationship(lazy="joined", foreign_keys=[assignee_id])
    completion: Mapped[Optional[TaskCompletion]] = relationship(lazy="joined", uselist=False)
    entry: Mapped[Entry] = relationship()
    follow_up: Mapped[FollowUp] = relationship(foreign_keys=[follow_up_id])

    @property
    def overdue(self) -> bool:
        return self.completion is None and self.due_on < uk_today()

    @property
    def due_words(self) -> str:
        return due_words(self.due_on)


class TaskCompletion(db.Model):
    __tablename__ = "task_completions"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    completed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_by: Mapped[User] = relationship(lazy="joined")


class TaskReminder(db.Model):
    """A reminder queued in the outbox: at most one per task per (UK) day."""

    __tablename__ = "task_reminders"
    __table_args__ = (UniqueConstraint("task_id", "sent_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)


# A follow-up's task comes with it (joined): lists of follow-ups cost no extra query.
FollowUp.task = relationship(Task, lazy="joined", uselist=False, viewonly=True)

for _table in (Task.__table__, TaskCompletion.__table__, TaskReminder.__table__):
    append_only.protect_allowing_retention(_table)
