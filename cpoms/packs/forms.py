from __future__ import annotations

import re

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..formfields import BaseForm, OnceForm

HEX64 = re.compile(r"[0-9a-f]{64}")
STAGED = re.compile(r"[0-9a-f]{40}")


def normalised_fingerprint(text: str | None) -> str:
    """A fingerprint as people copy it: in groups, with colons, in capitals."""
    return re.sub(r"[\s:]", "", text or "").lower()


class UploadPackForm(BaseForm):
    pack = FileField("The pack (a .zip file)")


class ConfirmPackForm(OnceForm):
    staged = HiddenField()
    pack_sha256 = HiddenField()
    pupil = RadioField("Which pupil is this?", coerce=str, validators=[InputRequired("Choose the pupil.")])
    confirmed = BooleanField(
        "I have checked the name, date of birth and UPN: this is the same child",
        validators=[DataRequired("Confirm that this is the same child.")],
    )

    def validate_staged(self, field) -> None:
        if not STAGED.fullmatch(field.data or ""):
            raise ValidationError("The uploaded pack is not known: upload it again.")

    def validate_pack_sha256(self, field) -> None:
        if not HEX64.fullmatch(field.data or ""):
            raise ValidationError("The uploaded pack is not known: upload it again.")


class DistrustForm(BaseForm):
    trust = SelectField("For the trust", coerce=str, validators=[InputRequired("Choose the trust.")])
    fingerprint = StringField(
        "Key fingerprint (SHA-256, 64 hexadecimal characters; spaces and colons are ignored)",
        validators=[
            DataRequired("Enter the key's fingerprint."),
            Length(max=200, message="That is not a fingerprint."),
        ],
    )
    reason = TextAreaField(
        "Why",
        validators=[DataRequired("Say why."), Length(max=2000, message="Keep this under 2,000 characters.")],
    )

    def validate_fingerprint(self, field) -> None:
        if not HEX64.fullmatch(normalised_fingerprint(field.data)):
            raise ValidationError("A fingerprint is 64 characters, each 0-9 or a-f.")
