"""Pupils from the MIS: what a file would change (the preview) and making that change.

A row's outcome is decided against the school's pupils as they are when asked, so
the preview and the confirmation agree unless someone changed the pupils between
them, and importing the same file twice changes nothing the second time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select, update

from .. import audit
from ..common import uk_today
from ..extensions import db
from ..keyinfo import operations as key_information
from ..models import Pupil, School, User
from ..timefmt import now_utc
from .csvfile import Column, Row, decode, read

COLUMNS = (
    Column("upn", "UPN", ("upn", "uniquepupilnumber")),
    Column("first_name", "Legal Forename", ("legalforename", "forename", "legalfirstname", "firstname")),
    Column("last_name", "Legal Surname", ("legalsurname", "surname", "lastname")),
    Column("preferred_name", "Preferred Forename", ("preferredforename", "preferredname", "knownas"), False),
    Column("date_of_birth", "Date of Birth", ("dateofbirth", "dob", "birthdate")),
    Column("year_group", "Year", ("ncyear", "year", "yeargroup", "nationalcurriculumyear", "yearcurriculum")),
    Column("class_name", "Reg Group", ("reggroup", "registrationgroup", "class", "form", "regform")),
    Column("gender", "Gender", ("gender", "sex"), False),
    Column("family_id", "Family ID", ("familyid", "family", "familygroup", "siblinggroup", "contactsfamilyid"), False),
    # What the MIS knows of a pupil's circumstances, where the export carries it: kept beside
    # the safeguarding team's own statuses (keyinfo/), which an import never changes.
    Column("looked_after", "Looked After", ("lookedafter", "inlacare", "lac", "cla", "childlookedafter"), False),
    Column("sen_status", "SEN Status", ("senstatus", "senprovision", "sen", "needsstatus"), False),
    Column("eal", "EAL", ("eal", "englishasanadditionallanguage", "englishadditionallanguage"), False),
    Column("free_school_meals", "FSM", ("fsm", "freeschoolmeals", "fsmeligible", "fsmeligibility"), False),
)
# Those columns, by key: yes/no ones, and the SEN status as the MIS gives it (N, K, E...).
FACTS = ("looked_after", "sen_status", "eal", "free_school_meals")
YES, NO = {"y", "yes", "true", "1", "t"}, {"n", "no", "false", "0", "f"}
# What an import sets on a pupil, in the order a change is described.
FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "class_name",
    "gender",
    "family_id",
)
LABELS = {c.key: c.label for c in COLUMNS} | {"active": "back on roll"}
LENGTHS = {"first_name": 100, "last_name": 100, "preferred_name": 100, "class_name": 50, "gender": 20, "family_id": 50}
# A UPN: a check letter, eleven digits, and a digit (or a letter for a temporary UPN).
UPN = re.compile(r"[A-Z][0-9]{11}[0-9A-Z]")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
YEARS = {"n": -1, "n1": -1, "n2": -1, "nursery": -1, "r": 0, "rec": 0, "reception": 0, "yr": 0}

NEW, UPDATED, UNCHANGED, ERROR, LEFT = "new", "updated", "unchanged", "error", "left"
# In the order the preview shows them: what needs a look first.
OUTCOMES = (ERROR, LEFT, NEW, UPDATED, UNCHANGED)


def parse(data: bytes) -> list[Row]:
    """The rows of an uploaded file; FileProblem for a file that cannot be read at all."""
    return read(decode(data), COLUMNS)


def rows_to_json(rows: list[Row]) -> str:
    return json.dumps([[r.line, r.values, r.problem] for r in rows], separators=(",", ":"))


def rows_from_json(text: str) -> list[Row]:
    return [Row(line, values, problem) for line, values, problem in json.loads(text)]


@dataclass
class Outcome:
    line: int | None  # None: a pupil on roll who is not in the file
    upn: str  # the row's key: for staff, the email address
    name: str
    kind: str
    detail: str = ""
    values: dict = field(default_factory=dict, repr=False)
    record_id: int | None = None


@dataclass
class Plan:
    school_id: int
    outcomes: list[Outcome]
    on_roll: int = 0  # pupils on roll at the school before this file

    @property
    def many_leave(self) -> bool:
        """Whether more than a tenth of the roll would be marked as left: more likely a
        file that lists only some pupils than a real exodus, so it is confirmed twice."""
        return self.counts()[LEFT] * 10 > self.on_roll

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome in self.outcomes:
            counts[outcome.kind] += 1
        return counts

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    @property
    def changes(self) -> bool:
        return any(o.kind in (NEW, UPDATED, LEFT) for o in self.outcomes)


def plan(school: School, rows: list[Row], full: bool, by: User | None = None) -> Plan:
    """Every row's outcome, and (for a full import) the pupils on roll the file leaves out.
    by: who imports it (None: the command line), named on an earlier date of birth."""
    checked = [(row, *_check(row)) for row in rows]
    # Every UPN in the file, even on a row with an error: that pupil is still on roll.
    lines_of: dict[str, list[int]] = {}
    for row in rows:
        if _upn(row):
            lines_of.setdefault(_upn(row), []).append(row.line)
    upns = list(lines_of)
    existing = {p.upn: p for p in _pupils(Pupil.school_id == school.id)}
    # A UPN is one child's for life (unique in the whole database): a pupil on roll at
    # another school is an error row naming that school, if it is one of the trust's.
    elsewhere = {
        upn: name if trust_id == school.trust_id else None
        for chunk in _chunks([u for u in upns if u not in existing])
        for upn, name, trust_id in db.session.execute(
            select(Pupil.upn, School.name, School.trust_id)
            .join(School, School.id == Pupil.school_id)
            .where(Pupil.upn.in_(chunk))
        )
    }
    outcomes = []
    for row, values, problem in checked:
        upn = _upn(row)
        name = f"{row.values.get('first_name', '')} {row.values.get('last_name', '')}".strip()[:200]
        others = [n for n in lines_of.get(upn, []) if n != row.line]
        if not problem and others:
            problem = f"the UPN {upn} is also on line {_and(others)}"
        if not problem and upn in elsewhere:
            problem = (
                f"the UPN {upn} is on roll at {elsewhere[upn]}, another school of the trust: a pupil "
                "moving school keeps their record there; ask the trust's administrator"
                if elsewhere[upn]
                else f"the UPN {upn} belongs to a pupil of a school outside the trust"
            )
        if problem:
            outcomes.append(Outcome(row.line, upn[:20], name, ERROR, problem))
            continue
        pupil = existing.get(upn)
        if pupil is None:
            outcomes.append(Outcome(row.line, upn, name, NEW, values=values))
            continue
        changed = [f for f in FIELDS if getattr(pupil, f) != values[f]] + ([] if pupil.active else ["active"])
        kind = UPDATED if changed else UNCHANGED
        detail = _describe(pupil, values, changed)
        if "date_of_birth" in changed:
            values = {**values, **_retention(pupil, values["date_of_birth"], by)}
            if values["retention_date_of_birth"] is not None:
                detail += (
                    f" (earlier: the retention period stays counted from "
                    f"{values['retention_date_of_birth']:%d/%m/%Y} until a DSL accepts it)"
                )
        outcomes.append(Outcome(row.line, upn, name, kind, detail, values, pupil.id))
    if full:
        for upn, pupil in sorted(existing.items(), key=lambda item: (item[1].last_name, item[1].first_name)):
            if pupil.active and upn not in lines_of:
                outcomes.append(
                    Outcome(
                        None,
                        upn,
                        f"{pupil.first_name} {pupil.last_name}",
                        LEFT,
                        "on roll here but not in the file: will be marked as left",
                        record_id=pupil.id,
                    )
                )
    return Plan(school.id, outcomes, on_roll=sum(p.active for p in existing.values()))


def _retention(pupil: Pupil, born: date, by: User | None) -> dict:
    """What a new date of birth does to the retention period. A later one (a longer
    period) counts at once; an earlier one would bring a deletion closer, so the period
    stays counted from the earlier-known date until a DSL accepts it: a mistyped or
    forged date in a file must not make a child's record look due for deletion."""
    counted_from = pupil.retention_date_of_birth or pupil.date_of_birth
    if born >= counted_from:
        return {"retention_date_of_birth": None, "retention_flagged_at": None, "retention_flagged_by_id": None}
    if pupil.retention_date_of_birth is not None:  # flagged already: who first brought it stays
        return {"retention_date_of_birth": counted_from}
    return {
        "retention_date_of_birth": counted_from,
        "retention_flagged_at": now_utc(),
        "retention_flagged_by_id": by.id if by is not None else None,
    }


def accept_date_of_birth(dsl: User, pupil: Pupil) -> None:
    """A DSL accepts the MIS's earlier date of birth: the retention period is counted from it."""
    audit.record(
        audit.DATE_OF_BIRTH_ACCEPTED,
        pupil=pupil,
        user=dsl,
        old=pupil.retention_date_of_birth,
        new=pupil.date_of_birth,
        imported_by=pupil.retention_flagged_by_id,
    )
    pupil.retention_date_of_birth = pupil.retention_flagged_at = pupil.retention_flagged_by_id = None
    db.session.flush()


def apply(plan: Plan, by: User | None = None) -> dict[str, int]:
    """Write the plan: new pupils added, changed ones updated, leavers marked (never
    deleted: their records stay). Flushes; the caller commits, so it is all or nothing."""
    for o in plan.of(UPDATED):
        if o.values.get("retention_flagged_at") is not None:
            audit.record(
                audit.DATE_OF_BIRTH_FLAGGED,
                pupil_id=o.record_id,
                school_id=plan.school_id,
                user=by,
                new=o.values["date_of_birth"],
                retention_counted_from=o.values["retention_date_of_birth"],
            )
    facts = {o.upn: o.values.get("_facts") for o in plan.outcomes if o.kind in (NEW, UPDATED, UNCHANGED)}
    new = [{**_pupil_values(o), "school_id": plan.school_id, "active": True} for o in plan.of(NEW)]
    if new:
        db.session.execute(insert(Pupil), new)
    updated = [{"id": o.record_id, **_pupil_values(o), "active": True, "left_on": None} for o in plan.of(UPDATED)]
    for o in updated:
        del o["upn"]
    if updated:
        db.session.execute(update(Pupil), updated)
    leavers = [{"id": o.record_id, "active": False, "left_on": uk_today()} for o in plan.of(LEFT)]
    if leavers:
        db.session.execute(update(Pupil), leavers)
    db.session.flush()
    carried = {upn: f for upn, f in facts.items() if f}
    if carried:
        ids = {
            upn: pupil_id
            for chunk in _chunks(list(carried))
            for upn, pupil_id in db.session.execute(select(Pupil.upn, Pupil.id).where(Pupil.upn.in_(chunk)))
        }
        key_information.record_mis_facts({ids[upn]: f for upn, f in carried.items() if upn in ids})
    return plan.counts()


def _pupil_values(outcome: Outcome) -> dict:
    return {key: value for key, value in outcome.values.items() if key != "_facts"}


def _pupils(where) -> list[Pupil]:
    return list(db.session.scalars(select(Pupil).where(where)))


def _chunks(items: list[str], size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upn(row: Row) -> str:
    return row.values.get("upn", "").replace(" ", "").upper()


def _check(row: Row) -> tuple[dict, str | None]:
    """The row's values as the database holds them, or the first thing wrong with it."""
    if row.problem:
        return {}, f"the line {row.problem}"
    v = row.values
    upn = _upn(row)
    if not upn:
        return {}, "the UPN is blank"
    if not UPN.fullmatch(upn):
        return {
            "upn": upn
        }, f"the UPN {v['upn'][:20]!r} is not a letter followed by 12 digits (or 11 digits and a letter)"
    values: dict = {"upn": upn}
    for key in ("first_name", "last_name", "class_name"):
        if not v[key]:
            return values, f"the {LABELS[key]} is blank"
    for key, limit in LENGTHS.items():
        text = v.get(key, "")
        if len(text) > limit:
            return values, f"the {LABELS[key]} is longer than {limit} characters"
        values[key] = text if text or key in ("first_name", "last_name", "class_name") else None
    born = _date(v["date_of_birth"])
    if born is None:
        return values, f"the date of birth {v['date_of_birth'][:20]!r} is not a date like 14/03/2019"
    if not date(1990, 1, 1) <= born <= uk_today():
        return values, f"the date of birth {born:%d/%m/%Y} is not a pupil's"
    values["date_of_birth"] = born
    year = _year(v["year_group"])
    if year is None:
        return values, f"the year {v['year_group'][:20]!r} is not N, R or a number from 1 to 14"
    values["year_group"] = year
    values["_facts"] = _facts(v)
    return values, None


def _facts(v: dict) -> dict:
    """The MIS's facts the file carries (a column it lacks says nothing; a blank cell, not known)."""
    facts = {}
    for key in FACTS:
        if key not in v:
            continue
        text = v[key].strip()
        if key == "sen_status":
            facts[key] = text[:20] or None
        else:
            facts[key] = True if text.lower() in YES else False if text.lower() in NO else None
    return facts


def _date(text: str) -> date | None:
    text = text.strip().split(" ")[0]  # "14/03/2019 00:00" as Excel may save it
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _year(text: str) -> int | None:
    key = re.sub(r"^year\s*|^y(?=\d)", "", text.strip().lower())
    if key in YEARS:
        return YEARS[key]
    if key.isascii() and key.isdigit() and 1 <= int(key) <= 14:
        return int(key)
    return None


def _describe(pupil: Pupil, values: dict, changed: list[str]) -> str:
    parts = []
    for key in changed:
        if key == "active":
            parts.append("back on roll")
            continue
        before, after = getattr(pupil, key), values[key]
        parts.append(f"{LABELS[key]}: {_shown(before)} → {_shown(after)}")
    return "; ".join(parts)


def _shown(value) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _and(numbers: list[int]) -> str:
    text = [str(n) for n in numbers[:5]]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in (NEW, UPDATED, UNCHANGED, LEFT)) + f", {counts[ERROR]} with errors"


def siblings(pupil: Pupil) -> list[Pupil]:
    """The pupil's brothers and sisters at the school: those the MIS gives the same family id."""
    if not pupil.family_id:
        return []
    return _pupils((Pupil.school_id == pupil.school_id) & (Pupil.family_id == pupil.family_id) & (Pupil.id != pupil.id))
