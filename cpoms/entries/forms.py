from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formfields import BaseForm, OnceForm, UKDateTimeField, choices
from ..models import Kind
from ..tasks.forms import TaskAndSharingFields

LONG = Length(max=20000, message="Keep this under 20,000 characters.")
# Required text uses DataRequired: InputRequired would accept "   " as an answer.


class FollowUpForm(TaskAndSharingFields, OnceForm):
    kind = RadioField("What are you adding?", validators=[InputRequired("Choose what you are adding.")])
    text = TextAreaField("Details", validators=[DataRequired("Write the details."), LONG])
    risk_level = SelectField(
        "Level of risk",
        choices=choices([("", "Choose a level"), *Kind.RISK_LEVELS.items()]),
        validators=[Optional()],
    )
    reason = TextAreaField("Reason for the decision", validators=[Optional(), LONG])
    agency_name = StringField("Agency", validators=[Optional(), Length(max=200)])
    agency_reference = StringField("Agency reference (optional)", validators=[Optional(), Length(max=100)])
    occurred_at = UKDateTimeField("When (leave blank for now)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        kind = self.kind.data
        if kind == Kind.RISK and not self.risk_level.data:
            self.risk_level.errors.append("Choose the level of risk.")
            valid = False
        if kind == Kind.DECISION and not (self.reason.data or "").strip():
            self.reason.errors.append("Give the reason for this decision.")
            valid = False
        if kind == Kind.AGENCY and not (self.agency_name.data or "").strip():
            self.agency_name.errors.append("Name the agency.")
            valid = False
        return self.validate_kind_fields() and valid


class ReviewForm(BaseForm):
    note = TextAreaField("Review note (optional)", validators=[Optional(), LONG])


class CloseForm(BaseForm):
    outcome = TextAreaField("Final outcome", validators=[DataRequired("Record the outcome before closing."), LONG])
    rationale = TextAreaField(
        "Why it can be closed now", validators=[DataRequired("Give the reason it can be closed now."), LONG]
    )


class ReopenForm(BaseForm):
    reason = TextAreaField(
        "Why is this being reopened?",
        validators=[DataRequired("Give the reason for reopening."), LONG],
        id="reopen-reason",  # the follow-up form beside it has a "reason" too: ids must differ
    )


# --- concerns that evolve: later categories, amendments, linked entries ------------


class LaterCategoryForm(OnceForm):
    # Ids of their own: the entry page holds several forms with a "reason".
    category = SelectField(
        "Category to add", validators=[InputRequired("Choose the category to add.")], id="later_category"
    )
    reason = TextAreaField(
        "Why it now also belongs in this category",
        id="category_reason",
        validators=[DataRequired("Give the reason for adding this category."), LONG],
    )


class AmendmentForm(OnceForm):
    target = SelectField(
        "What are you correcting?", validators=[InputRequired("Choose what you are correcting.")], id="amend_target"
    )
    text = TextAreaField("The correction", validators=[DataRequired("Write the correction."), LONG], id="amend_text")
    reason = TextAreaField(
        "Why it needs correcting",
        id="amend_reason",
        validators=[DataRequired("Give the reason for the correction."), LONG],
    )


NOT_A_NUMBER = "Type the entry number in digits, for example 42."


class LinkForm(OnceForm):
    other = SelectField("Another entry about the same pupil", validators=[Optional()], id="link_other")
    number = StringField(
        "Or the entry number", validators=[Optional(), Length(max=12, message=NOT_A_NUMBER)], id="link_number"
    )
    reason = TextAreaField(
        "How the entries are related",
        id="link_reason",
        validators=[DataRequired("Give the reason for linking these entries."), LONG],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.other.data or (self.number.data or "").strip()):
            self.other.errors.append("Choose the entry to link, or type its number.")
            valid = False
        return valid
