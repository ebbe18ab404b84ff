"""Finding guidance pages and their versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import School, Trust
from .models import GuidanceVersion


@dataclass(frozen=True)
class Scope:
    """Whose guidance page: one school's, or the trust's (the default for its schools)."""

    school: School | None = None
    trust: Trust | None = None

    @property
    def school_id(self) -> int | None:
        return self.school.id if self.school else None

    @property
    def trust_id(self) -> int | None:
        return self.trust.id if self.trust else None

    @property
    def name(self) -> str:
        return self.school.name if self.school else self.trust.name

    @property
    def args(self) -> dict[str, int]:
        """The query arguments naming this scope in a URL."""
        return {"school": self.school.id} if self.school else {"trust": self.trust.id}


def _of(scope: Scope):
    if scope.school is not None:
        return GuidanceVersion.school_id == scope.school.id
    return GuidanceVersion.trust_id == scope.trust.id


def versions(scope: Scope, limit: int | None = None) -> list[GuidanceVersion]:
    query = (
        select(GuidanceVersion)
        .where(_of(scope))
        .order_by(GuidanceVersion.created_at.desc(), GuidanceVersion.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def newest(scope: Scope) -> GuidanceVersion | None:
    found = versions(scope, limit=1)
    return found[0] if found else None


def shown_for(school: School) -> GuidanceVersion | None:
    """The page a school's staff read: the school's own, or else the trust's."""
    return newest(Scope(school=school)) or newest(Scope(trust=school.trust))


def schools(ids) -> list[School]:
    if not ids:
        return []
    return list(db.session.scalars(select(School).where(School.id.in_(ids)).order_by(School.name)))


def trusts(ids) -> list[Trust]:
    if not ids:
        return []
    return list(db.session.scalars(select(Trust).where(Trust.id.in_(ids)).order_by(Trust.name)))
