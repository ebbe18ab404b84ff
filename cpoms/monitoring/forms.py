from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..common import uk_today
from ..formfields import OnceForm
from ..tasks.dates import FURTHEST

LONG = Length(max=20000, message="Keep this under 20,000 characters.")


def _review_date_ok(field, after, after_words: str) -> bool:
    if field.data <= after:
        field.errors.append(f"The review date must be after {after_words}.")
        return False
    if field.data > uk_today() + FURTHEST:
        field.errors.append("Choose a review date within the next year.")
        return False
    return True


class StartMonitoringForm(OnceForm):
    reason = TextAreaField(
        "Why is this pupil being monitored?", validators=[DataRequired("Give the reason for monitoring."), LONG]
    )
    starts_on = DateField("Monitoring starts on", validators=[InputRequired("Enter the date monitoring starts.")])
    review_on = DateField("Review by", validators=[InputRequired("Enter the date of the first review.")])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.starts_on.data and not self.starts_on.errors:
            if self.starts_on.data > uk_today():
                self.starts_on.errors.append("The start date cannot be in the future.")
                return False
            if self.starts_on.data.year < 2000:
                self.starts_on.errors.append("Enter a date from 2000 onwards.")
                return False
            if self.review_on.data and not self.review_on.errors:
                if self.review_on.data < uk_today():
                    self.review_on.errors.append("The review date cannot be in the past.")
                    return False
                valid = _review_date_ok(self.review_on, self.starts_on.data, "the start date") and valid
        return valid


class ReviewMonitoringForm(OnceForm):
    note = TextAreaField("What did the review find?", validators=[DataRequired("Write what the review found."), LONG])
    review_on = DateField("Next review by", validators=[InputRequired("Enter the date of the next review.")])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.review_on.data and not self.review_on.errors:
            valid = _review_date_ok(self.review_on, uk_today(), "today") and valid
        return valid


class EndMonitoringForm(OnceForm):
    reason = TextAreaField(
        "Why is monitoring ending?", validators=[DataRequired("Give the reason for ending monitoring."), LONG]
    )
