"""Files sent with a form: read (to a limit), identified by content, named safely."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask import current_app, request

from ..common import size_label
from . import names, sniff

FIELD = "attachments"


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    kind: sniff.FileType
    sha256: str
    # Set while the form is shown again: the file waits on the server (staging.py).
    staged_token: str = ""
    staged_name: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Checked:
    uploads: list[Upload] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def max_bytes() -> int:
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def max_files() -> int:
    return current_app.config["ATTACHMENT_MAX_FILES"]


def from_request() -> Checked:
    """Every file chosen in the form's attachments field, each checked on its own: one
    bad file is named in the message, and none is stored until all are good."""
    checked = Checked()
    chosen = [f for f in request.files.getlist(FIELD) if f.filename or f.content_length]
    if len(chosen) > max_files():
        checked.errors.append(f"Attach at most {max_files()} files at a time.")
        return checked
    for storage in chosen:
        shown = names.display_name(storage.filename) or "the file"
        if names.has_path(storage.filename):
            # Browsers send a file's own name, never a folder path: this one was made up.
            checked.errors.append(
                f"“{shown}” was not attached: its name contains a folder path. "
                "Attach the file itself, with a plain name."
            )
            continue
        data = storage.stream.read(max_bytes() + 1)
        if len(data) > max_bytes():
            checked.errors.append(f"“{shown}” is larger than {size_label(max_bytes())}, the most a file may be.")
            continue
        try:
            kind = sniff.identify(data)
        except sniff.Refused as refusal:
            checked.errors.append(f"“{shown}” was not attached: {refusal}. Attach a {sniff.ACCEPTED} file.")
            continue
        claimed = names.extension(shown)
        if not claimed:
            shown = (shown if shown != "the file" else "attachment") + kind.extensions[0]
        elif claimed not in kind.extensions:
            checked.errors.append(
                f"“{shown}” was not attached: its name ends {claimed} but it is a "
                f"{kind.label}. Rename it to end {kind.extensions[0]} and attach it again."
            )
            continue
        checked.uploads.append(Upload(data, shown, kind, hashlib.sha256(data).hexdigest()))
    return checked
