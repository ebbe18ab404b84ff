from __future__ import annotations

import re

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..models import Entry
from .index import matching_entry_ids

PER_PAGE = 20
MAX_PAGE = 100
EXCERPT = 90  # characters either side of the first match


def search(user, school_ids, words: list[str], page: int) -> tuple[list[Entry], bool]:
    """One page of the entries matching every word, newest first; and whether more follow."""
    ids = matching_entry_ids(words, db.engine.dialect.name)
    query = (
        select(Entry)
        .where(Entry.id.in_(ids), Entry.school_id.in_(school_ids), policy.visible_entries(user))
        .options(selectinload(Entry.follow_ups))
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    rows = list(db.session.scalars(query).unique())
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def excerpt(entry: Entry, words: list[str]) -> tuple[str, Markup]:
    """Where the words were found, and the text around the first of them, marked."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    places = [("Narrative", entry.narrative), ("The child's words", entry.child_words or "")]
    places += [(f.label, " ".join(filter(None, [f.text, f.reason, f.agency_name]))) for f in entry.follow_ups]
    for where, body in places:
        found = pattern.search(body)
        if found:
            start, end = max(0, found.start() - EXCERPT), min(len(body), found.end() + EXCERPT)
            piece = body[start:end]
            marked = Markup("").join(
                Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part)
                for i, part in enumerate(re.split(f"({pattern.pattern})", piece, flags=re.IGNORECASE))
            )
            return where, Markup("{}{}{}").format("… " if start else "", marked, " …" if end < len(body) else "")
    # Matched by stem only (e.g. "hitting" for "hit"): show the narrative's start.
    return "Narrative", escape(entry.narrative[: 2 * EXCERPT]) + (" …" if len(entry.narrative) > 2 * EXCERPT else "")
