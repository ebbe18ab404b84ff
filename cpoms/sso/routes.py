"""Signing in with the trust's identity provider, signing out of it, and the trust admin's
sign-in settings page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import audit
from ..auth import lockout, sessions
from ..auth.routes import after_first_factor, sign_in_limit
from ..common import safe_next
from ..extensions import db, limiter
from ..formfields import choices
from ..htmx import render
from ..loaders import found_or_404, sign_in_provider_or_404, sign_in_trust_or_403
from ..models import Trust
from . import operations, policy, providers
from .forms import PasswordSettingForm, ProviderForm
from .models import SignInProvider
from .oidc import Refused, begin, finish

bp = Blueprint("sso", __name__)
# Both legs are GETs (the provider sends the browser back with one): throttled like a password POST.
throttled = limiter.limit(sign_in_limit)


def _callback_url(slug: str) -> str:
    return url_for("sso.callback", slug=slug, _external=True)


@bp.route("/login/sso/<slug>")
@throttled
def start(slug: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    provider = found_or_404(providers.by_slug(slug))
    try:
        url = begin(provider, _callback_url(slug), safe_next(request.args.get("next")))
    except Refused as error:
        operations.refused(provider, error)
        db.session.commit()
        return render("sso/refused.html", message=error.message, status_code=502)
    return redirect(url, 303)


@bp.route("/login/sso/<slug>/callback")
@throttled
def callback(slug: str):
    provider = found_or_404(providers.by_slug(slug))
    claims = None
    try:
        outcome = finish(provider, request.args, _callback_url(slug))
        claims = outcome.claims
        user = operations.account_for(provider, claims)
    except Refused as error:
        session.pop(providers.SIGNED_IN_WITH, None)
        operations.refused(provider, error, claims)
        db.session.commit()
        return render("sso/refused.html", message=error.message, status_code=403)
    mfa = policy.mfa_asserted(provider, claims)
    sessions.start(user, two_factor=mfa)
    if mfa or not user.two_factor_enrolled:
        lockout.record_success(user)
    audit.record(audit.SSO_SIGN_IN, user=user, provider=provider.slug, mfa=mfa)
    session[providers.SIGNED_IN_WITH] = provider.slug
    return redirect(after_first_factor(user, outcome.next_url), 303)


# --- the trust admin's settings -------------------------------------------------


def _password_form(trust: Trust, formdata=None) -> PasswordSettingForm:
    settings = policy.settings_for(trust.id)
    form = PasswordSettingForm(formdata=formdata)
    form.break_glass.choices = choices(
        [("", "Nobody")] + [(str(u.id), f"{u.name} ({u.email})") for u in policy.break_glass_candidates(trust.id)]
    )
    if formdata is None:
        form.password_sign_in.data = settings is None or settings.password_sign_in
        chosen = settings.break_glass_user_id if settings is not None else None
        form.break_glass.data = str(chosen) if chosen else ""
    return form


def _page(trust, form=None, password_form=None, changing=None, status=200):
    rows = list(
        db.session.scalars(
            select(SignInProvider).where(SignInProvider.trust_id == trust.id).order_by(SignInProvider.name)
        )
    )
    forms = {r.id: ProviderForm(formdata=None, obj=r, prefix=f"p{r.id}", meta={"csrf": False}) for r in rows}
    if changing is not None:
        forms[changing[0]] = changing[1]
    return render(
        "sso/settings.html",
        trust=trust,
        rows=rows,
        forms=forms,
        form=form or ProviderForm(formdata=None, data={"mfa_claim": "amr", "mfa_value": "mfa", "enabled": True}),
        password_form=password_form or _password_form(trust),
        from_environment=[p for p in providers.from_environment() if p.trust_id == trust.id],
        secret_variable=providers.secret_variable,
        has_secret=providers.has_secret,
        kinds=providers.KINDS,
        status_code=status,
    )


def _slug_taken(form: ProviderForm, own_id: int | None = None) -> bool:
    query = select(SignInProvider.id).where(func.lower(SignInProvider.slug) == form.slug.data)
    if own_id is not None:
        query = query.where(SignInProvider.id != own_id)
    env = {item["slug"] for item in providers.configured_in_environment()}
    if db.session.scalar(query) is not None or form.slug.data in env:
        form.slug.errors = [f"Another provider already has {form.slug.data!r}: choose another."]
        return True
    return False


@bp.route("/admin/sign-in", methods=["GET", "POST"])
@login_required
def settings():
    trust = sign_in_trust_or_403()
    if request.method == "GET":
        return _page(trust)
    form = ProviderForm()
    if not form.validate() or _slug_taken(form):
        return _page(trust, form=form, status=422)
    row = operations.add_provider(trust.id, form.values())
    flash(
        f"{row.name} is set up. It appears on the sign-in page once the server has its secret in "
        f"{providers.secret_variable(row.slug)}.",
        "success",
    )
    return redirect(url_for(".settings"), 303)


@bp.route("/admin/sign-in/<int:provider_id>", methods=["POST"])
@login_required
def change_provider(provider_id: int):
    trust = sign_in_trust_or_403()
    row = sign_in_provider_or_404(provider_id)
    form = ProviderForm(prefix=f"p{row.id}", meta={"csrf": False})
    if not form.validate() or _slug_taken(form, row.id):
        return _page(trust, changing=(row.id, form), status=422)
    if form.slug.data != row.slug:
        form.slug.errors = ["The short name cannot change: remove the provider and set it up again."]
        return _page(trust, changing=(row.id, form), status=422)
    if not form.enabled.data and row.enabled and _last_way_in(trust, row):
        form.enabled.errors = [LAST_WAY_IN]
        return _page(trust, changing=(row.id, form), status=422)
    changed = operations.change_provider(row, form.values())
    flash(f"{row.name} is saved." if changed else "Nothing was changed.", "success")
    return redirect(url_for(".settings"), 303)


def _last_way_in(trust: Trust, row: SignInProvider) -> bool:
    """With passwords off, this provider is the only one of the trust that works: without it
    nobody but the break-glass admin could sign in."""
    others = [p for p in providers.enabled() if p.trust_id == trust.id and p.slug != row.slug]
    return policy.passwords_off(trust.id) and not others


LAST_WAY_IN = (
    "Password sign-in is off and this is the trust's only working provider: turn password "
    "sign-in back on (or set up another provider) first."
)


@bp.route("/admin/sign-in/<int:provider_id>/remove", methods=["POST"])
@login_required
def remove_provider(provider_id: int):
    trust = sign_in_trust_or_403()
    row = sign_in_provider_or_404(provider_id)
    if _last_way_in(trust, row):
        flash(LAST_WAY_IN, "warning")
        return redirect(url_for(".settings"), 303)
    name = row.name
    operations.remove_provider(row)
    flash(f"{name} is removed: nobody can sign in with it now.", "success")
    return redirect(url_for(".settings"), 303)


@bp.route("/admin/sign-in/password", methods=["POST"])
@login_required
def password_setting():
    trust = sign_in_trust_or_403()
    form = _password_form(trust, formdata=request.form)
    if not form.validate():
        return _page(trust, password_form=form, status=422)
    allowed = bool(form.password_sign_in.data)
    chosen = int(form.break_glass.data) if form.break_glass.data else None
    if not allowed and chosen is None:
        form.break_glass.errors = ["Choose a break-glass administrator before turning password sign-in off."]
        return _page(trust, password_form=form, status=422)
    if not allowed and not any(p.trust_id == trust.id for p in providers.enabled()):
        form.password_sign_in.errors = [
            "Set up a provider (with its secret on the server) before turning password sign-in off."
        ]
        return _page(trust, password_form=form, status=422)
    changed = operations.set_password_sign_in(trust.id, allowed, chosen)
    flash("Password sign-in is saved." if changed else "Nothing was changed.", "success")
    return redirect(url_for(".settings"), 303)
