from datetime import date

from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..common import uk_today
from ..formfields import EARLIEST, BaseForm, OnceForm, UKDateTimeField, as_id, choices, person_name
from .models import AdultKind, FollowUpKind, Level, Outcome

MAX_TEXT = 20000


class RaiseForm(OnceForm):
    # The school is the page's (?school=, or school_id posted with the form): its staff and pupils are offered.
    subject_kind = RadioField(
        "Who is the concern about?",
        choices=choices(AdultKind.LABELS.items()),
        validators=[InputRequired("Say who the concern is about.")],
    )
    staff_member = SelectField("Choose them from the school's staff", coerce=str, validate_choice=False)
    subject_name = StringField(
        "Their name, if they are not in the list",
        validators=[Optional(), Length(max=200, message="Keep the name under 200 characters."), person_name],
    )
    subject_role = StringField(
        "Their job, or the agency or company they came from (optional)",
        validators=[Optional(), Length(max=200, message="Keep this under 200 characters.")],
    )
    happened_at = UKDateTimeField("When did it happen?", validators=[InputRequired("Enter when it happened.")])
    location = StringField(
        "Where did it happen?",
        validators=[DataRequired("Say where it happened."), Length(max=200, message="Keep this under 200 characters.")],
    )
    what_happened = TextAreaField(
        "What happened",
        validators=[
            DataRequired("Write what happened, in your own words."),
            Length(max=MAX_TEXT, message="Keep this under 20,000 characters."),
        ],
    )
    what_was_said = TextAreaField(
        "What was said, in the words used (optional)",
        validators=[Optional(), Length(max=MAX_TEXT, message="Keep this under 20,000 characters.")],
    )
    pupil_ids = SelectMultipleField("Children involved (optional)", coerce=str, validate_choice=False)

    def chosen(self, staff: dict[int, object], pupils: dict[int, object]):
        """The member of staff and the pupils chosen, from those offered at the chosen school
        (by id); a choice that is not among them is an error on its field."""
        person = None
        if self.staff_member.data:
            person = staff.get(as_id(self.staff_member.data))
            if person is None:
                self.staff_member.errors = ["Choose a member of staff of this school from the list."]
        elif not (self.subject_name.data or "").strip():
            self.staff_member.errors = ["Choose the member of staff, or type the person's name."]
        if self.subject_kind.data == AdultKind.STAFF and person is None and not self.staff_member.errors:
            self.staff_member.errors = ["Choose the member of staff from the list."]
        asked = [as_id(i) for i in self.pupil_ids.data or []]
        chosen = [pupils.get(i) for i in asked]
        if any(p is None for p in chosen):
            self.pupil_ids.errors = ["Some of these children could not be found at this school. Choose again."]
        return person, [p for p in chosen if p is not None]


REASONS = {
    FollowUpKind.ASSESSMENT: "Why: what the concern is measured against (the code of conduct, the harm threshold)",
    FollowUpKind.LADO: "The LADO's advice",
    FollowUpKind.DECISION: "The decision and its reasons",
    FollowUpKind.ACTION: "What was done, and why",
    FollowUpKind.OUTCOME: "How the outcome was reached",
    FollowUpKind.DATES: "Where these dates come from (the personnel file, the agency, the person)",
}


def _text(kind: str):
    return TextAreaField(
        REASONS[kind],
        validators=[
            DataRequired("Write the reasons."),
            Length(max=MAX_TEXT, message="Keep this under 20,000 characters."),
        ],
    )


class AssessmentForm(OnceForm):
    level = RadioField(
        "Assessment",
        choices=choices(Level.LABELS.items()),
        validators=[InputRequired("Choose low-level concern or allegation.")],
    )
    text = _text(FollowUpKind.ASSESSMENT)


class LadoForm(OnceForm):
    lado_on = DateField("Date of the consultation", validators=[InputRequired("Enter the date of the consultation.")])
    lado_name = StringField(
        "LADO's name",
        validators=[DataRequired("Enter the LADO's name."), Length(max=200), person_name],
    )
    lado_reference = StringField(
        "LADO's reference (optional)",
        validators=[Optional(), Length(max=100, message="Keep this under 100 characters.")],
    )
    text = _text(FollowUpKind.LADO)

    def validate_lado_on(self, field):
        if field.data and field.data < EARLIEST.date():
            raise ValidationError("Enter a date from 2000 onwards.")
        if field.data and field.data > uk_today():
            raise ValidationError("The consultation cannot be in the future.")


class DecisionForm(OnceForm):
    text = _text(FollowUpKind.DECISION)


class ActionForm(OnceForm):
    suspension_considered = RadioField(
        "Was suspension considered?",
        choices=choices([("no", "No"), ("yes", "Yes: the reasons are below")]),
        validators=[InputRequired("Say whether suspension was considered.")],
    )
    text = _text(FollowUpKind.ACTION)


class OutcomeForm(OnceForm):
    outcome = RadioField(
        "Outcome",
        choices=choices(Outcome.LABELS.items()),
        validators=[InputRequired("Choose the outcome.")],
    )
    text = _text(FollowUpKind.OUTCOME)


EARLIEST_BIRTH = date(1900, 1, 1)


class DatesForm(OnceForm):
    """The person's dates the retention rules need: the app knows no staff dates of birth,
    and a typed-in visitor has no account at all. Any of the three; the newest of each stands."""

    born_on = DateField("Their date of birth (optional)", validators=[Optional()])
    retires_on = DateField(
        "Their normal retirement date, if known instead (optional)",
        description="Kept allegations are kept to this date or ten years, whichever is later.",
        validators=[Optional()],
    )
    left_on = DateField(
        "The date they stopped working with the school (optional)",
        description="Low-level concerns are reviewed when the person leaves.",
        validators=[Optional()],
    )
    text = _text(FollowUpKind.DATES)

    def validate_born_on(self, field):
        if field.data and not EARLIEST_BIRTH <= field.data <= uk_today():
            raise ValidationError("Enter a date of birth between 1900 and today.")

    def validate_retires_on(self, field):
        if field.data and not EARLIEST_BIRTH <= field.data <= date(2150, 1, 1):
            raise ValidationError("Enter a retirement date between 1900 and 2150.")

    def validate_left_on(self, field):
        if field.data and field.data < EARLIEST.date():
            raise ValidationError("Enter a date from 2000 onwards.")
        if field.data and field.data > uk_today():
            raise ValidationError("Enter the date they left: it cannot be in the future.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        dates = (self.born_on, self.retires_on, self.left_on)
        if not any(f.data or f.errors for f in dates):
            self.born_on.errors = ["Enter at least one of the three dates."]
            return False
        return valid


FORMS = {
    FollowUpKind.ASSESSMENT: AssessmentForm,
    FollowUpKind.LADO: LadoForm,
    FollowUpKind.DECISION: DecisionForm,
    FollowUpKind.ACTION: ActionForm,
    FollowUpKind.OUTCOME: OutcomeForm,
    FollowUpKind.DATES: DatesForm,
}


class DslAllowedForm(OnceForm):
    dsl_allowed = RadioField(
        "Do the school's designated safeguarding leads manage concerns about adults with you?",
        choices=choices([("no", "No: only I do"), ("yes", "Yes: they manage them too (never one about themselves)")]),
        validators=[InputRequired("Choose yes or no.")],
    )


class ProposeDeletionForm(BaseForm):
    reason = TextAreaField(
        "Why this concern may now be deleted",
        description="Shown to the case manager who confirms; removed with the concern once it is deleted.",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired("Say why the concern may be deleted."),
            Length(max=2000, message="Keep this under 2,000 characters."),
        ],
    )
