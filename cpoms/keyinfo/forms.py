"""The forms of key information and police notifications."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..common import uk_today
from ..formfields import EARLIEST, OnceForm, UKDateTimeField, as_id, choices, person_name
from .models import AbuseCategory, StatusKind

NOTE = Length(max=20000, message="Keep this under 20,000 characters.")
NAME = Length(max=200, message="Keep this under 200 characters.")


def _not_future_nor_ancient(form, field) -> None:
    if field.data is None:
        return
    if field.data > uk_today():
        raise ValidationError("This date cannot be in the future.")
    if field.data < EARLIEST.date():
        raise ValidationError("Enter a date from 2000 onwards.")


class StatusForm(OnceForm):
    kind = SelectField("Status", coerce=str, validate_choice=False, validators=[InputRequired("Choose the status.")])
    starts_on = DateField("Since", validators=[InputRequired("Enter the date it started."), _not_future_nor_ancient])
    category_of_abuse = SelectField(
        "Category of abuse (child protection plan)",
        choices=choices([("", "Choose a category"), *AbuseCategory.LABELS.items()]),
        validate_choice=False,
    )
    authority = StringField(
        "Local authority (plans), or responsible authority (looked-after)", validators=[Optional(), NAME]
    )
    contact = StringField(
        "Virtual school contact (looked-after), or lead professional (Early Help)",
        validators=[Optional(), NAME, person_name],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), NOTE])

    def chosen(self, flags: dict[int, object]) -> tuple[str, object | None]:
        """The kind and, for "other", the trust's flag chosen (values "flag-<id>"); an
        unknown choice is an error on its field."""
        value = self.kind.data or ""
        if self.kind.errors:  # none chosen
            return value, None
        if value.startswith("flag-"):
            flag = flags.get(as_id(value[5:]))
            if flag is None:
                self.kind.errors = ["Choose one of the statuses listed."]
            return StatusKind.OTHER, flag
        if value not in StatusKind.ALL or value == StatusKind.OTHER:
            self.kind.errors = ["Choose one of the statuses listed."]
            return value, None
        if value == StatusKind.CP_PLAN and self.category_of_abuse.data not in AbuseCategory.LABELS:
            self.category_of_abuse.errors = ["Choose the category of abuse the plan is under."]
        if value in StatusKind.WITH_AUTHORITY and not (self.authority.data or "").strip():
            self.authority.errors = ["Enter the local authority."]
        return value, None


class EndStatusForm(OnceForm):
    ends_on = DateField("Ended on", validators=[InputRequired("Enter the date it ended."), _not_future_nor_ancient])
    note = TextAreaField("Why it ended (optional)", validators=[Optional(), NOTE])


class FlagForm(OnceForm):
    name = StringField(
        "Name of the flag",
        validators=[
            DataRequired("Enter the flag's name."),
            Length(max=80, message="Keep the name under 80 characters."),
        ],
    )


class PoliceNotificationForm(OnceForm):
    incident_at = UKDateTimeField(
        "When did the incident happen?", validators=[InputRequired("Enter when the incident happened.")]
    )
    child_present = RadioField(
        "Was the child present?",
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Say whether the child was present.")],
    )
    officer = StringField(
        "Notifying officer",
        validators=[DataRequired("Enter the notifying officer's name."), NAME, person_name],
    )
    force_reference = StringField(
        "Force reference",
        validators=[
            DataRequired("Enter the police reference."),
            Length(max=100, message="Keep the reference under 100 characters."),
        ],
    )
    shared = TextAreaField("What the police shared", validators=[DataRequired("Write what the police shared."), NOTE])
    key_adult = SelectField("The key adult told", coerce=str, validate_choice=False)

    def chosen_key_adult(self, staff: dict[int, object]):
        person = staff.get(as_id(self.key_adult.data or ""))
        if person is None:
            self.key_adult.errors = ["Choose the key adult from the school's staff."]
        return person
