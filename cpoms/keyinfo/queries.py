"""Key information and police notifications as lists and counts: each one query,
whatever the number of pupils on a page."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import exists, func, select

from ..extensions import db
from ..models import Pupil
from ..policy import open_pupils
from ..timefmt import uk_date
from . import policy
from .models import KeyFlag, KeyStatus, KeyStatusEnd, MisFacts, PoliceCheckIn, PoliceNotification, StatusKind

ACTIVE = ~exists().where(KeyStatusEnd.status_id == KeyStatus.id)


def statuses_of(pupil_id: int) -> list[KeyStatus]:
    """Every status period of a pupil, each with its end: active ones first, newest first."""
    rows = db.session.scalars(
        select(KeyStatus).where(KeyStatus.pupil_id == pupil_id).order_by(KeyStatus.starts_on.desc(), KeyStatus.id)
    ).unique()
    return sorted(rows, key=lambda s: not s.active)


def active_statuses(pupil_ids) -> dict[int, list[KeyStatus]]:
    """The active statuses of these pupils, for badges on a page of rows: one query."""
    ids = sorted({i for i in pupil_ids if i is not None})
    if not ids:
        return {}
    found: dict[int, list[KeyStatus]] = defaultdict(list)
    for status in db.session.scalars(
        select(KeyStatus).where(KeyStatus.pupil_id.in_(ids), ACTIVE).order_by(KeyStatus.starts_on, KeyStatus.id)
    ).unique():
        found[status.pupil_id].append(status)
    return dict(found)


def badges_for(user, pupils) -> dict[int, list[KeyStatus]]:
    """active_statuses for the pupils on a page this user reads statuses of (none for the rest)."""
    shown = policy.status_school_ids(user)
    if not shown:
        return {}
    return active_statuses(p.id for p in pupils if p.school_id in shown)


def has_active_status(pupil_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(KeyStatus.pupil_id == pupil_id, ACTIVE))))


def with_active_status(kind: str):
    """A SELECT of the ids of pupils with an active status of this kind (a filter's subquery)."""
    return select(KeyStatus.pupil_id).where(KeyStatus.kind == kind, ACTIVE)


def filter_choices() -> dict[str, str]:
    """The kinds a list may be filtered by: the fixed ones (the trust's flags are "other")."""
    return {kind: StatusKind.LABELS[kind] for kind in StatusKind.ALL if kind != StatusKind.OTHER} | {
        StatusKind.OTHER: "Any of the trust's own flags"
    }


def flags_for(trust_id: int) -> list[KeyFlag]:
    return list(db.session.scalars(select(KeyFlag).where(KeyFlag.trust_id == trust_id).order_by(KeyFlag.name)))


def mis_facts(pupil_id: int) -> MisFacts | None:
    return db.session.scalars(
        select(MisFacts).where(MisFacts.pupil_id == pupil_id).order_by(MisFacts.id.desc()).limit(1)
    ).first()


def statuses_for_export(pupil: Pupil) -> list[dict]:
    """Every status period of a pupil as plain values, for the chronology exports, the
    subject-access export and the transfer pack (the caller has already decided the
    reader may have the pupil's record): oldest first, each with its end if ended."""
    rows = sorted(statuses_of(pupil.id), key=lambda s: (s.starts_on, s.id))
    return [
        {
            "status": s.label,
            "kind": s.kind,
            "school_id": s.school_id,
            "starts_on": s.starts_on.isoformat(),
            "ends_on": s.ends_on.isoformat() if s.ends_on else "",
            "category_of_abuse": s.category_label,
            "authority": s.authority or "",
            "contact": s.contact or "",
            "note": s.note,
            "recorded_by": s.recorded_by.name,
            "recorded_at": s.recorded_at.isoformat(),
            "ended_by": s.ending.recorded_by.name if s.ending else "",
            "end_note": s.ending.note if s.ending else "",
        }
        for s in rows
    ]


def badge_text(status: KeyStatus) -> str:
    return f"{status.short} since {uk_date(status.starts_on)}"


# --- reports: counts, no names -------------------------------------------------------


def status_counts(school_ids, on: date | None = None) -> dict[int, dict[str, int]]:
    """Pupils with each active status, per school (the pupil's school now): one aggregate
    query. The trust's own flags count together as "other"."""
    if not school_ids:
        return {}
    query = (
        select(Pupil.school_id, KeyStatus.kind, func.count(func.distinct(KeyStatus.pupil_id)))
        .join(Pupil, Pupil.id == KeyStatus.pupil_id)
        .where(Pupil.school_id.in_(school_ids), ACTIVE)
        .group_by(Pupil.school_id, KeyStatus.kind)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for school_id, kind, n in db.session.execute(query):
        counts[school_id][kind] = n
    return dict(counts)


def notification_counts(school_ids, terms) -> dict[int, list[int]]:
    """Police notifications per school in each of these terms (reports.periods.Period, by
    when recorded): one query."""
    if not school_ids or not terms:
        return {}
    rows = db.session.execute(
        select(PoliceNotification.school_id, PoliceNotification.recorded_at).where(
            PoliceNotification.school_id.in_(school_ids),
            PoliceNotification.recorded_at >= terms[0].start,
            PoliceNotification.recorded_at < terms[-1].end,
        )
    )
    counts: dict[int, list[int]] = {}
    for school_id, at in rows:
        for i, period in enumerate(terms):
            if period.start <= at < period.end:
                counts.setdefault(school_id, [0] * len(terms))[i] += 1
    return counts


def notifications_in(school_ids, period):
    """A scalar subquery: police notifications recorded at these schools in this period."""
    return (
        select(func.count(PoliceNotification.id))
        .where(
            PoliceNotification.school_id.in_(school_ids),
            PoliceNotification.recorded_at >= period.start,
            PoliceNotification.recorded_at < period.end,
        )
        .scalar_subquery()
    )


# --- police notifications ------------------------------------------------------------


def notifications_of(user, pupil: Pupil) -> list[PoliceNotification]:
    """A pupil's police notifications, newest first, recorded at a school where this user is on the team."""
    schools = policy.police_school_ids(user)
    if not schools:
        return []
    return list(
        db.session.scalars(
            select(PoliceNotification)
            .where(PoliceNotification.pupil_id == pupil.id, PoliceNotification.school_id.in_(schools))
            .order_by(PoliceNotification.incident_at.desc(), PoliceNotification.id.desc())
        ).unique()
    )


def my_check_ins(user) -> list[PoliceNotification]:
    """Check-ins this key adult has still to do, at schools where they still work (the
    home page): what they are shown of each is the child and the day, nothing more."""
    schools = policy.check_in_school_ids(user)
    if not schools:
        return []
    return list(
        db.session.scalars(
            select(PoliceNotification)
            .where(
                PoliceNotification.key_adult_id == user.id,
                PoliceNotification.school_id.in_(schools),
                open_pupils(user, PoliceNotification.pupil_id),
                ~exists().where(PoliceCheckIn.notification_id == PoliceNotification.id),
            )
            .order_by(PoliceNotification.check_in_on, PoliceNotification.id)
            .limit(50)
        ).unique()
    )


def export_lines(user, pupil: Pupil) -> list[tuple[str, str, str]]:
    """The statuses as a chronology export shows them to this reader (none to a reader who
    does not read statuses): (since, status, the rest in words), oldest first."""
    if not policy.reads_statuses(user, pupil):
        return []
    lines = []
    for s in statuses_for_export(pupil):
        details = [
            f"ended {uk_date(date.fromisoformat(s['ends_on']))}" if s["ends_on"] else "active",
            s["category_of_abuse"],
            s["authority"] and f"authority: {s['authority']}",
            s["contact"] and f"contact: {s['contact']}",
            s["note"],
            f"recorded by {s['recorded_by']}",
            s["ended_by"] and f"ended by {s['ended_by']}" + (f" ({s['end_note']})" if s["end_note"] else ""),
        ]
        lines.append((uk_date(date.fromisoformat(s["starts_on"])), s["status"], "; ".join(d for d in details if d)))
    return lines
