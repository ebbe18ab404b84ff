"""A form that creates a record creates it once, however often its submission arrives:
at the same moment (a double tap), later (Back and Save) or again (a retried POST).

Each such form carries a one-time key (formfields.OnceForm). The view saves the
record, then claim() inserts the key in the same transaction: the unique constraint
lets exactly one of several identical submissions commit. Any other is rolled back
and answered as the first was, with the record already saved. @once on the view
answers a repeat that arrives after the save before anything else is done."""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Optional

from flask import abort, flash, g, make_response, redirect, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import alerts
from .extensions import db
from .htmx import wants_partial
from .models import UTCDateTime, utcnow

FIELD = "submission_key"
ALREADY_SAVED = "This was already saved."


class SubmissionKey(db.Model):
    """A form's one-time key, claimed in the transaction that saves what the form
    created: the unique key lets one submission create one record, however often
    it arrives (a double tap, Back and Save, a retried POST). No foreign key to the
    record: kinds differ, and a record deleted after its retention period may go."""

    __tablename__ = "submission_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # the endpoint that saved it
    record_id: Mapped[Optional[int]] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(500))  # where its save led
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlreadySaved(Exception):
    """This user's submission with this key was saved before: `target` is where it led."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


def well_formed(key: str) -> bool:
    """A key as OnceForm issues them. Anything else is never looked up: it cannot have
    been claimed, and some text (a NUL byte) PostgreSQL refuses even to compare."""
    return 16 <= len(key) <= 64 and key.isascii() and all(c.isalnum() or c in "-_" for c in key)


def _prior(key: str, fresh: bool = False) -> SubmissionKey | None:
    """The claim of this key, read once a request (@once, then the form, ask): only the
    unique constraint decides, so an answer a moment old costs nothing but this query."""
    if not well_formed(key):
        return None
    asked = g.setdefault("submission_claims", {})
    if fresh or key not in asked:
        asked[key] = db.session.scalar(select(SubmissionKey).where(SubmissionKey.key == key))
    return asked[key]


def unclaimed(key: str) -> bool:
    """Before saving: whether the key is free. One this user claimed with this form
    raises AlreadySaved; one claimed otherwise is False, saying nothing of whose it is."""
    prior = _prior(key)
    if prior is None:
        return True
    if prior.user_id == current_user.id and prior.kind == request.endpoint:
        raise AlreadySaved(prior.target)
    return False


def _mine(key: str) -> str | None:
    """Where this user's save with this key led, as committed now; else None."""
    prior = _prior(key, fresh=True) if key else None
    if prior is None or prior.user_id != current_user.id or prior.kind != request.endpoint:
        return None
    return prior.target


def claim(key: str, record_id: int | None, target: str) -> None:
    """Claim the form's key for the record just created, in its transaction.

    The one decision is the unique constraint on the key: a submission that loses
    (the same key at the same moment waits for the first to commit, then fails)
    rolls back everything it did and raises AlreadySaved with the first one's target.
    A key claimed by someone else, or by another form, is refused (409)."""
    db.session.add(
        SubmissionKey(key=key, user_id=current_user.id, kind=request.endpoint, record_id=record_id, target=target)
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # nothing of this submission stays: not the record, not its alerts
        alerts.forget_queued()
        if (target := _mine(key)) is None:
            abort(409)
        raise AlreadySaved(target) from None


def once(answer=None, saving=lambda: True):
    """A view whose POST creates a record with a OnceForm. A repeat of a saved submission
    gets the first one's answer: `answer(target, **view_args)` when htmx asked for a piece
    of the page, else the redirect to what was saved (for htmx, a page load there) with
    "This was already saved.". `saving()` says whether a POST is a save at all (the log
    form also posts itself to pick pupils without JavaScript)."""

    def decorate(view):
        @wraps(view)
        def wrapper(**view_args):
            if request.method != "POST" or not saving():
                return view(**view_args)
            key = request.form.get(FIELD, "")
            try:
                unclaimed(key)
                response = view(**view_args)
            except AlreadySaved as saved:
                return repeated(saved.target, view_args)
            except IntegrityError:
                # The same submission at the same moment, which ran into what the first one
                # saved (a pupil's monitoring, a link) before reaching its key: a repeat too.
                db.session.rollback()
                alerts.forget_queued()
                if (target := _mine(key)) is None:
                    raise
                return repeated(target, view_args)
            if response.status_code in (409, 422) and (target := _mine(key)) is not None:
                # Refused because its twin, a moment earlier, changed what it found (the pupil
                # is now monitored, the category added): it is that save's repeat.
                db.session.rollback()
                return repeated(target, view_args)
            return response

        def repeated(target: str, view_args: dict):
            if wants_partial() and answer is not None:
                return answer(target, **view_args)  # a piece of the page, as the first got
            flash(ALREADY_SAVED, "info")  # shown on the page the redirect leads to
            if wants_partial():
                response = make_response("", 204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target, 303)

        wrapper.saves_once = True  # for the tests: the views whose saves claim a key
        return wrapper

    return decorate
