from datetime import date, datetime, time, timedelta

from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from .. import audit
from ..formfields import EARLIEST, BaseForm, choices
from ..timefmt import from_uk_local
from .queries import Filters


class AuditFilterForm(BaseForm):
    """The audit log's filters: a GET form, so a filtered view can be bookmarked."""

    class Meta:
        csrf = False

    who = StringField("Who (name or email contains)", validators=[Optional(), Length(max=100)])
    pupil = StringField("Pupil (name or UPN starts with)", validators=[Optional(), Length(max=100)])
    action = SelectField("What", validators=[Optional()])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Events kept apart never show here: offering them would only advertise them.
        shown = [(action, label) for action, label in audit.LABELS.items() if action not in audit.KEPT_APART]
        self.action.choices = choices([("", "Anything"), *sorted(shown, key=lambda kv: kv[1])])

    def validate_since(self, field):
        if field.data and field.data < EARLIEST.date():
            raise ValidationError("Enter a date from 2000 onwards.")

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date must be on or after the start date.")

    def filters(self) -> Filters:
        """The filters in UTC: a day runs from midnight to midnight UK time."""

        def day_start(day):
            return from_uk_local(datetime.combine(day, time())) if day else None

        return Filters(
            who=(self.who.data or "").strip(),
            pupil=(self.pupil.data or "").strip(),
            action=self.action.data or "",
            since=day_start(self.since.data),
            # The last day a date can hold has no day after it: no end at all.
            until=day_start(self.until.data + timedelta(days=1))
            if self.until.data and self.until.data < date.max
            else None,
        )
