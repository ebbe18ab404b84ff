"""How pupils are named to the reader: in headers, and inside the free text of
entries, follow-ups, amendments, monitoring and exports.

policy.pupil_naming decides, for one reader, whether a pupil appears by full name,
by initials or as "another pupil". name() applies that decision to a header;
redact() applies it to every pupil name written in a piece of text. Pages,
htmx partials, exports and emails all go through these two functions (templates
through the `pupil_name`/`pupil_on_entry` globals and the `redact` filter).

A reader who sees full names at the school that wrote the text gets it as written,
without a query. For anyone else the names of every pupil of that school's trust
(not only the pupils linked to the entry: a narrative names siblings, friends and
the child who hit them) are loaded with one query and compiled into one pattern,
kept on flask.g for the rest of the request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g
from flask_login import current_user
from sqlalchemy import or_, select

from . import policy
from .extensions import db
from .models import Entry, Pupil, School

ANOTHER_PUPIL = policy.ANOTHER_PUPIL
# Apostrophes as typed on phones and in word processors: O'Brien and O’Brien are one name.
APOSTROPHES = "'\u2019\u2018"


def name(pupil, entry: Entry | None = None) -> str:
    """This pupil as the reader may see them: on an entry, or (without one) on their own records."""
    naming = policy.pupil_naming(current_user, pupil, entry)
    if naming == policy.FULL_NAME:
        return pupil.full_name
    return pupil.initials if naming == policy.INITIALS else ANOTHER_PUPIL


def pupil_class(pupil) -> str:
    """The pupil's class, for readers who see them by full name; nobody else sees it."""
    return pupil.class_name if policy.pupil_naming(current_user, pupil) == policy.FULL_NAME else ""


@dataclass(frozen=True)
class _Named:
    """What naming a pupil needs, without loading the whole row of every pupil of a trust."""

    id: int
    school_id: int
    first_name: str
    last_name: str
    preferred_name: str | None

    full_name = Pupil.full_name
    initials = Pupil.initials


@dataclass
class _Names:
    pattern: re.Pattern | None
    pupils: dict[str, list[_Named]]


def _key(words: str) -> str:
    return " ".join(re.sub(f"[{APOSTROPHES}]", "'", words).casefold().split())


def _variants(pupil) -> set[str]:
    names = {pupil.first_name, pupil.last_name, pupil.preferred_name or "", pupil.full_name,
             f"{pupil.first_name} {pupil.last_name}"}
    return {n.strip() for n in names if n and n.strip()}


def _regex_for(words: str) -> str:
    parts = []
    for char in words:
        if char.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif char in APOSTROPHES:
            parts.append(f"[{APOSTROPHES}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _compile(pupils: list[_Named]) -> _Names:
    by_name: dict[str, list[_Named]] = {}
    spelled: dict[str, str] = {}
    for pupil in pupils:
        for variant in _variants(pupil):
            key = _key(variant)
            by_name.setdefault(key, []).append(pupil)
            spelled.setdefault(key, variant)
    if not by_name:
        return _Names(None, {})
    # Longest first: the regex takes the first alternative that matches, so "Amelia Hassan"
    # goes as one name rather than as "Amelia" followed by "Hassan".
    alternatives = sorted((_regex_for(spelled[k]) for k in by_name), key=len, reverse=True)
    # Whole words, any case. A pupil called Will, May or Rose makes "will", "may" and
    # "rose" vanish from the text too: a word wrongly hidden costs the reader a moment,
    # while a name missed (a lower-case "poppy" typed in a hurry) tells a governor or
    # another school who the child is. The lookarounds rather than \b keep a name that
    # starts or ends with an apostrophe or hyphen whole.
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    return _Names(pattern, by_name)


def _names_near(school_id: int) -> _Names:
    """Every pupil of this school's trust (or of the school alone, outside a trust): one query,
    kept for the request and shared by the other schools of the same trust."""
    cache = g.setdefault("_redaction_names", {})
    if school_id not in cache:
        trust_of = select(School.trust_id).where(School.id == school_id).scalar_subquery()
        rows = db.session.execute(
            select(Pupil.id, Pupil.school_id, Pupil.first_name, Pupil.last_name, Pupil.preferred_name)
            .join(School, School.id == Pupil.school_id)
            .where(or_(Pupil.school_id == school_id, School.trust_id == trust_of))
        ).all()
        pupils = [_Named(*row) for row in rows]
        names = _compile(pupils)
        for sid in {p.school_id for p in pupils} | {school_id}:
            cache.setdefault(sid, names)
    return cache[school_id]


def redact(text: str | None, entry: Entry | None = None, *, school_id: int | None = None,
           about: Pupil | None = None) -> str:
    """The text with every pupil's name as this reader may see it.

    entry: the entry the text belongs to (its narrative, a follow-up, an amendment...);
    without one, school_id says which school wrote it (monitoring notes).
    about: the text goes out in one child's file (an export): every other pupil is
    "another pupil", whoever reads it.
    """
    if not text:
        return ""
    written_at = entry.school_id if entry is not None else school_id
    if written_at is None:
        raise ValueError("redact() needs the entry or the school the text belongs to")
    if about is None and policy.shows_full_names(current_user, written_at):
        return text
    names = _names_near(written_at)
    if names.pattern is None:
        return text

    def instead(match: re.Match) -> str:
        return _replacement(names.pupils[_key(match.group(0))], entry, about)

    return names.pattern.sub(instead, text)


def _replacement(candidates: list[_Named], entry: Entry | None, about: Pupil | None) -> str:
    if about is not None:
        if any(p.id == about.id for p in candidates):
            return name(about, entry)
        return ANOTHER_PUPIL
    if len(candidates) > 1 and entry is not None:
        # Two pupils share a first name: the text most likely means the one it is about.
        linked = {p.id for p in entry.pupils}
        candidates = [p for p in candidates if p.id in linked] or candidates
    shown = {name(p, entry) for p in candidates}
    # Still two ways to name it: say neither child's initials.
    return shown.pop() if len(shown) == 1 else ANOTHER_PUPIL
