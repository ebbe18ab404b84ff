"""The fields a follow-up form gains for a task and for information sharing, and
their checks: required only for their own kind, each with its own message."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .. import policy
from ..common import uk_today
from ..extensions import db
from ..formfields import choices
from ..models import Entry, Kind, User
from .dates import FURTHEST

LONG = Length(max=20000, message="Keep this under 20,000 characters.")
CONSENT = {"yes": "Yes", "no": "No"}


def _blank(field) -> bool:
    return not (field.data or "").strip()


class TaskFields:
    assignee = SelectField("Give the task to", validate_choice=False, validators=[Optional()])
    due_on = DateField("Due by", validators=[Optional()])

    def validate_task(self) -> bool:
        valid = True
        offered = {c.value for c in self.assignee.choices or () if c.value}
        if not self.assignee.data:
            self.assignee.errors.append("Choose who the task is for.")
            valid = False
        elif self.assignee.data not in offered:
            self.assignee.errors.append("Choose a member of staff of this school from the list.")
            valid = False
        if self.due_on.data is None:
            if not self.due_on.errors:
                self.due_on.errors.append("Enter the date the task is due by.")
            valid = False
        elif self.due_on.data < uk_today():
            self.due_on.errors.append("The due date cannot be in the past.")
            valid = False
        elif self.due_on.data > uk_today() + FURTHEST:
            self.due_on.errors.append("Choose a due date within the next year.")
            valid = False
        return valid


class SharingFields:
    shared_with = StringField("Shared with (agency or person)", validators=[Optional(), Length(max=200)])
    shared_what = TextAreaField("What was shared", validators=[Optional(), LONG])
    share_purpose = TextAreaField("Why it was shared", validators=[Optional(), LONG])
    share_basis = TextAreaField("Lawful basis or reason for sharing", validators=[Optional(), LONG])
    consent_sought = RadioField("Was consent sought?", choices=choices(CONSENT.items()), validators=[Optional()])
    consent_note = TextAreaField("Why consent was not sought", validators=[Optional(), LONG])

    def validate_sharing(self) -> bool:
        required = (
            (self.shared_with, "Say who the information was shared with."),
            (self.shared_what, "Say what was shared."),
            (self.share_purpose, "Say why it was shared."),
            (self.share_basis, "Give the lawful basis or reason for sharing."),
        )
        valid = True
        for field, message in required:
            if _blank(field) and not field.errors:
                field.errors.append(message)
                valid = False
        if self.consent_sought.data not in CONSENT:
            if not self.consent_sought.errors:
                self.consent_sought.errors.append("Say whether consent was sought.")
            valid = False
        elif self.consent_sought.data == "no" and _blank(self.consent_note) and not self.consent_note.errors:
            self.consent_note.errors.append("Say why consent was not sought.")
            valid = False
        return valid

    def sharing_values(self) -> dict:
        """The columns of an information-sharing follow-up (none for other kinds)."""
        if self.kind.data != Kind.INFO_SHARING:
            return {}
        return {
            "shared_with": self.shared_with.data,
            "shared_what": self.shared_what.data,
            "share_purpose": self.share_purpose.data,
            "share_basis": self.share_basis.data,
            "consent_sought": self.consent_sought.data == "yes",
            "consent_note": self.consent_note.data if self.consent_sought.data == "no" else None,
        }


class TaskAndSharingFields(TaskFields, SharingFields):
    def validate_kind_fields(self) -> bool:
        if self.kind.errors:  # a kind not offered: its fields mean nothing
            return True
        if self.kind.data == Kind.TASK:
            return self.validate_task()
        if self.kind.data == Kind.INFO_SHARING:
            return self.validate_sharing()
        return True


def staff_of(entry: Entry) -> list[tuple[int, str]]:
    """Active staff of the entry's school not excluded from its pupils, by name: who a task
    on it can be given to, as (id, name): the list is read for every entry page, and a
    whole user row is not needed for an option."""
    return list(
        db.session.execute(
            policy.holders(policy.ASSIGNABLE, [entry.school_id], [link.pupil_id for link in entry.entry_pupils])
            .with_only_columns(User.id, User.name)
            .order_by(User.name, User.id)
        )
    )


def offer_staff(form, entry: Entry) -> None:
    """The people the task can go to; asked only where the form offers tasks."""
    form.assignee.choices = choices(
        [("", "Choose a member of staff"), *((str(user_id), name) for user_id, name in staff_of(entry))]
    )
