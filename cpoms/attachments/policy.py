"""Who may add and open the files attached to an entry."""

from __future__ import annotations

from ..extensions import db
from ..models import Entry
from ..policy import access, can_view_entry, follow_up_kinds


def can_add_attachment(user, entry: Entry) -> bool:
    """Whoever may add a follow-up to an entry may attach files to it."""
    return bool(follow_up_kinds(user, entry))


def can_open_attachments(user, school_id: int) -> bool:
    """Governors and trust representatives see pupils by initials only; a photo, a letter
    or even a file's name may well show the child's full name, so they see only how many
    files an entry has (unless they also work at the school)."""
    a = access(user)
    return school_id in a.full_names or school_id not in a.oversee


def can_read_attachment(user, entry: Entry) -> bool:
    """An attachment is part of its entry: whoever may read the entry with pupils' full
    names may read it."""
    return can_open_attachments(user, entry.school_id) and can_view_entry(user, entry)


def can_open_attachment(user, attachment) -> bool:
    entry = db.session.get(Entry, attachment.entry_id)
    return entry is not None and can_read_attachment(user, entry)
