from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formfields import BaseForm, UKDateTimeField, choices
from ..models import Kind

LONG = Length(max=20000, message="Keep this under 20,000 characters.")
# Required text uses DataRequired: InputRequired would accept "   " as an answer.


class FollowUpForm(BaseForm):
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
        return valid


class ReviewForm(BaseForm):
    note = TextAreaField("Review note (optional)", validators=[Optional(), LONG])


class CloseForm(BaseForm):
    outcome = TextAreaField(
        "Final outcome", validators=[DataRequired("Record the outcome before closing."), LONG]
    )


class ReopenForm(BaseForm):
    reason = TextAreaField(
        "Why is this being reopened?", validators=[DataRequired("Give the reason for reopening."), LONG],
        id="reopen-reason",  # the follow-up form beside it has a "reason" too: ids must differ
    )
