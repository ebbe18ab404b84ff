"""The trust admin's sign-in settings."""

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..formfields import BaseForm, choices
from . import providers


def stripped(value):
    return value.strip() if isinstance(value, str) else value


class ProviderForm(BaseForm):
    name = StringField(
        "Name on the button",
        filters=[stripped],
        validators=[DataRequired("Enter the name people know the provider by."), Length(max=80)],
    )
    slug = StringField(
        "Short name for its address",
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        validators=[DataRequired("Enter a short name, like microsoft."), Length(max=40)],
    )
    kind = SelectField("Kind of provider", choices=choices(providers.KINDS.items()), validate_choice=True)
    restriction = StringField(
        "Tenant id (Microsoft) or Workspace domain (Google)", filters=[stripped], validators=[Length(max=254)]
    )
    issuer = StringField("Issuer address (another provider)", filters=[stripped], validators=[Length(max=300)])
    client_id = StringField(
        "Client id (application id)",
        filters=[stripped],
        validators=[DataRequired("Enter the client id the provider gave this app."), Length(max=300)],
    )
    mfa_claim = StringField(
        "Claim that lists how the person signed in", filters=[stripped], validators=[Length(max=64)]
    )
    mfa_value = StringField("Value in it that means a second factor", filters=[stripped], validators=[Length(max=64)])
    enabled = BooleanField("Offered on the sign-in page")

    def validate_slug(self, field):
        if not providers.SLUG.fullmatch(field.data or ""):
            raise ValidationError("Use lower-case letters, digits and single hyphens, like microsoft.")

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        reason = providers.problem(self.kind.data, self.restriction.data, self.issuer.data)
        if reason:
            (self.issuer if self.kind.data == providers.OIDC else self.restriction).errors.append(reason)
            return False
        return True

    def values(self) -> dict:
        kind = self.kind.data
        return {
            "name": self.name.data,
            "slug": self.slug.data,
            "kind": kind,
            "restriction": self.restriction.data.lower() if kind != providers.OIDC else "",
            "issuer": self.issuer.data.rstrip("/") if kind == providers.OIDC else "",
            "client_id": self.client_id.data,
            "mfa_claim": self.mfa_claim.data,
            "mfa_value": self.mfa_value.data,
            "enabled": bool(self.enabled.data),
        }


class PasswordSettingForm(BaseForm):
    password_sign_in = BooleanField("Staff may sign in with a password")
    break_glass = SelectField("Break-glass administrator (may always use a password)", coerce=str, validate_choice=True)
