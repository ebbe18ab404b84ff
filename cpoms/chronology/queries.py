"""What a pupil's chronology holds for one reader and one set of filters.

Both views page in the order things happened, oldest first. The grouped view
pages by entry (each with its follow-ups); the timeline pages over entries and
follow-ups together, so a follow-up months after its entry sits where it
happened. Each page costs the same few queries however long the chronology is:
the page's ids first (narrow columns), then the rows for those ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import policy
from ..entries.models import in_category
from ..extensions import db
from ..models import Entry, EntryPupil, EntryState, FollowUp, Kind, Pupil
from ..timefmt import from_uk_local
from .models import KeyEvent

PER_PAGE = 50
GROUPED, TIMELINE = "grouped", "timeline"
VIEWS = {GROUPED: "Entries with their follow-ups", TIMELINE: "Timeline"}
STATUSES = {"open": "Open", "closed": "Closed"}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The reader's choices; anything not among the choices is ignored."""

    view: str = GROUPED
    category_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    kind: str | None = None
    key_only: bool = False

    @classmethod
    def from_args(cls, args, category_ids) -> Filters:
        category_id = args.get("category", type=int)
        view = args.get("view")
        status = args.get("status")
        kind = args.get("kind")
        return cls(
            view=view if view in VIEWS else GROUPED,
            category_id=category_id if category_id in category_ids else None,
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            status=status if status in STATUSES else None,
            kind=kind if kind in Kind.LABELS else None,
            key_only=args.get("key") == "1",
        )

    @property
    def about_follow_ups(self) -> bool:
        """Filters that pick follow-ups: entries show only for what they hold."""
        return bool(self.kind or self.key_only)

    @property
    def any(self) -> bool:
        return bool(self.category_id or self.date_from or self.date_to or self.status or self.about_follow_ups)

    def args(self, **changes) -> dict:
        """The query string that asks for these filters again (for links)."""
        values = {
            "view": self.view if self.view != GROUPED else None,
            "category": self.category_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "status": self.status,
            "kind": self.kind,
            "key": "1" if self.key_only else None,
            **changes,
        }
        return {k: v for k, v in values.items() if v is not None}

    def between(self, column) -> list:
        where = []
        if self.date_from:
            where.append(column >= from_uk_local(datetime.combine(self.date_from, time())))
        if self.date_to and self.date_to < date.max:  # the last day a date can hold: no end
            where.append(column < from_uk_local(datetime.combine(self.date_to + timedelta(days=1), time())))
        return where


def _entries_of(user, pupil: Pupil, f: Filters, query):
    query = query.join(EntryPupil, EntryPupil.entry_id == Entry.id).where(
        EntryPupil.pupil_id == pupil.id, policy.pupil_entries(user, pupil)
    )
    if f.category_id:
        query = query.where(in_category(f.category_id))
    if f.status:
        query = query.join(EntryState, EntryState.entry_id == Entry.id).where(EntryState.status == f.status)
    return query


def _follow_up_filters(f: Filters) -> list:
    where = []
    if f.kind:
        where.append(FollowUp.kind == f.kind)
    if f.key_only:
        where.append(FollowUp.id.in_(select(KeyEvent.follow_up_id)))
    return where


def _entry_ids(user, pupil: Pupil, f: Filters):
    query = _entries_of(user, pupil, f, select(Entry.id.label("id"), Entry.occurred_at.label("at")))
    query = query.where(*f.between(Entry.occurred_at))
    if f.about_follow_ups:
        query = query.where(Entry.id.in_(select(FollowUp.entry_id).where(*_follow_up_filters(f))))
    return query


def _timeline_ids(user, pupil: Pupil, f: Filters):
    """Entries and follow-ups as (kind, id, when): one sortable list."""
    follow_ups = _entries_of(
        user,
        pupil,
        f,
        select(literal("follow_up").label("kind"), FollowUp.id.label("id"), FollowUp.occurred_at.label("at"))
        .select_from(FollowUp)
        .join(Entry, Entry.id == FollowUp.entry_id),
    ).where(*f.between(FollowUp.occurred_at), *_follow_up_filters(f))
    if f.about_follow_ups:
        return follow_ups
    entries = _entries_of(
        user, pupil, f, select(literal("entry").label("kind"), Entry.id.label("id"), Entry.occurred_at.label("at"))
    ).where(*f.between(Entry.occurred_at))
    return union_all(entries, follow_ups)


@dataclass
class Page:
    filters: Filters
    total: int
    page: int
    pages: int
    # Grouped: Entry rows. Timeline: ("entry", Entry) and ("follow_up", FollowUp) pairs.
    items: list = field(default_factory=list)
    key_ids: frozenset[int] = frozenset()

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PER_PAGE + 1


def _ordered(ids_query, f: Filters):
    sub = ids_query.subquery()
    order = [sub.c.at, sub.c.kind, sub.c.id] if f.view == TIMELINE else [sub.c.at, sub.c.id]
    columns = [sub.c.kind, sub.c.id] if f.view == TIMELINE else [sub.c.id]
    return sub, select(*columns).order_by(*order)


# What every entry shown carries along: its later categories and amendments (a query
# each), and its attachments and body-map marks (a few rows each, joined into the
# entries' own query).
EVOLVED = (selectinload(Entry.later_categories), selectinload(Entry.amendments))
ENTRY_PARTS = (joinedload(Entry.attachments), joinedload(Entry.body_marks))


def _load(rows, f: Filters) -> list:
    if f.view == GROUPED:
        ids = [r.id for r in rows]
        if not ids:
            return []
        by_id = {
            e.id: e
            for e in db.session.scalars(
                select(Entry).where(Entry.id.in_(ids)).options(selectinload(Entry.follow_ups), *EVOLVED, *ENTRY_PARTS)
            ).unique()
        }
        return [by_id[i] for i in ids]
    follow_up_ids = [r.id for r in rows if r.kind == "follow_up"]
    follow_ups = (
        {fu.id: fu for fu in db.session.scalars(select(FollowUp).where(FollowUp.id.in_(follow_up_ids))).unique()}
        if follow_up_ids
        else {}
    )
    # The page's entries and the entries of its follow-ups, in one query.
    entry_ids = {r.id for r in rows if r.kind == "entry"} | {fu.entry_id for fu in follow_ups.values()}
    entries = (
        {
            e.id: e
            for e in db.session.scalars(
                select(Entry).where(Entry.id.in_(entry_ids)).options(*EVOLVED, *ENTRY_PARTS)
            ).unique()
        }
        if entry_ids
        else {}
    )
    for fu in follow_ups.values():
        # Hand each follow-up its entry as loaded here: the session holds objects weakly, and
        # an entry shown only through its follow-ups would otherwise be loaded again, bare.
        set_committed_value(fu, "entry", entries[fu.entry_id])
    return [(r.kind, entries[r.id] if r.kind == "entry" else follow_ups[r.id]) for r in rows]


def _follow_up_ids(items, f: Filters) -> list[int]:
    if f.view == GROUPED:
        return [fu.id for entry in items for fu in entry.follow_ups]
    return [thing.id for kind, thing in items if kind == "follow_up"]


def _key_ids(items, f: Filters) -> frozenset[int]:
    ids = _follow_up_ids(items, f)
    if not ids:
        return frozenset()
    return frozenset(db.session.scalars(select(KeyEvent.follow_up_id).where(KeyEvent.follow_up_id.in_(ids))))


def _ids_query(user, pupil: Pupil, f: Filters):
    return _timeline_ids(user, pupil, f) if f.view == TIMELINE else _entry_ids(user, pupil, f)


def page_of(user, pupil: Pupil, f: Filters, page: int | None) -> Page:
    """One page; without a page asked for, the latest (what happened most recently)."""
    sub, ordered = _ordered(_ids_query(user, pupil, f), f)
    total = db.session.scalar(select(func.count()).select_from(sub)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page or pages), pages)
    rows = list(db.session.execute(ordered.offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    items = _load(rows, f)
    return Page(filters=f, total=total, page=page, pages=pages, items=items, key_ids=_key_ids(items, f))


def everything(user, pupil: Pupil, f: Filters) -> Page:
    """The whole chronology under these filters, for an export."""
    _, ordered = _ordered(_ids_query(user, pupil, f), f)
    items = _load(list(db.session.execute(ordered)), f)
    return Page(filters=f, total=len(items), page=1, pages=1, items=items, key_ids=_key_ids(items, f))


def shown_follow_ups(entry: Entry, f: Filters, key_ids) -> list[FollowUp]:
    """An entry's follow-ups in the grouped view, narrowed by the follow-up filters."""
    return [fu for fu in entry.follow_ups if (not f.kind or fu.kind == f.kind) and (not f.key_only or fu.id in key_ids)]
