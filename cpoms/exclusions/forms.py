from wtforms import SelectField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from ..formfields import OnceForm, choices
from .operations import NOT_YOURSELF

LONG = Length(max=20000, message="Keep this under 20,000 characters.")


class ExcludeForm(OnceForm):
    person = SelectField("Member of staff to exclude", validate_choice=False)
    reason = TextAreaField(
        "Why may they not read this record?",
        validators=[DataRequired("Give the reason for the exclusion."), LONG],
    )

    def offer(self, people: list[tuple[int, str]], chooser_id: int) -> None:
        """The people who may be excluded (never the one choosing)."""
        self.person.choices = choices([("", "Choose a member of staff"), *((str(i), label) for i, label in people)])
        self.chooser = str(chooser_id)

    def validate_person(self, field) -> None:
        offered = {c.value for c in field.choices or () if c.value}
        if not field.data:
            raise ValidationError("Choose who may not read this record.")
        if field.data == self.chooser:
            raise ValidationError(NOT_YOURSELF)
        if field.data not in offered:
            raise ValidationError("Choose a member of staff of this school from the list.")


class EndExclusionForm(OnceForm):
    reason = TextAreaField(
        "Why is the exclusion ending?", validators=[DataRequired("Give the reason for ending the exclusion."), LONG]
    )
