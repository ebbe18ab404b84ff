"""The administrators' forms: accounts, roles, categories, schools."""

import re

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, ValidationError

from ..formfields import BaseForm, person_name

# One form per record on a page (c3-name, c4-name...): the prefix keeps their ids apart. The
# form's own CSRF field would be prefixed too; CSRFProtect checks every POST anyway, so the
# template carries the plain csrf_token and the form does not look for its own.
ONE_OF_MANY = {"csrf": False}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def lowered(value):
    return value.strip().lower() if isinstance(value, str) else value


class RoleForm(BaseForm):
    """One role somewhere: the choices are "role@school:ID" or "role@trust:ID", only
    those policy.grantable_roles() allows this admin."""

    grant = SelectField("Role, and where", coerce=str, validate_choice=True)


class NewUserForm(RoleForm):
    name = StringField(
        "Full name",
        filters=[stripped],
        validators=[DataRequired("Enter the person's name."), Length(max=200), person_name],
    )
    email = StringField(
        "Work email address",
        filters=[lowered],
        validators=[
            DataRequired("Enter their work email address."),
            Length(max=254),
            Email("Enter an email address like name@school.org.uk."),
        ],
    )


class CategoryForm(BaseForm):
    name = StringField(
        "Name", filters=[stripped], validators=[DataRequired("Give the category a name."), Length(max=80)]
    )
    alerts = BooleanField("Alerts the safeguarding team")


class NewCategoryForm(CategoryForm):
    description = TextAreaField("What the category is for", filters=[stripped], validators=[Length(max=2000)])


class ChangeCategoryForm(CategoryForm):
    active = BooleanField("Offered on the log form")
    reason = StringField(
        "Why the alerting changes (needed when it does)", filters=[stripped], validators=[Length(max=500)]
    )


class SchoolForm(BaseForm):
    name = StringField(
        "Name", filters=[stripped], validators=[DataRequired("Enter the school's name."), Length(max=200)]
    )
    slug = StringField(
        "Short name for addresses and imports",
        filters=[lowered],
        validators=[DataRequired("Enter a short name, like ashgrove."), Length(max=80)],
    )

    def validate_slug(self, field):
        if not SLUG.fullmatch(field.data or ""):
            raise ValidationError("Use lower-case letters, digits and single hyphens, like ashgrove or st-marys.")


class ConfirmForm(BaseForm):
    """The second step of an action that cannot be undone: only the confirm page's
    button sends this, so a tap on the users list (or a repeated post) changes nothing."""

    confirm = HiddenField(validators=[AnyOf(["yes"], "Nothing has changed yet: confirm with the button below.")])
