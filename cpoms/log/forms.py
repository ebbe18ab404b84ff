from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formfields import BaseForm, IdListField, UKDateTimeField, choices
from ..models import Source

MAX_PUPILS = 100  # a whole year group; more is a mistake or an attack, not one concern


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
            DataRequired("Write what happened, in your own words."),  # not just spaces
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
        asked = self.pupil_ids.data or []
        problem = None
        if len(asked) > MAX_PUPILS:
            problem = f"An entry can be about {MAX_PUPILS} pupils at most."
        elif not pupils:
            problem = "Choose at least one pupil."
        elif self.pupil_ids.unreadable or len(pupils) < len(asked):
            # Never save an entry about fewer pupils than the person chose; and say
            # the same whether a pupil left, never existed or is another school's.
            problem = "Some of these pupils could not be found. Check who this entry is about and save again."
        elif len({p.school_id for p in pupils}) > 1:
            problem = "All pupils on one entry must be at the same school."
        if problem:
            self.pupil_ids.errors = [problem]
            valid = False
        return valid
