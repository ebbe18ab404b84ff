from ..formfields import BaseForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length


class LoginForm(BaseForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=200)])
