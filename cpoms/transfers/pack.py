"""A child's records to hand over: the PDF chronology (cpoms/chronology/exports.py)
and a JSON file of the same records, zipped with a manifest of their SHA-256s so
the receiver can check nothing was altered or lost on the way.

Used for a transfer to a school outside the trust and for a subject-access
export. Other pupils on shared entries are "another pupil" in both files.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from flask_login import current_user

from .. import redaction
from ..chronology import exports
from ..chronology.queries import Filters, Page, everything, shown_follow_ups
from ..keyinfo import queries as key_information
from ..models import Kind, Pupil, Source
from ..timefmt import now_utc, uk_date
from .models import Transfer

PDF_NAME, JSON_NAME, MANIFEST_NAME = "chronology.pdf", "records.json", "manifest.json"


@dataclass
class Pack:
    body: bytes  # the zip
    sha256: str
    entries: int
    follow_ups: int
    file_name: str


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def records(pupil: Pupil, page: Page, transfers: list[Transfer] = ()) -> dict:
    """The records of a chronology page (grouped view) as plain data, names redacted as in the PDF."""
    redactor = exports.Redactor(pupil)
    entries = []
    for entry in page.items:
        follow_ups = [
            {
                "id": fu.id,
                "kind": fu.kind,
                "kind_label": Kind.LABELS.get(fu.kind, fu.kind),
                "occurred_at": _iso(fu.occurred_at),
                "recorded_at": _iso(fu.created_at),
                "author": fu.author.name,
                "text": redactor.text(fu.text, entry),
                "reason": redactor.text(fu.reason, entry) or None,
                "risk_level": fu.risk_level,
                "agency": redactor.text(fu.agency_name, entry) or None,
                "agency_reference": redactor.text(fu.agency_reference, entry) or None,
                "key_event": fu.id in page.key_ids,
            }
            for fu in shown_follow_ups(entry, page.filters, page.key_ids)
        ]
        entries.append(
            {
                "id": entry.id,
                "school": entry.school.name,
                "category": entry.category.name,
                "how_it_reached_the_school": Source.LABELS.get(entry.source, entry.source),
                "status": entry.state.status if entry.state else None,
                "occurred_at": _iso(entry.occurred_at),
                "recorded_at": _iso(entry.created_at),
                "recorded_by": entry.recorded_by.name,
                "narrative": redactor.text(entry.narrative, entry),
                "child_words": redactor.text(entry.child_words, entry) or None,
                "also_about": redactor.also_about(entry) or None,
                "follow_ups": follow_ups,
            }
        )
    return {
        "pupil": {
            "name": redactor.pupil_name,
            "upn": pupil.upn,
            "date_of_birth": _iso(pupil.date_of_birth),
            "year": pupil.year_label,
            "class": redaction.pupil_class(pupil) or None,
            "school": pupil.school.name,
        },
        "entries": entries,
        "transfers": [
            {
                "id": t.id,
                "from": t.from_school.name,
                "to": t.destination,
                "method": t.method_label,
                "status": t.status_label,
                "started_at": _iso(t.started_at),
                "sent_on": _iso(t.sent_on),
            }
            for t in transfers
        ],
    }


def build(pupil: Pupil, purpose: str, transfers: list[Transfer] = ()) -> Pack:
    """The zip of everything of this pupil the current user may read."""
    page = everything(current_user, pupil, Filters())
    data = records(pupil, page, transfers)
    produced = {"purpose": purpose, "by": current_user.name, "at": now_utc().isoformat()}
    data = {"produced": produced, **data, "key_information": key_information.statuses_for_export(pupil)}
    files = {
        PDF_NAME: exports.pdf_bytes(pupil, page),
        JSON_NAME: json.dumps(data, indent=2, ensure_ascii=False).encode(),
    }
    follow_ups = sum(len(e["follow_ups"]) for e in data["entries"])
    manifest = {
        **produced,
        "pupil_id": pupil.id,
        "entries": len(data["entries"]),
        "follow_ups": follow_ups,
        "sha256": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
    body = out.getvalue()
    return Pack(
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        entries=len(data["entries"]),
        follow_ups=follow_ups,
        file_name=f"{purpose}-{pupil.id}-{uk_date(now_utc()).replace(' ', '-')}.zip",
    )
