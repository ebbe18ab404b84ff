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
the child who hit them) are loaded with one query and indexed by word, kept on
flask.g for the rest of the request.
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


# A name is matched word by word: the text's words (maximal runs of letters and digits)
# are looked up by their first word, so a trust of thousands of pupils costs a dictionary
# lookup per word of text rather than a regex of thousands of alternatives.
WORD = re.compile(r"\w+")


SPACES = re.compile(r"\s+")
TO_APOSTROPHE = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))


def _fold(between: str) -> str:
    """What lies between or around the words of a name, as compared: any run of spaces is
    one space, any apostrophe is ', and case does not count."""
    if not between or between == " ":  # most of what lies between words: nothing to fold
        return between
    return SPACES.sub(" ", between.translate(TO_APOSTROPHE)).casefold()


@dataclass(frozen=True)
class _Spelling:
    """One way a pupil is written: "Anne-Marie O'Brien" is the words anne, marie, o, brien
    with "-", " " and "'" between them."""

    key: str
    words: tuple[str, ...]
    between: tuple[str, ...]
    lead: str
    trail: str


def _spelling(name: str) -> _Spelling | None:
    words = tuple(w.casefold() for w in WORD.findall(name))
    if not words:
        return None
    lead, *between, trail = [_fold(part) for part in WORD.split(name)]
    return _Spelling(_fold(name), words, tuple(between), lead, trail)


@dataclass
class _Names:
    # By first word: the spellings that start with it, longest first, so "Amelia Hassan" goes
    # as one name rather than as "Amelia" followed by "Hassan".
    starting: dict[str, list[_Spelling]]
    pupils: dict[str, list[_Named]]


def _variants(pupil) -> set[str]:
    names = {
        pupil.first_name,
        pupil.last_name,
        pupil.preferred_name or "",
        pupil.full_name,
        f"{pupil.first_name} {pupil.last_name}",
    }
    return {n.strip() for n in names if n and n.strip()}


def _compile(pupils: list[_Named]) -> _Names:
    starting: dict[str, list[_Spelling]] = {}
    by_key: dict[str, list[_Named]] = {}
    for pupil in pupils:
        for variant in _variants(pupil):
            spelling = _spelling(variant)
            if spelling is None:
                continue
            if spelling.key not in by_key:
                starting.setdefault(spelling.words[0], []).append(spelling)
            by_key.setdefault(spelling.key, []).append(pupil)
    for spellings in starting.values():
        spellings.sort(key=lambda s: (len(s.words), len(s.key)), reverse=True)
    return _Names(starting, by_key)


def _match(text: str, words: list[re.Match], i: int, spelling: _Spelling) -> int | None:
    """Where the name ends if it is written at the i-th word of the text, else None. Words
    are whole by construction: a name never matches the start of a longer word."""
    n = len(spelling.words)
    if i + n > len(words):
        return None
    run = words[i : i + n]
    if any(m.group(0).casefold() != w for m, w in zip(run, spelling.words)):
        return None
    if any(_fold(text[a.end() : b.start()]) != sep for a, b, sep in zip(run, run[1:], spelling.between)):
        return None
    start, end = run[0].start(), run[-1].end()
    if spelling.lead and _fold(text[max(0, start - len(spelling.lead)) : start]) != spelling.lead:
        return None
    if spelling.trail:
        if _fold(text[end : end + len(spelling.trail)]) != spelling.trail:
            return None
        end += len(spelling.trail)
    return end


def _substitute(text: str, names: _Names, instead) -> str:
    """The text with each pupil name found replaced by instead(the pupils it may be, the name as written)."""
    words = list(WORD.finditer(text))
    out, done, i = [], 0, 0
    while i < len(words):
        found = None
        for spelling in names.starting.get(words[i].group(0).casefold(), ()):
            end = _match(text, words, i, spelling)
            if end is not None:
                found = spelling, end
                break
        start = words[i].start() - len(found[0].lead) if found else 0
        if found is None or start < done:
            i += 1
            continue
        spelling, end = found
        out += [text[done:start], instead(names.pupils[spelling.key], text[start:end])]
        done = end
        i += len(spelling.words)
        while i < len(words) and words[i].start() < end:
            i += 1
    out.append(text[done:])
    return "".join(out)


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


def redact(
    text: str | None, entry: Entry | None = None, *, school_id: int | None = None, about: Pupil | None = None
) -> str:
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
    # Whole words, any case. A pupil called Will, May or Rose makes "will", "may" and
    # "rose" vanish from the text too: a word wrongly hidden costs the reader a moment,
    # while a name missed (a lower-case "poppy" typed in a hurry) tells a governor or
    # another school who the child is.
    return _substitute(
        text, _names_near(written_at), lambda pupils, written: _replacement(pupils, entry, about, written)
    )


def name_for_recorder(pupil, entry: Entry) -> str:
    """A pupil where a recorder hears back about an entry: policy.recorded_state_naming."""
    return pupil.initials if policy.recorded_state_naming(pupil.id, entry) == policy.INITIALS else ANOTHER_PUPIL


def for_recorder(text: str | None, entry: Entry) -> str:
    """Text shown where a recorder hears back (the team's message on their "What I logged"
    page): every pupil name as policy.recorded_state_naming says, whoever reads it."""
    if not text:
        return ""

    def instead(candidates: list[_Named], written: str) -> str:
        shown = {name_for_recorder(p, entry) for p in candidates}
        return shown.pop() if len(shown) == 1 else ANOTHER_PUPIL

    return _substitute(text, _names_near(entry.school_id), instead)


def _replacement(candidates: list[_Named], entry: Entry | None, about: Pupil | None, written: str) -> str:
    if about is not None:
        candidates = [about] if any(p.id == about.id for p in candidates) else []
    elif len(candidates) > 1 and entry is not None:
        # Two pupils share a first name: the text most likely means the one it is about.
        linked = {link.pupil_id for link in entry.entry_pupils}
        candidates = [p for p in candidates if p.id in linked] or candidates
    if not candidates:
        return ANOTHER_PUPIL
    namings = {policy.pupil_naming(current_user, p, entry) for p in candidates}
    if namings == {policy.FULL_NAME}:
        return written  # as the author wrote it: "Amelia" stays "Amelia"
    shown = {name(p, entry) for p in candidates}
    # Still two ways to name it: say neither child's initials.
    return shown.pop() if len(shown) == 1 else ANOTHER_PUPIL
