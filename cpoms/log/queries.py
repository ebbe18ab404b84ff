from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Pupil, Role, RoleAssignment, School, User
from ..policy import SAFEGUARDING_TEAM

MAX_RESULTS = 10


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_pupils(school_ids, text: str, limit: int = MAX_RESULTS, active_only: bool = True) -> list[Pupil]:
    """Pupils of these schools (on roll, unless active_only is False) whose names
    or UPN start with every word typed."""
    words = [w for w in text.replace("\x00", "").lower().split() if w][:4]
    if not words or not school_ids:
        return []
    query = select(Pupil).where(Pupil.school_id.in_(school_ids))
    if active_only:
        query = query.where(Pupil.active.is_(True))
    for word in words:
        prefix = escape_like(word[:60]) + "%"
        query = query.where(
            or_(
                func.lower(Pupil.first_name).like(prefix, escape="\\"),
                func.lower(Pupil.last_name).like(prefix, escape="\\"),
                func.lower(Pupil.preferred_name).like(prefix, escape="\\"),
                func.lower(Pupil.upn).like(prefix, escape="\\"),
            )
        )
    query = query.order_by(Pupil.last_name, Pupil.first_name, Pupil.id).limit(limit)
    return list(db.session.scalars(query))


def pupils_by_id(school_ids, ids: list[int]) -> list[Pupil]:
    """The pupils asked for that may be logged against, in the order asked."""
    if not ids or not school_ids:
        return []
    found = {
        p.id: p
        for p in db.session.scalars(
            select(Pupil).where(
                Pupil.id.in_(ids), Pupil.school_id.in_(school_ids), Pupil.active.is_(True)
            )
        )
    }
    return [found[i] for i in ids if i in found]


def safeguarding_contacts(school_ids) -> list[tuple[School, list[tuple[str, str]]]]:
    """Each school's DSLs, then deputies, who can be found in person: (name, role label)."""
    if not school_ids:
        return []
    rows = db.session.execute(
        select(School, User.name, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.school_id == School.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(School.id.in_(school_ids), RoleAssignment.role.in_(SAFEGUARDING_TEAM),
               User.active.is_(True))
    )
    by_school: dict[School, list[tuple[str, str]]] = {}
    rank = {Role.DSL: 0, Role.DEPUTY_DSL: 1}
    for school, name, role in sorted(rows, key=lambda r: (r[0].name, rank[r[2]], r[1])):
        by_school.setdefault(school, []).append((name, Role.LABELS[role]))
    found = schools_by_id(school_ids)
    return [(school, by_school.get(school, [])) for school in found]


def schools_by_id(school_ids) -> list[School]:
    return list(db.session.scalars(select(School).where(School.id.in_(school_ids)).order_by(School.name)))
