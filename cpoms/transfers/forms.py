from __future__ import annotations

import re
from datetime import date

from wtforms import DateField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..formfields import BaseForm, OnceForm, choices
from ..timefmt import now_utc, to_uk
from .models import TransferMethod

OUTSIDE = "outside"  # the destination choice for a school that is not in the trust
EARLIEST = date(2000, 1, 1)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PastDateField(DateField):
    """A day no later than today in the UK, and not before 2000."""

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < EARLIEST:
            raise ValidationError("Enter a date from 2000 onwards.")
        if self.data > to_uk(now_utc()).date():
            raise ValidationError("This cannot be in the future.")


def _text(label, max_length, required=None, **kwargs):
    # Not Optional(): it would stop the checks that make these required for an outside school.
    checks = [DataRequired(required)] if required else []
    return StringField(
        label,
        validators=[*checks, Length(max=max_length, message=f"Keep this under {max_length} characters.")],
        **kwargs,
    )


class StartTransferForm(OnceForm):
    destination = SelectField(
        "Destination school", validators=[InputRequired("Choose the school the pupil is going to.")]
    )
    destination_name = _text("School name", 200)
    contact_name = _text("Contact at that school (usually their DSL)", 200)
    contact_email = EmailField("Contact's email address", validators=[Length(max=254)])
    method = RadioField(
        "How the file goes",
        choices=choices(TransferMethod.LABELS.items()),
        validators=[InputRequired("Choose how the file is sent.")],
    )
    sent_on = PastDateField("Date sent", validators=[Optional()])

    def validate_destination_name(self, field):
        if self.destination.data == OUTSIDE and not (field.data or "").strip():
            raise ValidationError("Enter the name of the school the pupil is going to.")

    def validate_contact_name(self, field):
        if self.destination.data == OUTSIDE and not (field.data or "").strip():
            raise ValidationError("Enter who at that school receives the file.")

    def validate_contact_email(self, field):
        if self.destination.data != OUTSIDE:
            return  # not kept for a trust school: its team is known
        value = (field.data or "").strip()
        if not value:
            raise ValidationError("Enter the contact's email address.")
        if not EMAIL.match(value):
            raise ValidationError("Enter an email address like name@school.example.org.")


class SentForm(BaseForm):
    sent_on = PastDateField("Date sent", validators=[InputRequired("Enter the date the file was sent.")])


class AcceptForm(BaseForm):
    """A button: the CSRF token is all it carries."""


class DeclineForm(BaseForm):
    reason = TextAreaField(
        "Why you are declining it",
        validators=[
            DataRequired("Say why you are declining the file."),
            Length(max=2000, message="Keep this under 2,000 characters."),
        ],
    )


class ReceiptForm(OnceForm):
    confirmed_by = _text("Who confirmed receipt", 200, required="Enter who at the receiving school confirmed receipt.")
    on_date = PastDateField("Date received", validators=[InputRequired("Enter the date receipt was confirmed.")])
    note = TextAreaField(
        "Note (optional)", validators=[Optional(), Length(max=2000, message="Keep this under 2,000 characters.")]
    )


class SubjectAccessForm(BaseForm):
    """A button: the CSRF token is all it carries."""
