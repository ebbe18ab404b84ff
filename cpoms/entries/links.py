"""Linked entries: the safeguarding team links related entries of one school,
with the reason. A link is stored once and shown on both entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import current_user
from sqlalchemy import case, or_, select

from .. import audit, policy, redaction
from ..extensions import db
from ..formfields import choices
from ..loaders import entry_to_link
from ..models import Entry, EntryPupil, User
from ..timefmt import now_utc, uk_date
from . import policy as entries_policy
from .forms import LinkForm
from .models import EntryLink

CANDIDATES = 20  # the pupils' most recent other entries offered to pick from


class CannotLink(Exception):
    """A link that makes no sense or is not allowed; the message says why."""


@dataclass
class Link:
    other: Entry
    reason: str
    linked_by: User
    linked_at: datetime


def links_of(entry: Entry) -> list[Link]:
    """Both directions, only to entries this user may read: one query. Links join entries
    of one school (see `link`), so only that school's entries are asked for."""
    other_id = case((EntryLink.entry_id == entry.id, EntryLink.other_entry_id), else_=EntryLink.entry_id)
    rows = db.session.execute(
        select(EntryLink, Entry)
        .join(Entry, Entry.id == other_id)
        .where(
            or_(EntryLink.entry_id == entry.id, EntryLink.other_entry_id == entry.id),
            Entry.school_id == entry.school_id,
            policy.visible_entries_of_school(current_user, entry.school_id),
        )
        .order_by(EntryLink.linked_at, EntryLink.id)
    ).unique()
    return [Link(other, link.reason, link.linked_by, link.linked_at) for link, other in rows]


def _linked_ids(entry: Entry) -> set[int]:
    rows = db.session.execute(
        select(EntryLink.entry_id, EntryLink.other_entry_id).where(
            or_(EntryLink.entry_id == entry.id, EntryLink.other_entry_id == entry.id)
        )
    )
    return {i for pair in rows for i in pair} - {entry.id}


def link(user: User, entry: Entry, other_id: int, reason: str) -> EntryLink:
    other = entry_to_link(other_id)
    if other is None:
        # Asked for by number: a record this user may not see is refused as a missing one.
        raise CannotLink("There is no entry with that number that you can read.")
    if other.id == entry.id:
        raise CannotLink("An entry cannot be linked to itself: choose another entry.")
    if not entries_policy.can_link_to(user, entry, other):
        raise CannotLink(f"Entry {other.id} belongs to another school: only entries of the same school can be linked.")
    if other.id in _linked_ids(entry):
        raise CannotLink(f"This entry is already linked to entry {other.id}.")
    low, high = sorted((entry.id, other.id))
    row = EntryLink(entry_id=low, other_entry_id=high, linked_by=user, linked_at=now_utc(), reason=reason.strip())
    db.session.add(row)
    db.session.flush()
    audit.record(audit.LINK_ENTRIES, entry=entry, user=user, other_entry=other.id, link=row.id)
    return row


def candidates(entry: Entry, exclude: set[int]) -> list[Entry]:
    """The same pupils' other entries this user may read, most recent first."""
    shared = select(EntryPupil.entry_id).where(EntryPupil.pupil_id.in_([p.id for p in entry.pupils]))
    rows = db.session.scalars(
        select(Entry)
        .where(
            Entry.id.in_(shared),
            Entry.id != entry.id,
            Entry.school_id == entry.school_id,
            policy.visible_entries(current_user),
        )
        .order_by(Entry.occurred_at.desc(), Entry.id.desc())
        .limit(CANDIDATES)
    ).unique()
    return [e for e in rows if e.id not in exclude]


def _label(entry: Entry) -> str:
    pupils = ", ".join(redaction.name(p, entry) for p in entry.pupils)
    return f"Entry {entry.id}: {uk_date(entry.occurred_at)}, {entry.category.name}, {pupils}"


def form_for(entry: Entry, links: list[Link], posted: bool = False, choosing: bool = False) -> LinkForm | None:
    """The link form; the list to choose from only when asked for (or posted), so the entry
    page reads the same rows for a pupil with ten entries as for one with thousands."""
    if not entries_policy.can_link_entries(current_user, entry):
        return None
    form = LinkForm() if posted else LinkForm(formdata=None)
    form.choosing, form.asked = posted or choosing, choosing and not posted
    offered = candidates(entry, {l.other.id for l in links}) if form.choosing else []
    form.other.choices = choices(
        [
            ("", "Choose an entry" if offered else "No other entries about these pupils to link"),
            *((str(e.id), _label(e)) for e in offered),
        ]
    )
    return form
