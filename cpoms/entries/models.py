"""Concerns that evolve: categories added later, amendments, linked entries, and the
name a category had when an entry was recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..models import Category, Entry, EntryState, User, UTCDateTime, utcnow


class EntryCategory(db.Model):
    """A category the safeguarding team added after the entry was saved ("now also:
    safeguarding"). The entry's own category stays what it was recorded as."""

    __tablename__ = "entry_categories"
    __table_args__ = (UniqueConstraint("entry_id", "category_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="later_categories")
    category: Mapped[Category] = relationship(lazy="joined")
    added_by: Mapped[User] = relationship(lazy="joined")


class Amendment(db.Model):
    """A correction appended to an entry's narrative (no follow-up) or to one of its
    follow-ups. The original text is never changed: the amendment is shown beneath it."""

    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_entry", "entry_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_ups.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="amendments")
    author: Mapped[User] = relationship(lazy="joined")


class EntryLink(db.Model):
    """Two related entries, linked both ways. Stored once, lower id first, so the
    database itself refuses a self-link and the same pair linked twice."""

    __tablename__ = "entry_links"
    __table_args__ = (
        UniqueConstraint("entry_id", "other_entry_id"),
        CheckConstraint("entry_id < other_entry_id", name="lower_id_first"),
        Index("ix_entry_links_other", "other_entry_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    other_entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    linked_by: Mapped[User] = relationship(lazy="joined")


# Loaded only where asked for (selectinload), like follow-ups.
Entry.later_categories = relationship(
    EntryCategory, back_populates="entry", lazy="raise_on_sql", order_by=(EntryCategory.added_at, EntryCategory.id)
)
Entry.amendments = relationship(
    Amendment, back_populates="entry", lazy="raise_on_sql", order_by=(Amendment.created_at, Amendment.id)
)


def in_category(category_id: int):
    """A WHERE clause on Entry: recorded as this category, or given it later."""
    return or_(
        Entry.category_id == category_id,
        Entry.id.in_(select(EntryCategory.entry_id).where(EntryCategory.category_id == category_id)),
    )


def alerts_team(entry_id):
    """SQL, over a column (or value) of entry ids: the entry was recorded as, or later given,
    a category that alerts the safeguarding team now. The one definition of
    entry_states.alerts_team: each state is inserted with it, and categories.keep_alerts_team
    sets it anew from it wherever a later category or a category's alerting changes it."""
    alerting = select(Category.id).where(Category.alerts_safeguarding_team.is_(True))
    return or_(
        exists().where(Entry.id == entry_id, Entry.category_id.in_(alerting)),
        exists().where(EntryCategory.entry_id == entry_id, EntryCategory.category_id.in_(alerting)),
    )


@event.listens_for(EntryState, "before_insert")
def _alerts_team_as_inserted(mapper, connection, state: EntryState) -> None:
    # Part of the INSERT itself (the entry's row is flushed before its state's), so every
    # way of making a state, the log form's or a test's, holds the definition from its
    # first moment. Bulk inserts (bench/generate.py) bypass this and call keep_alerts_team.
    state.alerts_team = alerts_team(state.entry_id)


for _table in (EntryCategory.__table__, Amendment.__table__, EntryLink.__table__):
    append_only.protect_allowing_retention(_table)


class CategoryRename(db.Model):
    """A category's earlier name: an entry shows the name its category had when the
    entry was recorded (Entry.category_name), whatever the category is called now."""

    __tablename__ = "category_renames"
    __table_args__ = (Index("ix_category_renames_category", "category_id", "renamed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    old_name: Mapped[str] = mapped_column(String(80))
    new_name: Mapped[str] = mapped_column(String(80))
    renamed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    renamed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


# The name before the first rename after the entry was recorded; with none, the name now.
# A subquery in the entry's own SELECT: no extra query, however many entries a page lists.
Entry.category_name = column_property(
    func.coalesce(
        select(CategoryRename.old_name)
        .where(CategoryRename.category_id == Entry.category_id, CategoryRename.renamed_at > Entry.created_at)
        .order_by(CategoryRename.renamed_at, CategoryRename.id)
        .limit(1)
        .correlate_except(CategoryRename)
        .scalar_subquery(),
        select(Category.name).where(Category.id == Entry.category_id).correlate_except(Category).scalar_subquery(),
    )
)
