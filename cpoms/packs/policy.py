"""Who may receive child-protection files from outside the trust, read what was received,
and say which signing keys the trust does not trust."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Pupil, School
from ..policy import access


def import_school_ids(user) -> frozenset[int]:
    """Receiving a pack: the safeguarding team, for a pupil of a school whose team they are on."""
    return access(user).team


def can_read_received(user, pupil: Pupil) -> bool:
    """The records a school received about a pupil are child-protection records: its safeguarding team."""
    return pupil.school_id in access(user).team


def key_trust_ids(user) -> frozenset[int]:
    """The trusts whose list of distrusted keys this user keeps: a trust's administrators, and
    the safeguarding team of any of its schools (they are the ones who receive packs)."""
    a = access(user)
    team_trusts = (
        set(db.session.scalars(select(School.trust_id).where(School.id.in_(list(a.team))))) if a.team else set()
    )
    return frozenset(a.admin_trusts | team_trusts)


def receiving_trust_ids(user) -> frozenset[int]:
    """The trusts whose distrusted keys apply to what this user imports."""
    team = access(user).team
    if not team:
        return frozenset()
    return frozenset(db.session.scalars(select(School.trust_id).where(School.id.in_(list(team)))))
