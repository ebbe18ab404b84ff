"""What someone was typing when their session ended, kept on the server until
they sign in again.

On the server, not in the browser: a classroom tablet is shared, and anything in
its browser storage is readable by the next person to pick it up. A draft belongs
to the user of the session that ended, is given back only to them, on the page
the form was on, and lives DRAFT_HOURS (24 by default).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, request, session
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from .extensions import db
from .models import UTCDateTime, utcnow
from .timefmt import now_utc, uk_time

# Fields whose text is worth keeping when a session ends mid-form.
FREE_TEXT_FIELDS = ("narrative", "child_words", "text", "reason", "outcome", "note")
FORM_NAME = "form_name"  # the hidden field naming which form of a page the text came from
NOT_KEPT = {"csrf_token", "find", "add_pupil"}
SESSION_KEY = "draft_paths"


class Draft(db.Model):
    """What someone was typing when their session ended, kept for them to carry on."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)  # the posted form, as JSON
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Marks a draft saved while typing (the autosave): it stays until the form is saved,
# rather than being handed back once like the text of a session that timed out.
AUTOSAVED = "_autosaved"


def _page_path() -> str:
    """The page the form was on: an htmx form posts elsewhere (/entries/1/follow-ups)
    than the page that shows it (/entries/1)."""
    for source in (request.headers.get("HX-Current-URL"), request.referrer):
        if source:
            parts = urlsplit(source)
            if parts.netloc == request.host and parts.path.startswith("/"):
                return parts.path[:500]
    return request.path[:500]


def _has_text() -> bool:
    return any(request.form.get(name, "").strip() for name in FREE_TEXT_FIELDS)


def save_from_request(user_id: int, autosaved: bool = False) -> str | None:
    """Keep the posted form for `user_id` if it carries free text; return the page path."""
    if request.method != "POST" or FORM_NAME not in request.form or not _has_text():
        return None
    data = {key: values for key, values in request.form.lists() if key not in NOT_KEPT}
    if autosaved:
        data[AUTOSAVED] = ["1"]
    path = _page_path()
    db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.path == path))
    db.session.add(Draft(user_id=user_id, path=path, data=json.dumps(data)))
    return path


def autosave(user_id: int) -> Draft | None:
    """The form as it is being typed, kept for its owner until it is saved. A form
    emptied of its text drops the draft: that is how someone discards one."""
    path = save_from_request(user_id, autosaved=True)
    if path is None:
        path = _page_path()
        db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.path == path))
        session[SESSION_KEY] = [p for p in session.get(SESSION_KEY, ()) if p != path]
        return None
    if path not in session.get(SESSION_KEY, ()):
        session[SESSION_KEY] = [*session.get(SESSION_KEY, ()), path]
    db.session.flush()
    return db.session.scalar(select(Draft).where(Draft.user_id == user_id, Draft.path == path))


def _oldest_kept():
    return now_utc() - timedelta(hours=current_app.config["DRAFT_HOURS"])


def remember_pending(user_id: int) -> None:
    """At sign-in: note in the session which pages have a draft waiting, so pages
    without one never query for it. Drafts past their time are dropped here."""
    db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.saved_at < _oldest_kept()))
    paths = list(db.session.scalars(select(Draft.path).where(Draft.user_id == user_id)))
    if paths:
        session[SESSION_KEY] = paths
    else:
        session.pop(SESSION_KEY, None)


def claim(form_name: str) -> MultiDict | None:
    """The draft for this page and this form of the signed-in user, once: it is
    deleted as it is handed back."""
    if request.method != "GET" or request.path not in session.get(SESSION_KEY, ()):
        return None
    if not current_user.is_authenticated:
        return None
    draft = db.session.scalar(
        select(Draft).where(
            Draft.user_id == current_user.id, Draft.path == request.path, Draft.saved_at >= _oldest_kept()
        )
    )
    data = MultiDict(json.loads(draft.data)) if draft is not None else None
    if data is not None and data.get(FORM_NAME) != form_name:
        return None
    if data is not None and data.get(AUTOSAVED):
        # Kept until the form is saved: a reload or a new tab gets it back again.
        flash(
            f"Your draft from {uk_time(draft.saved_at)} is back in the form: carry on, and save it when it is ready.",
            "info",
        )
        return data
    session[SESSION_KEY] = [p for p in session[SESSION_KEY] if p != request.path]
    if draft is None:
        return None
    db.session.delete(draft)
    flash(
        "Your session ended before you saved this. What you had typed is back in the form: check it and save it.",
        "info",
    )
    return data


def discard_for_saved_form() -> None:
    """A form passed validation: a draft still waiting for its page is no longer needed."""
    path = _page_path()
    if request.method != "POST" or path not in session.get(SESSION_KEY, ()):
        return
    if current_user.is_authenticated:
        db.session.execute(delete(Draft).where(Draft.user_id == current_user.id, Draft.path == path))
    session[SESSION_KEY] = [p for p in session[SESSION_KEY] if p != path]


def delete_under(pages: list[str]) -> int:
    """Drafts typed on these pages or below them, for records deleted after their
    retention review: how many went."""
    if not pages:
        return 0
    return db.session.execute(
        delete(Draft).where(
            or_(*(Draft.path == page for page in pages), *(Draft.path.startswith(f"{page}/") for page in pages))
        )
    ).rowcount
