"""Who reads and edits the recording guidance of a school or a trust."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import School
from ..policy import access


def guidance_school_ids(user) -> frozenset[int]:
    """Every signed-in member of staff reads the guidance of each school they work at."""
    return access(user).member


def can_read_guidance(user) -> bool:
    return bool(access(user).member)


def guidance_trust_ids(user) -> frozenset[int]:
    """The trusts whose guidance this user reads: those of their schools."""
    member = access(user).member
    if not member:
        return frozenset()
    return frozenset(db.session.scalars(select(School.trust_id).where(School.id.in_(member)).distinct()))


def can_read_guidance_of(user, school_id: int | None, trust_id: int | None) -> bool:
    if school_id is not None:
        return school_id in access(user).member
    return trust_id is not None and trust_id in guidance_trust_ids(user)


def can_edit_guidance_of(user, school_id: int | None, trust_id: int | None) -> bool:
    """A school's page: its admins (a trust-level admin is one at every school of
    the trust). The trust's page: trust-level admins only."""
    a = access(user)
    if school_id is not None:
        return school_id in a.admin
    return trust_id is not None and trust_id in a.admin_trusts


def can_edit_guidance(user) -> bool:
    a = access(user)
    return bool(a.admin or a.admin_trusts)


def can_read_guidance_version(user, version) -> bool:
    return can_read_guidance_of(user, version.school_id, version.trust_id)
