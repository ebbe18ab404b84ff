"""The optional parts of the log form: attachments and the body map. Checked with
the form, saved with the entry (after it, in the same transaction), and shown again
as they were when the form comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import request

from ..attachments import operations as attachment_ops
from ..attachments import staging, storage, uploads
from ..bodymap import marks as body_marks
from ..bodymap.areas import VIEWS, by_view
from ..bodymap import operations as body_map_ops
from ..extensions import db
from ..models import Entry, User


@dataclass
class Extras:
    files: uploads.Checked = field(default_factory=uploads.Checked)
    marks: body_marks.Posted = field(default_factory=body_marks.Posted)

    @classmethod
    def from_request(cls, user: User) -> Extras:
        extras = cls(files=uploads.from_request(), marks=body_marks.from_request())
        kept = []
        for token in request.form.getlist(staging.FIELD)[: uploads.max_files() + 1]:
            try:
                kept.append(staging.unstage(token, user.id))
            except ValueError:
                extras.files.errors.append("A file chosen earlier could not be kept. Please choose it again.")
        extras.files.uploads[:0] = kept
        if len(extras.files.uploads) > uploads.max_files():
            extras.files.errors.append(f"Attach at most {uploads.max_files()} files to an entry.")
        return extras

    body_map_views = tuple(VIEWS.items())
    body_map_areas = by_view()

    @property
    def valid(self) -> bool:
        return self.files.valid and self.marks.valid

    def __iter__(self):
        """Its problems, as fields for the form's error summary (each links to its place)."""
        if self.files.errors:
            yield SimpleNamespace(id="attachments", errors=self.files.errors)
        for number, row in enumerate(self.marks.rows, start=1):
            if row.error:
                yield SimpleNamespace(id=f"mark-note-{number}", errors=[row.error])
        if self.marks.errors and not any(r.error for r in self.marks.rows):
            yield SimpleNamespace(id="body-map", errors=self.marks.errors)

    def keep_files(self, user: User) -> None:
        """The form is shown again: the good files wait on the server for the next save."""
        if all(u.staged_token for u in self.files.uploads):
            return
        self.files.uploads = [
            u
            if u.staged_token
            else uploads.Upload(
                u.data, u.filename, u.kind, u.sha256, staged_token=staging.stage(db.session, user.id, u)
            )
            for u in self.files.uploads
        ]
        db.session.commit()  # nothing else of this post is saved: it was shown again

    def save(self, user: User, entry: Entry) -> None:
        attachment_ops.attach(user, entry, self.files.uploads)
        for upload in self.files.uploads:
            if upload.staged_name:
                storage.discard_staged(upload.staged_name)
        body_map_ops.save_marks(user, entry, self.marks.marks)
