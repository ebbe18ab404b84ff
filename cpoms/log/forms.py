from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..formfields import BaseForm, IdListField, UKDateTimeField, choices
from ..models import Source


class LogEntryForm(BaseForm):
    pupil_ids = IdListField("Pupils")
    category = RadioField("Category", coerce=int, validators=[InputRequired("Choose a category.")])
    source = RadioField(
        "How did this come to your attention?",
        choices=choices(Source.LABELS.items()),
        validators=[InputRequired("Choose how this came to your attention.")],
    )
    occurred_at = UKDateTimeField(
        "When did it happen?", validators=[InputRequired("Enter when it happened.")]
    )
    narrative = TextAreaField(
        "What happened",
        validators=[
            InputRequired("Write what happened, in your own words."),
            Length(max=20000, message="Keep this under 20,000 characters."),
        ],
    )
    child_words = TextAreaField(
        "The child's own words (optional)",
        validators=[Optional(), Length(max=10000, message="Keep this under 10,000 characters.")],
    )
    told_dsl_in_person = BooleanField("Yes, I have told a DSL in person")
    # Set once the gentle check on save has been shown: the next save stands as it is.
    checked = HiddenField()

    def validate_with(self, pupils) -> bool:
        """Validate the fields, and the pupils they resolved to (which the view
        loads through the policy, so a pupil the user may not log about is absent)."""
        valid = self.validate()
        if not pupils:
            self.pupil_ids.errors = ["Choose at least one pupil."]
            valid = False
        elif len({p.school_id for p in pupils}) > 1:
            self.pupil_ids.errors = ["All pupils on one entry must be at the same school."]
            valid = False
        return valid
