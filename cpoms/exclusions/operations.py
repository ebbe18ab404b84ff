"""Excluding a member of staff from a pupil's record and ending it: an event added,
audited, flushed. The checks that keep the team able to act are here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import audit, policy
from ..extensions import db
from ..models import Pupil, Role, User
from ..timefmt import now_utc
from .models import RecordExclusion, RecordExclusionEnd


# A decision about someone else, made by someone else: a member of the team who must not
# read a record asks a colleague to record it.
NOT_YOURSELF = "You cannot exclude yourself: ask another member of the safeguarding team to record it."


class Refused(Exception):
    """An exclusion the rules do not allow (the message says why, to the team)."""


@dataclass(frozen=True)
class Period:
    exclusion: RecordExclusion
    end: RecordExclusionEnd | None


def history(pupil_id: int) -> list[Period]:
    """Every exclusion from this pupil's record, newest first, with its end if it has one."""
    end = aliased(RecordExclusionEnd)
    rows = db.session.execute(
        select(RecordExclusion, end)
        .outerjoin(end, end.exclusion_id == RecordExclusion.id)
        .where(RecordExclusion.pupil_id == pupil_id)
        .order_by(RecordExclusion.id.desc())
    )
    return [Period(exclusion, ended) for exclusion, ended in rows]


def candidates(actor: User, pupil: Pupil) -> list[tuple[int, str]]:
    """Who may be excluded: everyone with a role at the pupil's school (trust-wide roles
    included) but the person deciding and those already excluded, as (id, "name, roles")."""
    rows = db.session.execute(
        policy.holders_with_roles(policy.MEMBER, [pupil.school_id], about_pupils=[pupil.id])
        .where(User.id != actor.id)
        .order_by(User.name, User.id)
    )
    people: dict[int, tuple[str, list[str]]] = {}
    for user, _, role in rows:
        label = Role.LABELS.get(role, role)
        name, roles = people.setdefault(user.id, (user.name, []))
        if label not in roles:
            roles.append(label)
    return [(user_id, f"{name} ({', '.join(roles)})") for user_id, (name, roles) in people.items()]


def _team_left_reading(pupil: Pupil, without: set[int]) -> set[int]:
    """The pupil's school's safeguarding team who would still read the record."""
    team = db.session.scalars(
        policy.holders(policy.TEAM, [pupil.school_id], about_pupils=[pupil.id]).with_only_columns(User.id)
    )
    return set(team) - without


def exclude(actor: User, pupil: Pupil, person_id: int, reason: str) -> RecordExclusion:
    if person_id == actor.id:
        raise Refused(NOT_YOURSELF)
    offered = dict(candidates(actor, pupil))
    if person_id not in offered:
        raise Refused("Choose a member of staff of this school from the list.")
    team = _team_left_reading(pupil, set())
    if person_id in team and not _team_left_reading(pupil, {person_id, actor.id}):
        # The record must stay open to a second member of the team: one person alone
        # would decide everything about this child with nobody to check.
        raise Refused(
            "You cannot exclude the last other member of the safeguarding team who reads this record: "
            "give another colleague a safeguarding role first."
        )
    exclusion = RecordExclusion(
        pupil_id=pupil.id,
        user_id=person_id,
        school_id=pupil.school_id,
        reason=reason.strip(),
        by_id=actor.id,
        at=now_utc(),
    )
    db.session.add(exclusion)
    db.session.flush()
    audit.record(audit.EXCLUDE_FROM_RECORD, pupil=pupil, user=actor, exclusion=exclusion.id, excluded_user=person_id)
    return exclusion


def end(actor: User, exclusion: RecordExclusion, reason: str) -> RecordExclusionEnd:
    if db.session.scalar(select(RecordExclusionEnd.id).where(RecordExclusionEnd.exclusion_id == exclusion.id)):
        raise Refused("This exclusion has already ended.")
    ended = RecordExclusionEnd(exclusion_id=exclusion.id, reason=reason.strip(), by_id=actor.id, at=now_utc())
    db.session.add(ended)
    db.session.flush()
    audit.record(
        audit.END_RECORD_EXCLUSION,
        pupil_id=exclusion.pupil_id,
        school_id=exclusion.school_id,
        user=actor,
        exclusion=exclusion.id,
        excluded_user=exclusion.user_id,
    )
    return ended
