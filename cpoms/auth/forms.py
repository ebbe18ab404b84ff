from flask_login import current_user
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ..formfields import BaseForm
from . import passwords


class LoginForm(BaseForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=200)])


class CodeForm(BaseForm):
    code = StringField(
        "Code", validators=[InputRequired("Enter the code from your authenticator app."), Length(max=20)]
    )


class ForgotForm(BaseForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."), Length(max=254)])


class NewPasswordForm(BaseForm):
    """A new password; `owner` is whose it will be (for the own-name rule)."""

    password = PasswordField("New password", validators=[InputRequired("Enter a new password.")])
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter the new password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner if owner is not None else current_user

    def validate_password(self, field):
        reason = passwords.problem(field.data or "", self.owner.email, self.owner.name)
        if reason:
            raise ValidationError(reason)


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=200)]
    )

    def validate_current(self, field):
        if not self.owner.check_password(field.data or ""):
            raise ValidationError("That is not your current password.")
