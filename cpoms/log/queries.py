from __future__ import annotations

from sqlalchemy import func, or_, select

from .. import policy
from ..common import escape_like
from ..extensions import db
from ..models import Category, Entry, Pupil, PupilRole, Role, RoleAssignment, School, User
from .forms import MAX_PUPILS, PupilPick
from .models import EntryShare

MAX_RESULTS = 10
SHARED_WITH_ME = 10  # the home page's list; the entries stay readable whatever their age


def picked_pupils(school_ids, pick: PupilPick) -> list[Pupil]:
    """The pupils the picker stands at, of the schools the user logs at; siblings are
    added only of a pupil on the form, so never another school's family."""
    pupils = pupils_by_id(school_ids, pick.ids[:MAX_PUPILS])
    if pick.siblings_of is not None:
        found = siblings_not_chosen(pupils, families(school_ids, pupils)).get(pick.siblings_of, [])
        pupils = (pupils + found)[:MAX_PUPILS]
    return pupils


def log_form_page(user, categories: list[Category], pupils: list[Pupil], query: str) -> dict:
    """What the log form shows around the fields: the search's results, each pupil's
    siblings, the colleagues one may alert, and the DSLs to find in person (at the
    chosen pupils' school, else the recorder's)."""
    schools = policy.loggable_school_ids(user)
    chosen_schools = {p.school_id for p in pupils}
    results = search_pupils(schools, query) if query else []
    staff = alertable_staff(
        policy.alertable_school_ids(user) & (chosen_schools or schools), user.id, [p.id for p in pupils]
    )
    return {
        "categories": categories,
        "category_help": {c.id: c.description for c in categories},
        "pupils": pupils,
        "siblings": siblings_not_chosen(pupils, families(schools, pupils)),
        "roles": PupilRole.LABELS,
        "staff": staff,
        "staff_schools": len({school.id for _, school, _ in staff}) > 1,
        "query": query,
        "results": [p for p in results if p not in pupils],
        "matches_chosen": any(p in pupils for p in results),
        "searched": bool(query),
        "alerting": {c.id for c in categories if c.alerts_safeguarding_team},
        "alerting_names": [c.name for c in categories if c.alerts_safeguarding_team],
        "contacts": safeguarding_contacts(chosen_schools or schools),
    }


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
            select(Pupil).where(Pupil.id.in_(ids), Pupil.school_id.in_(school_ids), Pupil.active.is_(True))
        )
    }
    return [found[i] for i in ids if i in found]


def safeguarding_contacts(school_ids) -> list[tuple[School, list[tuple[str, str]]]]:
    """Each school's DSLs, then deputies, who can be found in person: (name, role label)."""
    if not school_ids:
        return []
    rows = db.session.execute(policy.holders_with_roles(policy.SAFEGUARDING_CONTACT, school_ids))
    by_school: dict[School, list[tuple[str, str]]] = {}
    rank = {Role.DSL: 0, Role.DEPUTY_DSL: 1}
    for user, school, role in sorted(rows, key=lambda r: (r[1].name, rank.get(r[2], 2), r[0].name)):
        by_school.setdefault(school, []).append((user.name, Role.LABELS[role]))
    found = schools_by_id(school_ids)
    return [(school, by_school.get(school, [])) for school in found]


def schools_by_id(school_ids) -> list[School]:
    return list(db.session.scalars(select(School).where(School.id.in_(school_ids)).order_by(School.name)))


# --- siblings and colleagues to alert -------------------------------------------------------


def families(school_ids, pupils: list[Pupil]) -> dict[tuple[int, str], list[Pupil]]:
    """The MIS families of these pupils, as (school, family id) -> the family's pupils on
    roll at schools the user logs at, in one query whatever the number of pupils."""
    keys = {(p.school_id, p.family_id) for p in pupils if p.family_id}
    if not keys or not school_ids:
        return {}
    found: dict[tuple[int, str], list[Pupil]] = {}
    rows = db.session.scalars(
        select(Pupil)
        .where(
            Pupil.family_id.in_({family for _, family in keys}), Pupil.school_id.in_(school_ids), Pupil.active.is_(True)
        )
        .order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
    )
    for pupil in rows:
        key = (pupil.school_id, pupil.family_id)
        if key in keys:  # the same family id at another school is another family
            found.setdefault(key, []).append(pupil)
    return found


def siblings_not_chosen(pupils: list[Pupil], family: dict[tuple[int, str], list[Pupil]]) -> dict[int, list[Pupil]]:
    """Each chosen pupil's siblings that are not on the entry yet."""
    chosen = {p.id for p in pupils}
    return {p.id: [s for s in family.get((p.school_id, p.family_id), []) if s.id not in chosen] for p in pupils}


def alertable_staff(school_ids, recorder_id: int, about_pupils=()) -> list[tuple[User, School, list[str]]]:
    """The active staff of these schools a recorder may alert about these pupils, by name:
    (person, school, their roles there), in one query. Not the recorder, who knows already."""
    if not school_ids:
        return []
    rows = db.session.execute(
        policy.holders_with_roles(policy.ALERTABLE, school_ids, about_pupils)
        .where(User.id != recorder_id)
        .order_by(User.name, User.id, RoleAssignment.role)
    )
    people: dict[tuple[int, int], tuple[User, School, list[str]]] = {}
    for user, school, role in rows:
        people.setdefault((user.id, school.id), (user, school, []))[2].append(Role.LABELS[role])
    return list(people.values())


def shares_of(entry: Entry) -> list[EntryShare]:
    """Who was alerted to this entry by its recorder, with their email's fate: one query."""
    return list(
        db.session.scalars(select(EntryShare).where(EntryShare.entry_id == entry.id).order_by(EntryShare.id)).unique()
    )


def shared_with(user) -> list[tuple[EntryShare, Entry]]:
    """The latest entries colleagues alerted this user to, that they may still read."""
    if not policy.reads_shared_entries(user):
        return []
    rows = db.session.execute(
        select(EntryShare, Entry)
        .join(Entry, Entry.id == EntryShare.entry_id)
        .where(EntryShare.user_id == user.id, policy.visible_entries(user))
        .order_by(EntryShare.id.desc())
        .limit(SHARED_WITH_ME)
    ).unique()
    return [(share, entry) for share, entry in rows]
