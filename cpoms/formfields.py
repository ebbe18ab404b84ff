"""Form pieces shared by more than one blueprint."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

from flask import request
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, Field, HiddenField, SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from . import drafts, submissions
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


NAME_REFUSED = "A name cannot contain a line break, a tab or another control character: type it on one line."


def name_problem(name: str) -> str | None:
    """Why a person's name cannot be kept, or None. A name goes into email subjects
    and headers, where a line break is refused by the mailer (or starts a new header),
    and into CSV and PDF exports: every place a name is entered asks this."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name or ""):
        return NAME_REFUSED
    return None


def person_name(form, field) -> None:
    """The WTForms validator for a person's name field."""
    problem = name_problem(field.data)
    if problem:
        raise ValidationError(problem)


class BaseForm(FlaskForm):
    """Every form of the app: CSRF from Flask-WTF, NULs dropped from every field,
    and what was typed before a session ended given back (cpoms/drafts.py)."""

    # Names the form among the several a page may hold, so a kept draft returns to
    # the right one. hidden_tag() renders it with the CSRF token.
    # No id: a page holds several forms, and an id must be unique on the page.
    form_name = HiddenField(render_kw={"id": False})

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), without_nul]
            return unbound_field.bind(form=form, filters=filters, **options)

    def __init__(self, *args, restoring: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_name.data = type(self).__name__
        if restoring or self.is_submitted():
            return
        saved = drafts.claim(type(self).__name__)
        if saved is not None:
            # Read the text as the form would read a post, then hand it over as
            # data: the fields are filled and no validation message shows.
            typed = type(self)(formdata=saved, meta={"csrf": False}, restoring=True).data
            self.process(data=typed)
            self.form_name.data = type(self).__name__

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid:
            drafts.discard_for_saved_form()
        return valid


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

    def process_data(self, value):
        self.data = list(value) if value else None

    def _value(self):
        return ""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def page_number(last: int) -> int:
    """The page asked for in the query string (?page=), from 1 to `last`."""
    return max(1, min(request.args.get("page", 1, type=int), last))


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


class KeptOnBackInput(HiddenInput):
    """A text input the page hides. Back to a form re-fetches it with a new key, but the
    browser gives back what its text inputs held (it never restores a type=hidden one):
    so Back and Save sends the key the form was first saved with, and is a repeat.
    hidden_tag() renders it with the form's other hidden fields."""

    input_type = "text"

    def __call__(self, field, **kwargs):
        kwargs.setdefault("hidden", True)
        kwargs.setdefault("aria_label", "This form's one-time key")  # never shown; a name all the same
        return super().__call__(field, **kwargs)


class OnceForm(BaseForm):
    """A form that creates a record: it carries a one-time key, issued with the form and
    kept when the form comes back with an error, so that however often one submission
    arrives it saves once (cpoms/submissions.py). hidden_tag() renders it."""

    # No id: a page holds several of these forms.
    submission_key = HiddenField(default=new_submission_key, widget=KeptOnBackInput(), render_kw={"id": False})

    def validate_submission_key(self, field) -> None:
        key = field.raw_data[0] if field.raw_data else ""  # posted, never the default
        if not submissions.well_formed(key) or not submissions.unclaimed(key):
            field.data = new_submission_key()  # the corrected form is a new submission
            raise ValidationError("This form could not be saved as it was sent. Check what you entered and save again.")
