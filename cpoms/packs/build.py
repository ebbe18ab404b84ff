"""One builder for every child-protection file that leaves the app (a transfer pack
to a school outside the trust, a subject-access export): the records as the current
user may read them, in the signed format of fileformat.py."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from flask_login import current_user

from .. import redaction
from ..attachments import policy as attachments_policy
from ..attachments import storage
from ..attachments.routes import attachments_of, body_marks_of
from ..bodymap.areas import title_of
from ..chronology import exports, pdfdoc
from ..chronology.queries import Filters, Page, everything, shown_follow_ups
from ..models import Kind, Pupil, Source
from ..timefmt import now_utc
from . import fileformat, receiving, sections, signing
from . import policy as packs_policy

PURPOSES = {"transfer": "Transfer to another school", "subject-access": "Subject-access request"}


@dataclass
class Pack:
    body: bytes  # the zip
    sha256: str
    reference: str
    fingerprint: str
    manifest_sha256: str
    entries: int
    follow_ups: int
    file_name: str


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _by(when, author, school) -> dict:
    return {"created_at": _iso(when), "author": author.name, "school": school.name}


def _amendments(entry, follow_up_id, redactor) -> list[dict]:
    return [
        {
            **_by(fix.created_at, fix.author, entry.school),
            "text": redactor.text(fix.text, entry),
            "reason": redactor.text(fix.reason, entry),
        }
        for fix in entry.amendments
        if fix.follow_up_id == follow_up_id
    ]


def _attachment(entry, file, redactor, files: dict[str, bytes], may_open: bool) -> dict:
    record = {
        **_by(file.uploaded_at, file.uploaded_by, entry.school),
        "filename": redactor.text(file.filename, entry),
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "file": None,
        "withheld": None,
    }
    if not may_open:
        record["filename"] = None
        record["withheld"] = "The person who produced this pack may not open this school's attachments."
        return record
    try:
        files[f"attachments/{file.sha256}"] = storage.read_verified(file.stored_name, file.sha256)
        record["file"] = f"attachments/{file.sha256}"
    except storage.Damaged as problem:
        record["withheld"] = f"The file could not be included: {problem}."
    return record


def _follow_up(entry, fu, page: Page, redactor) -> dict:
    task = fu.task
    return {
        "id": fu.id,
        **_by(fu.created_at, fu.author, entry.school),
        "kind": fu.kind,
        "kind_label": Kind.LABELS.get(fu.kind, fu.kind),
        "occurred_at": _iso(fu.occurred_at),
        "text": redactor.text(fu.text, entry),
        "reason": redactor.text(fu.reason, entry) or None,
        "risk_level": fu.risk_level,
        "agency": redactor.text(fu.agency_name, entry) or None,
        "agency_reference": redactor.text(fu.agency_reference, entry) or None,
        "key_event": fu.id in page.key_ids,
        "shared_with": redactor.text(fu.shared_with, entry) or None,
        "task": (
            {"for": task.assignee.name, "due_on": _iso(task.due_on), "done": exports.task_done_words(task)}
            if task
            else None
        ),
        "amendments": _amendments(entry, fu.id, redactor),
    }


def records(pupil: Pupil, page: Page, files: dict[str, bytes], transfers=()) -> dict:
    """records.json without its header: the pupil and every entry the reader may see."""
    redactor = exports.Redactor(pupil)
    entries = []
    for entry in page.items:
        may_open = attachments_policy.can_open_attachments(current_user, entry.school_id)
        entries.append(
            {
                "id": entry.id,
                **_by(entry.created_at, entry.recorded_by, entry.school),
                "occurred_at": _iso(entry.occurred_at),
                "category": entry.category_name,
                "later_categories": [
                    {**_by(c.added_at, c.added_by, entry.school), "category": c.category.name, "reason": c.reason}
                    for c in entry.later_categories
                ],
                "how_it_reached_the_school": Source.LABELS.get(entry.source, entry.source),
                "status": entry.state.status if entry.state else None,
                "role": entry.role_of(pupil.id),
                "narrative": redactor.text(entry.narrative, entry),
                "child_words": redactor.text(entry.child_words, entry) or None,
                "also_about": redactor.also_about(entry) or None,
                "amendments": _amendments(entry, None, redactor),
                "body_map": [
                    {
                        **_by(entry.created_at, entry.recorded_by, entry.school),
                        "number": mark.number,
                        "view": mark.view,
                        "x": mark.x,
                        "y": mark.y,
                        "area": title_of(mark),
                        "description": redactor.text(mark.description, entry),
                    }
                    for mark in body_marks_of(entry)
                ],
                "attachments": [
                    {**_attachment(entry, file, redactor, files, may_open), "follow_up_id": file.follow_up_id}
                    for file in attachments_of(entry, every=True)
                ],
                "follow_ups": [
                    _follow_up(entry, fu, page, redactor) for fu in shown_follow_ups(entry, page.filters, page.key_ids)
                ],
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
        "key_information": sections.key_information(pupil),
        "entries": entries,
        "received_files": received_files(pupil, files),
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


def received_files(pupil: Pupil, files: dict[str, bytes]) -> list[dict]:
    """Files this school received about the pupil from outside the trust, their records as
    they arrived, so that they travel on with the child (their attached files too)."""
    if not packs_policy.can_read_received(current_user, pupil):
        return []
    found = []
    for pack, rows in receiving.received_of(pupil):
        records = []
        for row in rows:
            record = {**json.loads(row.data), "record_type": row.kind}
            if row.kind == "attachment" and record.get("file"):
                try:
                    data = receiving.attachment_of(pack, record.get("sha256", ""))
                except storage.Damaged:
                    data = None
                if data is None:
                    record["file"], record["withheld"] = None, "The received file could not be read."
                else:
                    files[f"attachments/{record['sha256']}"] = data
            records.append(record)
        found.append(
            {
                "reference": pack.reference,
                "sender": {"school": pack.sender_school, "trust": pack.sender_trust, "person": pack.sender_person},
                "signed_at": _iso(pack.signed_at),
                "key_fingerprint": pack.key_fingerprint,
                "manifest_sha256": pack.manifest_sha256,
                "received_at": _iso(pack.imported_at),
                "received_by": pack.imported_by.name,
                "received_at_school": pack.school.name,
                "records": records,
            }
        )
    return found


def _draw_received(doc, received: list[dict]) -> None:
    """The received files' records at the end of the PDF, as the chronology page shows them."""
    if not received:
        return
    doc.block()
    doc.bars = ()
    doc.gap(6)
    doc.text("Received from other schools", font=pdfdoc.BOLD, size=13, after=4)
    for pack in received:
        sender = pack["sender"]
        doc.block()
        doc.text(f"Received from {sender['school']}", font=pdfdoc.BOLD, size=11.5, after=2)
        doc.text(
            f"Signed by {sender['school']} ({sender['trust']}) at {pack['signed_at']}, key {pack['key_fingerprint']}; "
            f"received {pack['received_at']} by {pack['received_by']}. Pack {pack['reference']}.",
            size=9,
            color=pdfdoc.GREY,
        )
        for record in pack["records"]:
            doc.block()
            when = " · ".join(filter(None, [record.get("occurred_at"), f"recorded {record.get('created_at')}"]))
            doc.text(
                f"{record['record_type'].replace('_', ' ').capitalize()} · {when} by {record.get('author')}, {record.get('school')}",
                size=9,
                color=pdfdoc.GREY,
            )
            for key in (
                "category",
                "kind_label",
                "area",
                "filename",
                "label",
                "narrative",
                "text",
                "description",
                "reason",
            ):
                if isinstance(record.get(key), str) and record[key]:
                    doc.text(record[key])


def _json(data: dict) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def build(pupil: Pupil, purpose: str, transfers=(), recipient: dict | None = None) -> Pack:
    """The signed zip of everything of this pupil the current user may read."""
    school, trust = pupil.school, pupil.school.trust
    key, print_ = signing.signing_key(trust.id)
    page = everything(current_user, pupil, Filters())
    signed_at = now_utc().replace(microsecond=0)
    reference = f"CP-{signed_at:%Y%m%d}-{secrets.token_hex(6)}"
    header = {
        "format": fileformat.FORMAT,
        "format_version": fileformat.VERSION,
        "reference": reference,
        "purpose": purpose,
        "signed_at": signed_at.isoformat(),
        "signed_by": {"school": school.name, "trust": trust.name, "person": current_user.name},
        "receipt_email": current_user.email,
        "recipient": recipient,
        "key_fingerprint": print_,
        "software": "cpoms",
    }
    attachments: dict[str, bytes] = {}
    data = {
        "format_version": fileformat.VERSION,
        "reference": reference,
        **records(pupil, page, attachments, transfers),
    }
    files = {
        fileformat.PACK_JSON: _json(header),
        fileformat.RECORDS: _json(data),
        **dict(sorted(attachments.items())),
        fileformat.KEY: fileformat.key_file(key),
    }
    digest = fileformat.stamp_digest(files)
    pdf = exports.pdf_bytes(
        pupil,
        page,
        stamp=f"Pack {reference} · manifest SHA-256 {digest}",
        more=lambda doc: _draw_received(doc, data["received_files"]),
    )
    body = fileformat.write(files, pdf, key)
    follow_ups = sum(len(e["follow_ups"]) for e in data["entries"])
    return Pack(
        body=body,
        sha256=fileformat.sha256(body),
        reference=reference,
        fingerprint=print_,
        manifest_sha256=fileformat.sha256(fileformat.manifest_lines({**files, fileformat.PDF: pdf})),
        entries=len(data["entries"]),
        follow_ups=follow_ups,
        file_name=f"{purpose}-{pupil.id}-{reference}.zip",
    )
