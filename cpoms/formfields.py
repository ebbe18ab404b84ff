"""Form pieces shared by more than one blueprint."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, Field, SelectChoice
from wtforms.validators import ValidationError

from .timefmt import from_uk_local, now_utc

EARLIEST = datetime(2000, 1, 1)
MAX_ID = 2**31 - 1  # the largest INTEGER PostgreSQL holds


def as_id(value) -> int | None:
    """A record id from untrusted text, or None. ASCII digits only ('²' is a digit
    to str.isdigit), and no larger than the database can hold."""
    text = str(value)
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def without_nul(value):
    """PostgreSQL text cannot hold NUL, and no person types one: drop it."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Every form of the app: CSRF from Flask-WTF, and NULs dropped from every field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), without_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


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
    """Every value sent under this name, as unique whole numbers in the order given.
    `unreadable` says some value was not an id at all (no form of ours sends one)."""

    unreadable = False

    def process_formdata(self, valuelist):
        ids = [i for i in map(as_id, valuelist) if i is not None]
        self.unreadable = len(ids) < len(valuelist)
        self.data = list(dict.fromkeys(ids))  # unique, in order, without a quadratic scan

    def _value(self):
        return ""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]
