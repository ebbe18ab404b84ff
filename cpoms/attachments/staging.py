"""Files chosen on the log form survive the form being shown again (a missing field,
the gentle check on save): a browser cannot refill a file input, so the checked file
waits in the database (any app server may take the next post) and the form carries a signed token naming it, for its user only."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..timefmt import now_utc
from . import sniff, storage
from .uploads import Upload

FIELD = "staged_attachment"
_SALT = "staged-attachment"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _max_age() -> int:
    return current_app.config["DRAFT_HOURS"] * 3600


def stage(session, user_id: int, upload: Upload) -> str:
    _forget_old()
    name = storage.write(session, upload.data, staged=True)
    return _serializer().dumps({"u": user_id, "n": name, "f": upload.filename, "s": upload.sha256})


def unstage(token: str, user_id: int) -> Upload:
    """The upload a token names, checked again; ValueError when it cannot be had."""
    try:
        claim = _serializer().loads(token, max_age=_max_age())
        if claim["u"] != user_id:
            raise ValueError("not this user's file")
        data = storage.read_verified(claim["n"], claim["s"], staged=True)
        kind = sniff.identify(data)
    except (BadSignature, KeyError, TypeError, storage.Damaged, sniff.Refused) as exc:
        raise ValueError(str(exc)) from exc
    return Upload(data, claim["f"], kind, claim["s"], staged_token=token, staged_name=claim["n"])


def _forget_old() -> None:
    storage.discard_staged_before(now_utc() - timedelta(seconds=_max_age()))
