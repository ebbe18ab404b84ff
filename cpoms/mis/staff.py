"""Staff from the MIS (name, email, role): each row adds a person, or a role at the
school to someone who has an account already. Nobody is removed or demoted here:
deactivating is the admin's decision on the users page. Every role is given by the
importing admin, under the same rule as on the users page (policy.grant_refusal): a row
asking for a role they may not give, their own account's included, is an error row."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ..admin import operations
from ..admin import policy as admin_policy
from ..extensions import db
from ..formfields import name_problem
from ..models import Role, School, User
from .csvfile import Column, Row, decode, read
from .pupils import ERROR, NEW, UNCHANGED, UPDATED, Outcome, Plan

COLUMNS = (
    Column("name", "Name", ("name", "fullname", "staffname", "displayname")),
    Column("email", "Email", ("email", "emailaddress", "workemail", "schoolemail")),
    Column("role", "Role", ("role", "concernlogrole", "staffrole"), False),
)
# What an MIS or a person may write, as heading_key() leaves it, to the role it means.
ROLE_WORDS = {
    "staff": Role.STAFF,
    "teacher": Role.STAFF,
    "teachingassistant": Role.STAFF,
    "ta": Role.STAFF,
    "dsl": Role.DSL,
    "designatedsafeguardinglead": Role.DSL,
    "deputydsl": Role.DEPUTY_DSL,
    "ddsl": Role.DEPUTY_DSL,
    "slt": Role.SLT,
    "seniorleadership": Role.SLT,
    "headteacher": Role.SLT,
    "governor": Role.GOVERNOR,
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def parse(data: bytes) -> list[Row]:
    return read(decode(data), COLUMNS)


def plan(school: School, rows: list[Row], by: User) -> Plan:
    """by: the admin importing the file, who gives every role in it."""
    emails = [r.values["email"].strip().lower() for r in rows]
    people = {
        u.email.lower(): u
        for chunk in range(0, len(emails), 500)
        for u in db.session.scalars(select(User).where(func.lower(User.email).in_(emails[chunk : chunk + 500])))
    }
    first_line: dict[str, int] = {}
    outcomes = []
    for row, email in zip(rows, emails):
        name, role = row.values["name"], _role(row.values.get("role", ""))
        problem = (
            f"the line {row.problem}"
            if row.problem
            else "the name is blank"
            if not name
            else "the name is longer than 200 characters"
            if len(name) > 200
            else bad_name
            if (bad_name := name_problem(name))
            else f"the email {email[:60]!r} is not an email address"
            if not EMAIL.fullmatch(email) or len(email) > 254
            else f"the role {row.values.get('role', '')[:30]!r} is not one of staff, DSL, deputy DSL, SLT, governor or admin"
            if role is None
            else f"the email {email} is also on line {first_line[email]}"
            if email in first_line
            else None
        )
        first_line.setdefault(email, row.line)
        if problem:
            outcomes.append(Outcome(row.line, email, name, ERROR, problem))
            continue
        person = people.get(email)
        values = {"name": name, "email": email, "role": role}
        refusal = admin_policy.grant_refusal(by, person, role, school.id, None)
        if refusal and not (person is not None and _holds(person, role, school)):
            outcomes.append(Outcome(row.line, email, name, ERROR, f"{Role.LABELS[role]}: {refusal}"))
            continue
        if person is None:
            outcomes.append(Outcome(row.line, email, name, NEW, f"new account: {Role.LABELS[role]}", values))
        elif _holds(person, role, school):
            outcomes.append(Outcome(row.line, email, name, UNCHANGED, values=values, record_id=person.id))
        else:
            outcomes.append(
                Outcome(row.line, email, name, UPDATED, f"adds the role {Role.LABELS[role]}", values, person.id)
            )
    return Plan(school.id, outcomes)


def apply(plan: Plan, by: User) -> dict[str, int]:
    """New accounts have no usable password: they choose one with "Forgotten your password?".
    Each role is given through the one operation that gives roles, which checks and audits it."""
    for outcome in plan.of(NEW):
        operations.create_user(
            by,
            outcome.values["name"],
            outcome.values["email"],
            (outcome.values["role"], plan.school_id, None),
            via=operations.STAFF_IMPORT,
            mail=False,
        )
    for outcome in plan.of(UPDATED):
        operations.add_role(
            by,
            db.session.get(User, outcome.record_id),
            (outcome.values["role"], plan.school_id, None),
            via=operations.STAFF_IMPORT,
        )
    db.session.flush()
    return plan.counts()


def _holds(person: User, role: str, school: School) -> bool:
    return any((a.role, a.school_id) == (role, school.id) for a in person.roles)


def _role(text: str) -> str | None:
    key = re.sub(r"[^a-z]", "", text.lower())
    return ROLE_WORDS.get(key or "staff")
