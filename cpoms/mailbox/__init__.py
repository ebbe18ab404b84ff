"""The local mailbox of `make run` with no mail server: every email the app sends is
written as an .eml file in MAILBOX_DIR (instance/mailbox/) and listed at /mailbox.

It is a demo aid, on only when the dev launcher (cpoms/devserver.py) sets
MAIL_BACKEND=mailbox and no MAIL_SERVER is configured; a real mail server wins.
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import current_app

NAME = re.compile(r"^\d{8}T\d{6}\d{6}-[0-9a-f]{8}$")  # what deliver() names a message


def enabled(app=None) -> bool:
    config = (app or current_app).config
    return config.get("MAIL_BACKEND") == "mailbox" and not config.get("MAIL_SERVER")


def folder() -> Path:
    return Path(current_app.config["MAILBOX_DIR"])


class Connection:
    """Stands in for Flask-Mail's SMTP connection: send() writes the message to a file."""

    def __enter__(self):
        folder().mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message) -> str:
        if message.date is None:
            message.date = time.time()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{secrets.token_hex(4)}"
        path = folder() / f"{name}.eml"
        # Written under another name and renamed: the page never lists half a message.
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        partial.replace(path)
        return name


@dataclass
class Letter:
    name: str
    to: str
    subject: str
    sent: datetime | None
    body: str = ""


def _read(path: Path, with_body: bool) -> Letter:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    try:
        sent = parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else None
    except (TypeError, ValueError):
        sent = None
    body = ""
    if with_body:
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
    return Letter(
        name=path.stem, to=str(parsed["To"] or ""), subject=str(parsed["Subject"] or ""), sent=sent, body=body
    )


def letters(limit: int = 200) -> list[Letter]:
    """The newest first (names start with the time they were written)."""
    if not folder().is_dir():
        return []
    paths = sorted(folder().glob("*.eml"), reverse=True)[:limit]
    return [_read(path, with_body=False) for path in paths]


def letter(name: str) -> Letter | None:
    if not NAME.match(name):
        return None
    path = folder() / f"{name}.eml"
    return _read(path, with_body=True) if path.is_file() else None


def count() -> int:
    return len(list(folder().glob("*.eml"))) if folder().is_dir() else 0
