"""Who may see and do what: the core every area's rules build on. It holds the
capability table, a user's access resolved once per request (access), who holds a
capability where (holders, holds), and the one rule of which records a user reads
(visible_entries, can_view_entry, received_with_file), which every list and
single-record check asks. Each area's own rules live in its package's policy.py
(cpoms/transfers/policy.py ...), built on these public functions; nothing else looks
at role assignments to decide a permission.

The record rule reads who was alerted, shared with or given a task, which files were
received, and who the safeguarding team keeps from a pupil's record: it imports those
areas' models (never their policy), which import only the core.

Above every role stands one rule (withheld_pupils): a person the safeguarding team has
excluded from a pupil's record reads nothing about that pupil, whatever their roles: no
entry naming the pupil (an entry about several pupils included, as its narrative is about
all of them), no chronology, monitoring, transfer, task or file of it; they are offered
to nobody as a colleague to alert or give a task to about that pupil, and are not emailed
its alerts. They can still log a concern about the pupil, as anyone who logs can."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import g
from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from .exclusions.models import RecordExclusion, RecordExclusionEnd
from .extensions import db
from .log.models import EntryShare
from .models import Alert, Entry, EntryPupil, Kind, Pupil, Role, RoleAssignment, School, User
from .tasks.models import Task
from .transfers.models import Transfer, TransferEvent, TransferStatus

# --- capabilities: what each role grants, per school it is held at ----------------
# The one table. access(user) reads it one way ("where may this person ..."), holders()
# and holds() the other ("who may ... at this school"): alerts, pickers, task
# assignees and reminders ask those, never the role assignments themselves.
LOG = "log"  # record concerns about the school's pupils
READ_SCHOOL = "read_all"  # read every entry of the school
READ_OWN = "read_own"  # read what they recorded or were alerted to, given a task on
FULL_NAMES = "full_names"  # see pupils by name (not initials)
REVIEW = "review"  # the review queue, follow-ups, a received file
TEAM = "team"  # the safeguarding team: everything a DSL decides
OVERSEE = "oversee"  # the governors' and trust's read-only review
ADMIN = "admin"  # accounts, pupils, settings (no entries)
MEMBER = "member"  # any role at all: the school's guidance
RECEIVES_ALERTS = "receives_alerts"  # emailed for every safeguarding entry, and about transfers
SAFEGUARDING_CONTACT = "safeguarding_contact"  # named on the log form as the people to tell
ALERTABLE = "alertable"  # a colleague a recorder may choose to alert
ASSIGNABLE = "assignable"  # may be given a task (and reminded of it)
CONFIRMS_DELETION = "confirms_deletion"  # the second person of a deletion after review
# Where what they recorded stands (date, category, pupils' initials, waiting/reviewed/closed)
# and the safeguarding team's messages to them: never the record's text, so held without
# two-factor sign-in (_resolve).
RECORDED_STATE = "recorded_state"
# Concerns about adults (cpoms/adults/policy.py decides which concern each may manage):
# the headteacher manages them; a DSL only where the headteacher allows it; the chair of
# governors those about the headteacher. Nobody ever manages a concern naming them.
CASE_MANAGER = "case_manager"
CASE_MANAGER_IF_ALLOWED = "case_manager_if_allowed"
CASE_MANAGER_FOR_HEAD = "case_manager_for_head"

_STAFF = frozenset({Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT})
_SAFEGUARDING_TEAM = frozenset({Role.DSL, Role.DEPUTY_DSL})
CAPABILITIES: dict[str, frozenset[str]] = {
    LOG: _STAFF,
    READ_SCHOOL: frozenset({Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.GOVERNOR, Role.TRUST_REP}),
    READ_OWN: _STAFF,
    FULL_NAMES: _STAFF,
    REVIEW: frozenset({Role.DSL, Role.DEPUTY_DSL, Role.SLT}),
    TEAM: _SAFEGUARDING_TEAM,
    OVERSEE: frozenset({Role.GOVERNOR, Role.TRUST_REP}),
    ADMIN: frozenset({Role.ADMIN}),
    MEMBER: frozenset(Role.ALL),
    RECEIVES_ALERTS: _SAFEGUARDING_TEAM,
    SAFEGUARDING_CONTACT: _SAFEGUARDING_TEAM,
    # Not governors, not admins: they read no entries as staff.
    ALERTABLE: _STAFF,
    ASSIGNABLE: _STAFF,
    CONFIRMS_DELETION: frozenset({Role.DSL}),
    RECORDED_STATE: _STAFF,
    CASE_MANAGER: frozenset({Role.HEADTEACHER}),
    CASE_MANAGER_IF_ALLOWED: frozenset({Role.DSL}),
    CASE_MANAGER_FOR_HEAD: frozenset({Role.CHAIR_OF_GOVERNORS}),
}

# The same sets by their older names, for callers outside policy that name a role set.
LOGS_ENTRIES = CAPABILITIES[LOG]
READS_WHOLE_SCHOOL = CAPABILITIES[READ_SCHOOL]
SEES_FULL_NAMES = CAPABILITIES[FULL_NAMES]
REVIEWS = CAPABILITIES[REVIEW]
SAFEGUARDING_TEAM = CAPABILITIES[TEAM]
ADMINISTERS = CAPABILITIES[ADMIN]
OVERSEES = CAPABILITIES[OVERSEE]
# Everyone who reads beyond their own entries, or runs the school's accounts.
REQUIRES_TWO_FACTOR = (
    READS_WHOLE_SCHOOL
    | ADMINISTERS
    | CAPABILITIES[CASE_MANAGER]
    | CAPABILITIES[CASE_MANAGER_IF_ALLOWED]
    | CAPABILITIES[CASE_MANAGER_FOR_HEAD]
)
# Roles held across a trust when assigned to the trust rather than a school.
TRUST_WIDE = Role.TRUST_WIDE | ADMINISTERS


@dataclass(frozen=True)
class Access:
    """A user's rights, resolved to school ids once per request: one field per
    capability, named as in CAPABILITIES."""

    user_id: int | None
    log: frozenset[int] = frozenset()
    read_all: frozenset[int] = frozenset()
    full_names: frozenset[int] = frozenset()
    review: frozenset[int] = frozenset()
    team: frozenset[int] = frozenset()
    member: frozenset[int] = frozenset()
    oversee: frozenset[int] = frozenset()
    # Where they may read what they recorded or were alerted to.
    read_own: frozenset[int] = frozenset()
    admin: frozenset[int] = frozenset()
    receives_alerts: frozenset[int] = frozenset()
    safeguarding_contact: frozenset[int] = frozenset()
    alertable: frozenset[int] = frozenset()
    assignable: frozenset[int] = frozenset()
    confirms_deletion: frozenset[int] = frozenset()
    recorded_state: frozenset[int] = frozenset()
    case_manager: frozenset[int] = frozenset()
    case_manager_if_allowed: frozenset[int] = frozenset()
    case_manager_for_head: frozenset[int] = frozenset()
    admin_trusts: frozenset[int] = frozenset()

    def schools(self, capability: str) -> frozenset[int]:
        """Where this user holds a capability (a key of CAPABILITIES)."""
        return getattr(self, capability) if capability in CAPABILITIES else frozenset()


NOBODY = Access(user_id=None)


def access(user) -> Access:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    cache = g.setdefault("_access", {})
    if user.id not in cache:
        cache[user.id] = _resolve(user)
    return cache[user.id]


def session_verified(user) -> bool:
    """Whether this user's session passed the two-factor step."""
    row = getattr(user, "session_row", None)
    return row is not None and row.two_factor_at is not None


def _resolve(user) -> Access:
    if not session_verified(user):
        # Without two-factor sign-in a person can still record a concern (as in
        # CPOMS), but reads nothing: not even what they recorded. They do hear where it
        # stands (RECORDED_STATE), which shows none of it.
        loggers = frozenset(a.school_id for a in user.roles if a.role in LOGS_ENTRIES and a.school_id is not None)
        told = frozenset(
            a.school_id for a in user.roles if a.role in CAPABILITIES[RECORDED_STATE] and a.school_id is not None
        )
        return Access(user_id=user.id, log=loggers, member=loggers, recorded_state=told)
    by_role: dict[str, set[int]] = {role: set() for role in Role.ALL}
    trust_roles: dict[int, set[str]] = {}
    for assignment in user.roles:
        if assignment.school_id is not None:
            by_role[assignment.role].add(assignment.school_id)
        elif assignment.trust_id is not None and assignment.role in TRUST_WIDE:
            trust_roles.setdefault(assignment.trust_id, set()).add(assignment.role)
    if trust_roles:
        rows = db.session.execute(select(School.id, School.trust_id).where(School.trust_id.in_(trust_roles)))
        for school_id, trust_id in rows:
            for role in trust_roles[trust_id]:
                by_role[role].add(school_id)

    return Access(
        user_id=user.id,
        admin_trusts=frozenset(t for t, roles in trust_roles.items() if roles & ADMINISTERS),
        **{capability: frozenset().union(*(by_role[r] for r in roles)) for capability, roles in CAPABILITIES.items()},
    )


# --- who holds a capability at a school (the other direction) -------------------------


def _grants_at(capability: str, assignment=RoleAssignment, school=School):
    """The join condition of role assignments to schools, and the filter on the role, for
    assignments that grant this capability at that school: held there, or across its trust."""
    roles = CAPABILITIES[capability]
    on = assignment.school_id == school.id
    trust_wide = roles & TRUST_WIDE
    if trust_wide:
        on = or_(
            on,
            and_(
                assignment.school_id.is_(None), assignment.trust_id == school.trust_id, assignment.role.in_(trust_wide)
            ),
        )
    return on, assignment.role.in_(roles)


def administers_trust(user, trust_id: int) -> bool:
    """Whether this account administers the whole trust, from its role rows: asked of an
    account that is not signed in yet (the password step of sign-in), so not of access()."""
    return any(r.trust_id == trust_id and r.school_id is None and r.role in ADMINISTERS for r in user.roles)


def trust_administrators(trust_id: int):
    """A SELECT of the active accounts that administer the whole trust (callers add their order)."""
    return select(User).where(
        User.active.is_(True),
        User.id.in_(
            select(RoleAssignment.user_id).where(
                RoleAssignment.trust_id == trust_id,
                RoleAssignment.school_id.is_(None),
                RoleAssignment.role.in_(ADMINISTERS),
            )
        ),
    )


def holders(capability: str, school_ids, about_pupils=()):
    """A SELECT of the active users who hold this capability at any of these schools
    (callers add their order): the same answer access() gives each of them. With
    `about_pupils` (ids), for something about those pupils: nobody excluded from any of them."""
    on, granting = _grants_at(capability)
    return select(User).where(
        User.active.is_(True),
        User.id.in_(select(RoleAssignment.user_id).join(School, on).where(granting, School.id.in_(school_ids))),
        *_not_kept_from(User.id, about_pupils),
    )


def holders_with_roles(capability: str, school_ids, about_pupils=()):
    """As holders(), one row per (user, school, role) that grants it: for pickers that say
    where and as what each person works."""
    on, granting = _grants_at(capability)
    return (
        select(User, School, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(School, on)
        .where(granting, School.id.in_(school_ids), User.active.is_(True), *_not_kept_from(User.id, about_pupils))
    )


def holds(capability: str, user_id, school_id, about_entry=None):
    """A SQL condition: this user (a column or a value), active, holds the capability at
    this school (and, given `about_entry` (an entry id column or value), is not excluded
    from any of its pupils). Its own aliases: the query it sits in may read the same tables."""
    assignment, school, person = aliased(RoleAssignment), aliased(School), aliased(User)
    on, granting = _grants_at(capability, assignment, school)
    held = exists(
        select(assignment.id)
        .join(school, on)
        .join(person, person.id == assignment.user_id)
        .where(granting, assignment.user_id == user_id, school.id == school_id, person.active.is_(True))
        .correlate_except(assignment, school, person)
    )
    if about_entry is None:
        return held
    return and_(held, ~kept_from_entry(user_id, about_entry))


# --- records kept from named staff (cpoms/exclusions/) ---------------------------------
# The one rule above every role (see the module's docstring). Lists put it in their own
# SQL (an uncorrelated subquery over the user's few exclusions, run once per query, never
# per row); single-record checks ask reads_about_entry and reads_about_pupil, which read
# the user's exclusions (the same SQL) or the pupil's once a request.


# Aliases made once (on first use: the mappers are configured by then), not per call: an
# alias works out each of its columns the first time it is asked (about 0.2 ms a column),
# which cost every list more than running its cached query. Each sits only in a subquery
# of its own that is never correlated outwards, so one alias serves every statement,
# however many times it appears in one.
@functools.cache
def _exclusion_aliases() -> tuple:
    return aliased(RecordExclusionEnd), aliased(RecordExclusion), aliased(EntryPupil)


def in_force(exclusion=RecordExclusion):
    """A SQL condition on an exclusion: no end names it."""
    end = _exclusion_aliases()[0]
    return ~exists(select(end.id).where(end.exclusion_id == exclusion.id).correlate_except(end))


def withheld_pupils(user_id: int):
    """A SELECT of the ids of the pupils this user is excluded from now."""
    exclusion = _exclusion_aliases()[1]
    return select(exclusion.pupil_id).where(exclusion.user_id == user_id, in_force(exclusion)).correlate(None)


def kept_from_entry(user_id, entry_id):
    """A SQL condition: this user (value or column) is excluded from a pupil of this entry."""
    exclusion, link = aliased(RecordExclusion), aliased(EntryPupil)
    return exists(
        select(exclusion.id)
        .join(link, link.pupil_id == exclusion.pupil_id)
        .where(link.entry_id == entry_id, exclusion.user_id == user_id, in_force(exclusion))
        .correlate_except(exclusion, link)
    )


def _not_kept_from(user_id, pupil_ids) -> tuple:
    """WHERE clauses for a "who" query about these pupils: nobody excluded from any of them."""
    if not pupil_ids:
        return ()
    exclusion = aliased(RecordExclusion)
    return (
        ~exists(
            select(exclusion.id)
            .where(exclusion.user_id == user_id, exclusion.pupil_id.in_(list(pupil_ids)), in_force(exclusion))
            .correlate_except(exclusion)
        ),
    )


def open_pupils(user, pupil_id=Pupil.id):
    """A WHERE clause for any list of pupils or of records about one pupil (a column of
    pupil ids): none this user is excluded from."""
    a = access(user)
    if a.user_id is None:
        return false()
    return pupil_id.not_in(withheld_pupils(a.user_id))


def open_entries(user, entry_id=Entry.id):
    """A WHERE clause for any list of entries (a column of entry ids): none naming a pupil
    this user is excluded from. visible_entries includes it; lists over whole schools
    (the review queue, oversight) add it to their own rules."""
    a = access(user)
    if a.user_id is None:
        return false()
    # Its own alias, never correlated: the query it sits in may read entry_pupils too.
    link = _exclusion_aliases()[2]
    return entry_id.not_in(select(link.entry_id).where(link.pupil_id.in_(withheld_pupils(a.user_id))).correlate(None))


def withheld_pupil_ids(user) -> frozenset[int]:
    """The pupils this user is excluded from: one query a request, for single-record checks."""
    a = access(user)
    if a.user_id is None:
        return frozenset()
    cache = g.setdefault("_withheld_pupils", {})
    if a.user_id not in cache:
        cache[a.user_id] = frozenset(db.session.scalars(withheld_pupils(a.user_id)))
    return cache[a.user_id]


def exclusions_of_pupil(pupil_id: int) -> list[RecordExclusion]:
    """The exclusions from this pupil's record in force, oldest first, with who is excluded
    and by whom: one query a request (a pupil's page checks its reader, and the team's
    view lists them, from the same rows)."""
    cache = g.setdefault("_exclusions_of_pupil", {})
    if pupil_id not in cache:
        cache[pupil_id] = list(
            db.session.scalars(
                select(RecordExclusion)
                .where(RecordExclusion.pupil_id == pupil_id, in_force())
                .order_by(RecordExclusion.id)
            ).unique()
        )
    return cache[pupil_id]


def reads_about_pupil(user, pupil: Pupil | int, *, page_of_pupil: bool = False) -> bool:
    """Not excluded from this pupil's record (a pupil or their id): every single-record
    check about a pupil asks it after its own rule. From what this request has read
    already (the user's exclusions, or the pupil's); else from the user's, one query
    however many pupils a page asks about; a pupil's own page (`page_of_pupil`) reads the
    pupil's instead, which the team's view of that page lists too."""
    a = access(user)
    if a.user_id is None:
        return False
    pupil_id = pupil if isinstance(pupil, int) else pupil.id
    known = g.get("_withheld_pupils", {}).get(a.user_id)
    if known is not None:
        return pupil_id not in known
    rows = g.get("_exclusions_of_pupil", {}).get(pupil_id)
    if rows is None and page_of_pupil:
        rows = exclusions_of_pupil(pupil_id)
    if rows is not None:
        return all(x.user_id != a.user_id for x in rows)
    return pupil_id not in withheld_pupil_ids(user)


def reads_about_entry(user, entry: Entry) -> bool:
    """Not excluded from any pupil of this entry (its pupil links are read only when the
    user is excluded from someone)."""
    withheld = withheld_pupil_ids(user)
    return not withheld or not any(link.pupil_id in withheld for link in entry.entry_pupils)


# --- logging entries -------------------------------------------------------


def can_log(user) -> bool:
    return bool(access(user).log)


def loggable_school_ids(user) -> frozenset[int]:
    return access(user).log


def can_log_for_pupil(user, pupil: Pupil) -> bool:
    return pupil.active and pupil.school_id in access(user).log


# --- hearing back: what the recorder is told about what they logged ----------------


def recorded_state_school_ids(user) -> frozenset[int]:
    return access(user).recorded_state


def sees_what_they_recorded(user) -> bool:
    """The "What I logged" page: everyone who logs, with two-factor sign-in or without."""
    return bool(access(user).recorded_state)


def recorded_by_them(user):
    """A WHERE clause on Entry: what this user recorded at a school where they still work.
    Only its date, category, pupils' initials and state are shown from it (never the
    narrative, the follow-ups or a pupil's name), with the team's messages to them."""
    a = access(user)
    if a.user_id is None or not a.recorded_state:
        return false()
    return and_(Entry.recorded_by_id == a.user_id, Entry.school_id.in_(a.recorded_state), open_entries(user))


# --- reading entries -------------------------------------------------------


def _was_alerted(user_id: int, entry_id: int) -> bool:
    """Alerted as the safeguarding team, chosen by the recorder to be alerted, or given
    a task on the entry: one query whichever it is."""
    return bool(
        db.session.scalar(
            select(
                or_(
                    exists().where(Alert.entry_id == entry_id, Alert.recipient_id == user_id),
                    exists().where(EntryShare.entry_id == entry_id, EntryShare.user_id == user_id),
                    exists().where(Task.entry_id == entry_id, Task.assignee_id == user_id),
                )
            )
        )
    )


def can_view_entry(user, entry: Entry) -> bool:
    """Whole-school readers see every entry of their schools. Staff see what they
    recorded or were alerted to, while they still work at that school. A school's
    team and SLT also read the file received with a pupil (received_with_file)."""
    a = access(user)
    if a.user_id is None:
        return False
    if entry.school_id in a.read_all:
        allowed = True
    elif entry.school_id in a.read_own and (entry.recorded_by_id == a.user_id or _was_alerted(a.user_id, entry.id)):
        allowed = True
    else:
        allowed = sees_transferred_entry(user, entry)
    return allowed and reads_about_entry(user, entry)


def visible_entries(user):
    """A WHERE clause on Entry matching exactly the entries can_view_entry allows."""
    a = access(user)
    if a.user_id is None:
        return false()
    clauses = [Entry.school_id.in_(a.read_all)]
    # Schools where this user logs but does not read everything: only there do
    # "recorded by me" and "alerted to me" matter (and cost a subquery).
    partly = a.read_own - a.read_all
    if partly:
        clauses.append(
            and_(
                Entry.school_id.in_(partly),
                or_(
                    Entry.recorded_by_id == a.user_id,
                    Entry.id.in_(select(Alert.entry_id).where(Alert.recipient_id == a.user_id)),
                    Entry.id.in_(select(EntryShare.entry_id).where(EntryShare.user_id == a.user_id)),
                    Entry.id.in_(select(Task.entry_id).where(Task.assignee_id == a.user_id)),
                ),
            )
        )
    if a.review:
        clauses.append(_received_entry(a))
    return and_(or_(*clauses), open_entries(user))


def visible_entries_of_school(user, school_id: int):
    """visible_entries, for a query that reads only entries of one school: only the
    exclusions to apply for a user who reads all of that school."""
    if school_id in access(user).read_all:
        return open_entries(user)
    return visible_entries(user)


def reads_whole_school(user) -> bool:
    return bool(access(user).read_all)


def shows_full_names(user, school_id: int) -> bool:
    """Governors and trust representatives see pupils by initials only."""
    return school_id in access(user).full_names


# --- acting on entries -----------------------------------------------------


def follow_up_kinds(user, entry: Entry) -> tuple[str, ...]:
    """The kinds of follow-up this user may add to this entry (none: read-only)."""
    a = access(user)
    if entry.school_id in a.review:
        return Kind.WRITABLE + _task_and_sharing_kinds(a, entry)
    if entry.recorded_by_id == a.user_id and entry.school_id in a.read_own:
        return (Kind.NOTE,)
    return ()


def _task_and_sharing_kinds(a: Access, entry: Entry) -> tuple[str, ...]:
    """Whoever reviews an entry may give a task on it; sharing information about a
    child is the safeguarding team's decision."""
    return (Kind.TASK, Kind.INFO_SHARING) if entry.school_id in a.team else (Kind.TASK,)


def can_review(user, entry: Entry) -> bool:
    return entry.school_id in access(user).review


def can_close_or_reopen(user, entry: Entry) -> bool:
    return entry.school_id in access(user).team


def sees_alert_delivery(user, entry: Entry) -> bool:
    return entry.school_id in access(user).review


def can_retry_alerts(user, entry: Entry) -> bool:
    """Queue an entry's failed alert emails again: the safeguarding team it alerts."""
    return entry.school_id in access(user).team


def alert_retry_school_ids(user) -> frozenset[int]:
    """Schools whose failed alerts this user sees counted and may queue again: the
    safeguarding team, and admins (who see no entries, only that alerts failed)."""
    a = access(user)
    return a.team | a.admin


# --- the review queue and chronologies --------------------------------------


def review_school_ids(user) -> frozenset[int]:
    return access(user).review


def can_view_chronology(user, pupil: Pupil) -> bool:
    allowed = pupil.school_id in access(user).read_all or kept_after_transfer(user, pupil)
    return allowed and reads_about_pupil(user, pupil, page_of_pupil=True)


def search_school_ids(user) -> frozenset[int]:
    """Searching every narrative of a school: the safeguarding team and SLT."""
    return access(user).review


def oversight_school_ids(user) -> frozenset[int]:
    """The governors' and trust's read-only review: the schools they oversee."""
    return access(user).oversee


def report_school_ids(user) -> frozenset[int]:
    """Reports are counts, no pupils: for everyone who reads a whole school."""
    return access(user).read_all


def second_person_refusal(user, roles, role_name: str, school_id: int, since, by_id: int | None, what: str):
    """Why this user is not a second person to what by_id did at `since` at this school,
    holding one of these roles; None when they are. They held it before, given by someone
    other than by_id, who could otherwise make an accomplice to confirm. The pupils'
    deletion (mis/policy.py) and concerns about adults (adults/policy.py) both ask it."""
    held = [a for a in user.roles if a.role in roles and a.school_id == school_id]
    before = [a for a in held if since is not None and a.granted_at < since]
    if not before:
        return f"you became {role_name} after the person who {what} did so"
    if all(a.granted_by_id is not None and a.granted_by_id == by_id for a in before):
        return f"the person who {what} gave you your role"
    return None


# --- signing in ---------------------------------------------------------------


def two_factor_required(user) -> bool:
    return any(a.role in REQUIRES_TWO_FACTOR for a in user.roles)


def can_turn_off_two_factor(user) -> bool:
    return user.two_factor_enrolled and not two_factor_required(user)


VERIFY, ENROL = "verify", "enrol"


def pending_sign_in_step(user) -> str | None:
    """What a signed-in user must do before anything else: give their code
    (VERIFY), set up two-factor sign-in because their role needs it (ENROL), or
    nothing. An unenrolled member of staff has nothing pending: access() limits
    them to logging."""
    if not getattr(user, "is_authenticated", False) or session_verified(user):
        return None
    if user.two_factor_enrolled:
        return VERIFY
    if two_factor_required(user):
        return ENROL
    return None


def reads_records(user) -> bool:
    """False for a session that may only log (no two-factor sign-in yet)."""
    return session_verified(user)


def can_administer(user) -> bool:
    a = access(user)
    return bool(a.admin or a.admin_trusts)


# --- alerting colleagues when logging -------------------------------------------------


def alertable_school_ids(user) -> frozenset[int]:
    """Where a recorder may choose colleagues to alert: the schools they log at."""
    return access(user).log


def reads_shared_entries(user) -> bool:
    """The home page's "Shared with you": staff, who read what they were alerted to."""
    return bool(access(user).read_own)


# --- records received with a pupil's file (cpoms/transfers/) -----------------------------
# A pupil's file moves to a trust school when that school's safeguarding team accepts
# it: the pupil then belongs to the receiving school (pupil.school_id), while every
# record keeps the school that recorded it (entries' and monitoring events' school_id,
# and so the review queues, never move).
#
# The rule, for any sequence of transfers (A to B and back, and again): a school reads
# what it recorded itself, and its safeguarding team and SLT (never its governors) read
# the records about the pupil that existed when a transfer of the pupil's file into
# their school was accepted. What is written after the pupil left a school never
# reaches it. received_with_file states it once, in SQL; lists use it as a clause, the
# single-record checks run it for their one row.


def received_with_file(a: Access, pupil_id, written_at):
    """A SQL condition: a record about this pupil, written at this time, had been
    written when a transfer of the pupil's file into one of a's reviewing schools was accepted."""
    if not a.review:
        return false()
    # Aliases, and correlated on everything else however deep it is nested: the
    # query it joins may itself read transfers or a pupil's entries.
    transfer, accepted = aliased(Transfer), aliased(TransferEvent)
    return exists(
        select(accepted.id)
        .join(transfer, transfer.id == accepted.transfer_id)
        .where(
            transfer.pupil_id == pupil_id,
            transfer.to_school_id.in_(a.review),
            accepted.kind == TransferStatus.ACCEPTED,
            written_at <= accepted.at,
        )
        .correlate_except(transfer, accepted)
    )


def _received_entry(a: Access):
    """A WHERE clause on Entry: received with the file of any of its pupils."""
    link = aliased(EntryPupil)
    return exists(
        select(link.id)
        .where(link.entry_id == Entry.id, received_with_file(a, link.pupil_id, Entry.created_at))
        .correlate_except(link)
    )


def _sending_schools(pupil_id):
    """The schools a pupil's file was accepted from."""
    return select(Transfer.from_school_id).where(
        Transfer.pupil_id == pupil_id, Transfer.status == TransferStatus.ACCEPTED
    )


def _schools_file_left(pupil: Pupil) -> frozenset[int]:
    """The schools this pupil's file was accepted from: one query per pupil and request."""
    cache = g.setdefault("_schools_file_left", {})
    if pupil.id not in cache:
        cache[pupil.id] = frozenset(db.session.scalars(_sending_schools(pupil.id)))
    return cache[pupil.id]


def kept_after_transfer(user, pupil: Pupil) -> bool:
    """A chronology stays open to whole-school readers of a school the pupil's file left:
    it shows them what they recorded and what they received, nothing written since."""
    a = access(user)
    return bool(a.read_all) and bool(_schools_file_left(pupil) & a.read_all)


def shows_full_name_of(user, pupil: Pupil) -> bool:
    """shows_full_names for one pupil: at their school, or at a school their file left."""
    a = access(user)
    if pupil.school_id in a.full_names:
        return True
    return bool(a.full_names) and bool(_schools_file_left(pupil) & a.full_names)


def pupil_entries(user, pupil: Pupil):
    """A WHERE clause on Entry (already narrowed to this pupil's entries) for the
    chronology and its exports: what visible_entries allows, received files included."""
    return visible_entries(user)


def sees_transferred_entry(user, entry: Entry) -> bool:
    """One entry received with a pupil's file (for the entry page): the list's rule, run
    for this row. A query only where the ordinary rules said no."""
    a = access(user)
    if not a.review:
        return False
    return db.session.scalar(select(Entry.id).where(Entry.id == entry.id, _received_entry(a))) is not None


FULL_NAME, INITIALS, ANOTHER_PUPIL = "full name", "initials", "another pupil"


def pupil_naming(user, pupil: Pupil, entry: Entry | None = None) -> str:
    """How a pupil on an entry is named to this reader. The entry's school and the pupil's
    own school differ only once a file has moved: the recording school still names the
    pupils of its entry, the receiving school its new pupil; and the other pupils of a
    shared entry in a received file, pupils of a school the reader has no part in, are
    "another pupil". Without an entry (a pupil's own page, a header): by full name or initials."""
    if entry is None:
        return FULL_NAME if shows_full_name_of(user, pupil) else INITIALS
    a = access(user)
    schools = {entry.school_id, pupil.school_id}
    if schools & a.full_names:
        return FULL_NAME
    if schools & (a.read_all | a.read_own):
        return INITIALS
    return ANOTHER_PUPIL


def recorded_state_naming(pupil_id: int, entry: Entry) -> str:
    """How a pupil is named where a recorder hears back (their "What I logged" page, the
    emails telling them, the team's messages there): by initials whoever reads, as the page
    is read without two-factor sign-in; a pupil not on the entry is "another pupil"."""
    return INITIALS if any(link.pupil_id == pupil_id for link in entry.entry_pupils) else ANOTHER_PUPIL


# --- one record each, for loaders.py -------------------------------------------------


def can_view_follow_up(user, follow_up) -> bool:
    """A follow-up is part of its entry."""
    return can_view_entry(user, follow_up.entry)
