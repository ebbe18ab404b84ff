from __future__ import annotations

import re

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import policy
from ..redaction import redact
from ..extensions import db
from ..models import Entry
from .index import (
    POSTGRESQL_ALL_MATCHES,
    POSTGRESQL_RECENT_MATCHES,
    SQLITE_NEWEST_MATCHES,
    WINDOW,
    fts_match,
    tsquery,
)

PER_PAGE = 20
MAX_PAGE = 100
EXCERPT = 90  # characters either side of the first match


def search(user, school_ids, words: list[str], page: int) -> tuple[list[Entry], bool]:
    """One page of the entries matching every word, newest first; and whether more follow."""
    query = (
        select(Entry)
        .where(Entry.school_id.in_(school_ids), policy.visible_entries(user))
        .options(selectinload(Entry.follow_ups))
    )
    wanted = newest_matches(words, school_ids, page * PER_PAGE + 1)
    ids = wanted[(page - 1) * PER_PAGE :]
    found = {e.id: e for e in db.session.scalars(query.where(Entry.id.in_(ids))).unique()}
    rows = [found[i] for i in ids if i in found]
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def newest_matches(words: list[str], school_ids, wanted: int, window: int = WINDOW) -> list[int]:
    """Up to `wanted` ids of matching entries of these schools, the most recently
    written first (an entry, or a follow-up on it).

    A common word costs no more than a rare one: SQLite's FTS5 reads its index newest
    row first and stops as soon as it has enough; PostgreSQL: see search.index."""
    if db.engine.dialect.name == "sqlite":
        return matches(SQLITE_NEWEST_MATCHES, fts_match(words), school_ids, wanted)
    recent = matches(POSTGRESQL_RECENT_MATCHES, tsquery(words), school_ids, wanted, window=window)
    if len(recent) == wanted:
        return recent
    return matches(POSTGRESQL_ALL_MATCHES, tsquery(words), school_ids, wanted)


def matches(statement, match: str, school_ids, wanted: int, **more) -> list[int]:
    return list(db.session.scalars(statement, {"match": match, "schools": list(school_ids), "limit": wanted, **more}))


def excerpt(entry: Entry, words: list[str]) -> tuple[str, Markup]:
    """Where the words were found, and the text around the first of them, marked."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    places = [("Narrative", redact(entry.narrative, entry)), ("The child's words", redact(entry.child_words, entry))]
    places += [
        (f.label, redact(" ".join(filter(None, [f.text, f.reason, f.agency_name])), entry)) for f in entry.follow_ups
    ]
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
    narrative = redact(entry.narrative, entry)
    return "Narrative", escape(narrative[: 2 * EXCERPT]) + (" …" if len(narrative) > 2 * EXCERPT else "")
