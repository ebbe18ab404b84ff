"""Who may see and do what: the one place. Routes and templates ask these
functions; nothing else looks at role assignments to decide a permission."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from .extensions import db
from .models import (
    Alert,
    AuditEvent,
    Entry,
    EntryPupil,
    EntryShare,
    Kind,
    MonitoringEvent,
    Pupil,
    Role,
    RoleAssignment,
    School,
    Task,
    Transfer,
    TransferEvent,
    TransferStatus,
    User,
)

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
REQUIRES_TWO_FACTOR = READS_WHOLE_SCHOOL | ADMINISTERS
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


def holders(capability: str, school_ids):
    """A SELECT of the active users who hold this capability at any of these schools
    (callers add their order): the same answer access() gives each of them."""
    on, granting = _grants_at(capability)
    return select(User).where(
        User.active.is_(True),
        User.id.in_(select(RoleAssignment.user_id).join(School, on).where(granting, School.id.in_(school_ids))),
    )


def holders_with_roles(capability: str, school_ids):
    """As holders(), one row per (user, school, role) that grants it: for pickers that say
    where and as what each person works."""
    on, granting = _grants_at(capability)
    return (
        select(User, School, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(School, on)
        .where(granting, School.id.in_(school_ids), User.active.is_(True))
    )


def holds(capability: str, user_id, school_id):
    """A SQL condition: this user (a column or a value), active, holds the capability at
    this school. Its own aliases: the query it sits in may read the same tables."""
    assignment, school, person = aliased(RoleAssignment), aliased(School), aliased(User)
    on, granting = _grants_at(capability, assignment, school)
    return exists(
        select(assignment.id)
        .join(school, on)
        .join(person, person.id == assignment.user_id)
        .where(granting, assignment.user_id == user_id, school.id == school_id, person.active.is_(True))
        .correlate_except(assignment, school, person)
    )


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
    return and_(Entry.recorded_by_id == a.user_id, Entry.school_id.in_(a.recorded_state))


def sees_recorder_messages(user, entry: Entry) -> bool:
    """The messages sent to an entry's recorder, on the entry page: the safeguarding team."""
    return entry.school_id in access(user).team


def can_message_recorder(user, entry: Entry) -> bool:
    """A short message to the person who logged an entry: the safeguarding team, about
    someone else's entry (whether they can still receive it: message_recorder_refusal)."""
    a = access(user)
    return entry.school_id in a.team and entry.recorded_by_id != a.user_id


def message_recorder_refusal(user, entry: Entry) -> str | None:
    """Why this message cannot go; None when it can. The recorder must still be told at
    that school (active, holding RECORDED_STATE there), or the message would go unread."""
    if not can_message_recorder(user, entry):
        return "only the safeguarding team sends a message to the person who logged an entry"
    still_there = db.session.scalar(select(holds(RECORDED_STATE, entry.recorded_by_id, entry.school_id)))
    if not still_there:
        return "the person who logged this no longer works at the school, so they could not read a message"
    return None


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
        return True
    if entry.school_id in a.read_own and (entry.recorded_by_id == a.user_id or _was_alerted(a.user_id, entry.id)):
        return True
    return sees_transferred_entry(user, entry)


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
    return or_(*clauses)


def visible_entries_of_school(user, school_id: int):
    """visible_entries, for a query that reads only entries of one school: no clause to
    build or run for a user who reads all of that school."""
    if school_id in access(user).read_all:
        return true()
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
    return pupil.school_id in access(user).read_all or kept_after_transfer(user, pupil)


def can_see_record_viewers(user, pupil: Pupil) -> bool:
    """Who has looked at a child's record is itself sensitive: the safeguarding team only."""
    return pupil.school_id in access(user).team


def can_mark_key_events(user, entry: Entry) -> bool:
    """What counts as a key event in a child's chronology: the safeguarding team decides."""
    return entry.school_id in access(user).team


def search_school_ids(user) -> frozenset[int]:
    """Searching every narrative of a school: the safeguarding team and SLT."""
    return access(user).review


def oversight_school_ids(user) -> frozenset[int]:
    """The governors' and trust's read-only review: the schools they oversee."""
    return access(user).oversee


def report_school_ids(user) -> frozenset[int]:
    """Reports are counts, no pupils: for everyone who reads a whole school."""
    return access(user).read_all


# --- administration ---------------------------------------------------------


def audit_log_scope(user):
    """The schools whose audit log this user may read, and a WHERE clause on AuditEvent
    matching exactly their events. An event belongs to the school it names (audit.record
    takes it from the entry or pupil). One that names none (signing in, a password
    change) belongs to a school's admins only when its actor works at their schools
    alone, and names no pupil or entry: what someone also did elsewhere is not theirs.
    A trust admin also reads the events of nobody at no school (the command line's)."""
    a = access(user)
    if not a.admin:
        return a.admin, false()
    elsewhere = select(RoleAssignment.user_id).where(
        or_(
            RoleAssignment.school_id.not_in(a.admin),
            and_(RoleAssignment.school_id.is_(None), RoleAssignment.trust_id.not_in(a.admin_trusts)),
        )
    )
    only_here = select(RoleAssignment.user_id).where(
        or_(RoleAssignment.school_id.in_(a.admin), RoleAssignment.trust_id.in_(a.admin_trusts)),
        RoleAssignment.user_id.not_in(elsewhere),
    )
    scope = [
        AuditEvent.school_id.in_(a.admin),
        and_(
            AuditEvent.school_id.is_(None),
            AuditEvent.pupil_id.is_(None),
            AuditEvent.entry_id.is_(None),
            AuditEvent.user_id.in_(only_here),
        ),
    ]
    if a.admin_trusts:
        scope.append(and_(AuditEvent.school_id.is_(None), AuditEvent.user_id.is_(None)))
    return a.admin, or_(*scope)


# --- the recording guidance and category descriptions ------------------------


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


def can_edit_categories(user) -> bool:
    """Categories are shared by every school of the trust: a trust-wide setting, changed by
    the trust's administrators only, never by one school's (DESIGN.md)."""
    return bool(access(user).admin_trusts)


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


# --- administering accounts ------------------------------------------------------


def can_administer(user) -> bool:
    a = access(user)
    return bool(a.admin or a.admin_trusts)


def administered_users(user):
    """A WHERE clause on User: the people with a role where this user is an admin."""
    a = access(user)
    if not (a.admin or a.admin_trusts):
        return false()
    return User.id.in_(
        select(RoleAssignment.user_id).where(
            or_(
                RoleAssignment.school_id.in_(a.admin),
                RoleAssignment.trust_id.in_(a.admin_trusts),
                RoleAssignment.school_id.in_(select(School.id).where(School.trust_id.in_(a.admin_trusts))),
            )
        )
    )


def can_administer_user(user, target) -> bool:
    """An admin of a school acts on the accounts of people with a role there (a
    trust admin, across the trust); never on their own account from here."""
    a = access(user)
    if target is None or a.user_id in (None, target.id):
        return False
    for role in target.roles:
        school_trust = role.school.trust_id if role.school is not None else None
        if role.school_id in a.admin or role.trust_id in a.admin_trusts or school_trust in a.admin_trusts:
            return True
    return False


# --- pupils from the MIS ----------------------------------------------------------


def pupil_import_school_ids(user) -> frozenset[int]:
    """Schools whose pupil list this user may import: their admins (trust admins, the trust's)."""
    return access(user).admin


def can_see_pupil_import(user, upload) -> bool:
    """An uploaded file's preview: only the admin who uploaded it, while they administer the school."""
    a = access(user)
    return upload.uploaded_by_id == a.user_id and upload.school_id in a.admin


# --- concerns that evolve: later categories, amendments, linked entries -------------


def can_add_category(user, entry: Entry) -> bool:
    """A later categorisation ("now also: safeguarding"): the safeguarding team."""
    return entry.school_id in access(user).team


def can_amend(user, entry: Entry, follow_up=None) -> bool:
    """A correction to the narrative (no follow-up) or to a follow-up: the safeguarding
    team, or the recorder on their own entry (for follow-ups, only those they wrote)."""
    a = access(user)
    if entry.school_id in a.team:
        return True
    if entry.recorded_by_id != a.user_id or entry.school_id not in a.read_own:
        return False
    return follow_up is None or follow_up.author_id == a.user_id


def can_link_entries(user, entry: Entry) -> bool:
    return entry.school_id in access(user).team


def can_link_to(user, entry: Entry, other: Entry) -> bool:
    """The other end of a link: an entry of the same school that this user may read."""
    return other.school_id == entry.school_id and can_view_entry(user, other)


# --- pupils' roles and alerting staff when logging -------------------------------------


def alertable_school_ids(user) -> frozenset[int]:
    """Where a recorder may choose colleagues to alert: the schools they log at."""
    return access(user).log


def reads_shared_entries(user) -> bool:
    """The home page's "Shared with you": staff, who read what they were alerted to."""
    return bool(access(user).read_own)


# --- tasks, information sharing and monitoring ------------------------------------


def _task_and_sharing_kinds(a: Access, entry: Entry) -> tuple[str, ...]:
    """Whoever reviews an entry may give a task on it; sharing information about a
    child is the safeguarding team's decision."""
    return (Kind.TASK, Kind.INFO_SHARING) if entry.school_id in a.team else (Kind.TASK,)


def task_school_ids(user) -> frozenset[int]:
    """Schools whose tasks a user sees on their home page: those they still log at
    (someone who has left keeps no tasks there)."""
    return access(user).read_own


def can_complete_task(user, task) -> bool:
    """The person the task was given to, while at that school; and the school's reviewers."""
    a = access(user)
    if task.school_id in a.review:
        return True
    return task.assignee_id == a.user_id and task.school_id in a.read_own


def can_manage_monitoring(user, pupil: Pupil) -> bool:
    """Putting a pupil on the monitoring list, reviewing and ending it: the safeguarding team."""
    return pupil.school_id in access(user).team


def monitoring_list_school_ids(user) -> frozenset[int]:
    """The monitored pupils on the review page: whoever uses it (the team and SLT)."""
    return access(user).review


# --- child-protection file transfers and subject-access exports (cpoms/transfers/) ---
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


def visible_monitoring(user):
    """A WHERE clause on MonitoringEvent, as for entries: recorded by a school this
    user reads as a whole, or received with the pupil's file."""
    a = access(user)
    if a.user_id is None:
        return false()
    return or_(
        MonitoringEvent.school_id.in_(a.read_all), received_with_file(a, MonitoringEvent.pupil_id, MonitoringEvent.at)
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


def transfer_school_ids(user) -> frozenset[int]:
    """The transfer dashboard: the safeguarding team, of the schools it sends from and receives at."""
    return access(user).team


def can_start_transfer(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team


def can_view_transfer(user, transfer) -> bool:
    team = access(user).team
    return transfer.from_school_id in team or (transfer.to_school_id is not None and transfer.to_school_id in team)


def can_send_transfer(user, transfer) -> bool:
    """Mark as sent, download the pack, record the receipt: the sending school's team."""
    return transfer.from_school_id in access(user).team


def can_receive_transfer(user, transfer) -> bool:
    """Accept or decline a file sent to a trust school: that school's safeguarding team."""
    return transfer.to_school_id is not None and transfer.to_school_id in access(user).team


def sees_pupil_transfers(user, pupil: Pupil) -> bool:
    """The transfers of a pupil's file, listed on their chronology: the safeguarding team and SLT of
    the pupil's school, and the safeguarding team of a school the file was accepted from."""
    a = access(user)
    return pupil.school_id in a.review or (bool(a.team) and kept_after_transfer(user, pupil))


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


def can_produce_subject_access(user, pupil: Pupil) -> bool:
    return pupil.school_id in access(user).team


# --- attachments and the body map ----------------------------------------------------


def can_add_attachment(user, entry: Entry) -> bool:
    """Whoever may add a follow-up to an entry may attach files to it."""
    return bool(follow_up_kinds(user, entry))


def can_open_attachments(user, school_id: int) -> bool:
    """Governors and trust representatives see pupils by initials only; a photo, a letter
    or even a file's name may well show the child's full name, so they see only how many
    files an entry has (unless they also work at the school)."""
    a = access(user)
    return school_id in a.full_names or school_id not in a.oversee


def can_read_attachment(user, entry: Entry) -> bool:
    """An attachment is part of its entry: whoever may read the entry with pupils' full
    names may read it."""
    return can_open_attachments(user, entry.school_id) and can_view_entry(user, entry)


# --- administration: accounts, roles, categories, schools -----------------------------

# Roles an admin gives at a school. Trust representatives and trust-wide admins are
# given across a trust, by that trust's admins only.
SCHOOL_ROLES = (Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.GOVERNOR, Role.ADMIN)
TRUST_ROLES = (Role.TRUST_REP, Role.ADMIN)


def grantable_roles(user) -> list[tuple[str, int | None, int | None]]:
    """(role, school_id, trust_id) this user may give or take away: school roles at the
    schools they administer, trust-wide roles in the trusts they administer."""
    a = access(user)
    at_schools = [(role, school_id, None) for school_id in sorted(a.admin) for role in SCHOOL_ROLES]
    across_trusts = [(role, None, trust_id) for trust_id in sorted(a.admin_trusts) for role in TRUST_ROLES]
    return at_schools + across_trusts


def can_grant(user, role: str, school_id: int | None, trust_id: int | None) -> bool:
    a = access(user)
    if school_id is not None:
        return trust_id is None and role in SCHOOL_ROLES and school_id in a.admin
    return trust_id is not None and role in TRUST_ROLES and trust_id in a.admin_trusts


def grant_refusal(user, target, role: str, school_id: int | None, trust_id: int | None) -> str | None:
    """Why this user may not give this role to target, or take it away (target None: an
    account about to be made); None when they may. The one rule for every way a role
    changes hands: the users page and the staff import, on the web and the command line."""
    a = access(user)
    if a.user_id is None:
        return "only a signed-in administrator gives or removes roles"
    if target is not None and target.id == a.user_id:
        return "nobody gives themselves a role or removes their own: another administrator must"
    if not can_grant(user, role, school_id, trust_id):
        return f"you cannot give or remove the role {Role.LABELS.get(role, role)} there"
    return None


def can_deactivate_user(user, target) -> bool:
    """Deactivating ends a whole account: only for someone every role of whom this
    admin administers. Anyone else loses their role here instead."""
    return can_administer_user(user, target) and all(
        can_grant(user, r.role, r.school_id, r.trust_id) for r in target.roles
    )


def can_manage_schools(user) -> bool:
    return bool(access(user).admin_trusts)


def manageable_trust_ids(user) -> frozenset[int]:
    return access(user).admin_trusts


# --- deletion after the retention review ------------------------------------------------


def can_propose_deletion(user, pupil) -> bool:
    return pupil is not None and pupil.school_id in access(user).admin


def deletion_confirm_school_ids(user) -> frozenset[int]:
    """Where a user is a DSL (deputies and admins are not): whose proposals they see."""
    return access(user).confirms_deletion


def deletion_confirm_refusal(user, proposal) -> str | None:
    """Why this user may not confirm this proposal; None when they may. Two people: a DSL of
    the pupil's school who did not propose it, who held that role before it was proposed,
    and was not given it by the proposer (who could otherwise make a DSL to confirm)."""
    if proposal is None or proposal.confirmed_at is not None:
        return "this proposal is no longer waiting"
    if proposal.school_id not in deletion_confirm_school_ids(user):
        return "only a designated safeguarding lead of the pupil's school confirms"
    if proposal.proposed_by_id == access(user).user_id:
        return "you proposed it"
    return _dependence(user, proposal.school_id, proposal.proposed_at, proposal.proposed_by_id, "proposed it")


def _dependence(user, school_id: int, since, by_id: int | None, what: str) -> str | None:
    """Why a DSL is not a second person to what by_id did at since: they became a DSL
    only afterwards, or by_id gave them the role."""
    held = [a for a in user.roles if a.role == Role.DSL and a.school_id == school_id]
    before = [a for a in held if since is not None and a.granted_at < since]
    if not before:
        return f"you became a designated safeguarding lead after the person who {what} did so"
    if all(a.granted_by_id is not None and a.granted_by_id == by_id for a in before):
        return f"the person who {what} gave you your role"
    return None


def can_confirm_deletion(user, proposal) -> bool:
    return deletion_confirm_refusal(user, proposal) is None


def can_withdraw_deletion(user, proposal) -> bool:
    """The proposer's school's admins, or the DSL asked to confirm, may withdraw it."""
    return (
        proposal is not None
        and proposal.confirmed_at is None
        and (proposal.school_id in access(user).admin or proposal.school_id in deletion_confirm_school_ids(user))
    )


# --- one record each, for loaders.py -------------------------------------------------


def can_view_follow_up(user, follow_up) -> bool:
    """A follow-up is part of its entry."""
    return can_view_entry(user, follow_up.entry)


def can_view_task(user, task) -> bool:
    """A task is part of its entry: whoever reads the entry sees it (completing it is can_complete_task)."""
    return can_view_entry(user, task.entry)


def can_open_attachment(user, attachment) -> bool:
    entry = db.session.get(Entry, attachment.entry_id)
    return entry is not None and can_read_attachment(user, entry)


def can_see_deletion_proposal(user, proposal) -> bool:
    """A deletion still waiting for its second person, to the admins who propose and the
    DSLs who confirm at its school (what each may do with it: can_confirm/can_withdraw_deletion)."""
    return proposal.confirmed_at is None and (
        proposal.school_id in deletion_confirm_school_ids(user) or proposal.school_id in pupil_import_school_ids(user)
    )


def can_see_role_assignment(user, assignment) -> bool:
    """A role is seen by whoever administers its holder (taking it away is can_grant)."""
    return can_administer_user(user, assignment.user)


def can_view_category(user, category) -> bool:
    """Categories are shared by every school: everyone with a role sees them (changing them: can_edit_categories)."""
    return bool(access(user).member or access(user).admin_trusts)


def can_manage_school(user, school) -> bool:
    return school.trust_id in manageable_trust_ids(user)


def can_read_guidance_version(user, version) -> bool:
    return can_read_guidance_of(user, version.school_id, version.trust_id)


def sees_date_of_birth_change(user, pupil) -> bool:
    """The DSLs of a pupil's school see an earlier date of birth from the MIS, to accept it."""
    return pupil is not None and pupil.school_id in deletion_confirm_school_ids(user)


def date_of_birth_refusal(user, pupil) -> str | None:
    """Why this user may not accept an earlier date of birth from the MIS, which brings a
    deletion closer; None when they may: a DSL of the pupil's school, a second person to
    whoever imported it, as for confirming a deletion."""
    if not sees_date_of_birth_change(user, pupil):
        return "only a designated safeguarding lead of the pupil's school accepts it"
    if pupil.retention_date_of_birth is None:
        return "there is no changed date of birth to accept"
    if pupil.retention_flagged_by_id == access(user).user_id:
        return "you imported it"
    return _dependence(user, pupil.school_id, pupil.retention_flagged_at, pupil.retention_flagged_by_id, "imported it")
