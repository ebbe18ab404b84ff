"""Form pieces shared by more than one blueprint."""
from __future__ import annotations

from datetime import datetime, timedelta

from wtforms import DateTimeLocalField, Field, SelectChoice
from wtforms.validators import ValidationError

from .timefmt import from_uk_local, now_utc

EARLIEST = datetime(2000, 1, 1)


class UKDateTimeField(DateTimeLocalField):
    """A datetime-local input read as UK wall-clock time; `utc` is the stored value."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    @property
    def utc(self) -> datetime | None:
        return from_uk_local(self.data) if self.data else None

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < EARLIEST:
            raise ValidationError("Enter a date from 2000 onwards.")
        if from_uk_local(self.data) > now_utc() + timedelta(minutes=5):
            raise ValidationError("This cannot be in the future. Enter when it happened.")


class IdListField(Field):
    """Every value sent under this name, as unique whole numbers in the order given."""

    def process_formdata(self, valuelist):
        ids: list[int] = []
        for value in valuelist:
            if str(value).isdigit() and int(value) not in ids:
                ids.append(int(value))
        self.data = ids

    def _value(self):
        return ""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]
