"""Receiving a signed child-protection file from a school outside the trust: verify it,
match the pupil by UPN, keep the pack and its records (append-only), send the receipt."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from .. import alerts, audit
from ..attachments import storage
from ..extensions import db
from ..models import Alert, Pupil, User
from ..timefmt import now_utc
from . import fileformat
from .models import KeyDistrust, ReceivedPack, ReceivedRecord

RECEIPT = "pack_receipt"


def limits() -> fileformat.Limits:
    return fileformat.Limits(max_bytes=current_app.config["PACK_MAX_BYTES"])


def distrusted(trust_ids) -> dict[str, KeyDistrust]:
    """The keys these trusts do not trust now: fingerprint -> the row that said so."""
    trust_ids = list(trust_ids)
    if not trust_ids:
        return {}
    latest = (
        select(func.max(KeyDistrust.id))
        .where(KeyDistrust.trust_id.in_(trust_ids))
        .group_by(KeyDistrust.trust_id, KeyDistrust.fingerprint)
    )
    rows = db.session.scalars(select(KeyDistrust).where(KeyDistrust.id.in_(latest)).order_by(KeyDistrust.id))
    return {row.fingerprint: row for row in rows if row.distrusted}


def open_checked(body: bytes, trust_ids) -> fileformat.Opened:
    """A pack opened as these trusts receive it: signature, checksums and records checked,
    and refused (fileformat.Refused) when signed by a key they do not trust."""
    opened = fileformat.open_pack(body, limits(), distrusted=frozenset(distrusted(trust_ids)))
    check_records(opened)
    return opened


def stage(opened: fileformat.Opened, body: bytes, pupils) -> str:
    """The checked upload kept on the server until the pupil is confirmed (only when a pupil
    matches: the confirmation names it, not the upload again), and the check audited."""
    staged = storage.write(db.session, body, staged=True) if pupils else ""
    audit.record(
        audit.CHECK_PACK,
        reference=str(opened.header.get("reference"))[:64],
        key=opened.fingerprint,
        sha256=opened.pack_sha256,
        matched=[p.id for p in pupils],
    )
    return staged


def set_trust(by: User, trust_id: int, fingerprint: str, *, distrust: bool, reason: str) -> KeyDistrust:
    row = KeyDistrust(
        trust_id=trust_id, fingerprint=fingerprint, distrusted=distrust, reason=reason, by_id=by.id, at=now_utc()
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        audit.DISTRUST_KEY if distrust else audit.TRUST_KEY, trust_id=trust_id, fingerprint=fingerprint, reason=reason
    )
    return row


# --- what records.json must hold for us to keep it as records ---------------------------------


def _text(record: dict, key: str, where: str, limit: int = 100_000, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise fileformat.Refused(f"records.json: {where} has no valid “{key}”.")
    return value


def _when(record: dict, key: str, where: str, required: bool = True) -> datetime | None:
    value = record.get(key)
    if value is None and not required:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise fileformat.Refused(f"records.json: {where} has no valid “{key}” (an ISO 8601 time).") from exc
    if parsed.tzinfo is None:
        raise fileformat.Refused(f"records.json: {where}'s “{key}” has no time zone.")
    return parsed.astimezone(timezone.utc)


def _list(record: dict, key: str, where: str) -> list[dict]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise fileformat.Refused(f"records.json: {where}'s “{key}” is not a list of records.")
    return value


def parse_date(value) -> date | None:
    """A date the pack gives, if it is one (shown, never stored)."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


ENTRY_PARTS = ("later_categories", "amendments", "body_map", "attachments", "follow_ups")


def _without(record: dict, parts) -> dict:
    return {key: value for key, value in record.items() if key not in parts}


@dataclass
class Row:
    kind: str
    entry_ref: int | None
    title: str
    text: str
    record: dict
    occurred_key: str | None = None


def _rows(records: dict) -> list[Row]:
    """Every record of records.json, in order, each checked for its when, who and where."""
    rows = [
        Row(
            "key_information",
            None,
            str(k.get("label") or "Key information"),
            str(k.get("text") or k.get("value") or ""),
            k,
        )
        for k in _list(records, "key_information", "the pupil")
    ]
    for number, entry in enumerate(_list(records, "entries", "the file"), start=1):
        ref = entry.get("id") if isinstance(entry.get("id"), int) else number
        where = f"entry {ref}"
        rows.append(
            Row(
                "entry",
                ref,
                _text(entry, "category", where, 300),
                _text(entry, "narrative", where),
                _without(entry, ENTRY_PARTS),  # each part is a row of its own
                "occurred_at",
            )
        )
        for part, kind, title, body in (
            ("later_categories", "later_category", "category", "reason"),
            ("amendments", "amendment", "reason", "text"),
            ("body_map", "body_map_mark", "area", "description"),
            ("attachments", "attachment", "filename", None),
        ):
            for item in _list(entry, part, where):
                shown = str(item.get(title) or "")
                rows.append(
                    Row(
                        kind,
                        ref,
                        shown[:300],
                        str(item.get(body) or "") if body else "",
                        item,
                    )
                )
        for fu in _list(entry, "follow_ups", where):
            rows.append(
                Row(
                    "follow_up",
                    ref,
                    str(fu.get("kind_label") or fu.get("kind") or "Follow-up")[:300],
                    str(fu.get("text") or ""),
                    _without(fu, ("amendments",)),
                    "occurred_at",
                )
            )
            for fix in _list(fu, "amendments", f"a follow-up of {where}"):
                rows.append(Row("amendment", ref, str(fix.get("reason") or "")[:300], str(fix.get("text") or ""), fix))
    rows += _onward_rows(records)
    for number, row in enumerate(rows, start=1):
        where = f"record {number} ({row.kind.replace('_', ' ')})"
        _when(row.record, "created_at", where)
        _text(row.record, "author", where, 200)
        _text(row.record, "school", where, 200)
        if row.occurred_key:
            _when(row.record, row.occurred_key, where)
    return rows


KINDS = ("entry", "follow_up", "amendment", "later_category", "body_map_mark", "attachment", "key_information")
TITLES = ("category", "kind_label", "area", "filename", "label", "reason")
TEXTS = ("narrative", "text", "description", "value")


def _onward_rows(records: dict) -> list[Row]:
    """Records the sender had itself received from another school and sends on with the
    child (`received_files`): kept with the author and school that first recorded them."""
    rows = []
    for number, received in enumerate(_list(records, "received_files", "the file"), start=1):
        where = f"received file {number}"
        _text(received.get("sender") if isinstance(received.get("sender"), dict) else {}, "school", where, 200)
        for record in _list(received, "records", where):
            kind = record.get("record_type")
            if kind not in KINDS:
                raise fileformat.Refused(f"records.json: {where} holds a record of an unknown kind.")
            title = next((str(record[k]) for k in TITLES if isinstance(record.get(k), str) and record[k]), "")
            text = next((str(record[k]) for k in TEXTS if isinstance(record.get(k), str) and record[k]), "")
            ref = record.get("id") if kind == "entry" and isinstance(record.get("id"), int) else None
            occurred = "occurred_at" if kind in ("entry", "follow_up") else None
            rows.append(
                Row(kind, ref, title[:300], text, {**record, "received_with": received.get("reference")}, occurred)
            )
    return rows


def check_records(opened: fileformat.Opened) -> list[Row]:
    """The records, or Refused: a pack whose records we could not show as sent is not kept."""
    pupil = opened.records.get("pupil")
    if not isinstance(pupil, dict):
        raise fileformat.Refused("records.json has no pupil.")
    _text(pupil, "name", "the pupil", 200)
    header = opened.header
    signer = header.get("signed_by")
    if not isinstance(signer, dict):
        raise fileformat.Refused("pack.json does not say who signed it.")
    for key in ("school", "trust"):
        _text(signer, key, "pack.json's signer", 200)
    _text(header, "receipt_email", "pack.json", 254)
    _when(header, "signed_at", "pack.json")
    rows = _rows(opened.records)
    named = set()
    for row in rows:
        if row.kind == "attachment" and row.record.get("file") is not None:
            sha256 = row.record.get("sha256")
            if row.record["file"] != f"attachments/{sha256}" or row.record["file"] not in opened.files:
                raise fileformat.Refused("records.json names an attached file the pack does not hold.")
            named.add(sha256)
    if set(opened.attachments) - named:
        raise fileformat.Refused("The pack holds an attachment no record names.")
    return rows


def upn_of(opened: fileformat.Opened) -> str:
    upn = opened.records.get("pupil", {}).get("upn")
    return upn.strip().upper() if isinstance(upn, str) else ""


def matching_pupils(opened: fileformat.Opened, school_ids) -> list[Pupil]:
    upn = upn_of(opened)
    if not upn or not school_ids:
        return []
    return list(
        db.session.scalars(
            select(Pupil).where(func.upper(Pupil.upn) == upn, Pupil.school_id.in_(list(school_ids))).order_by(Pupil.id)
        )
    )


def already_received(pupil: Pupil, opened: fileformat.Opened) -> ReceivedPack | None:
    return db.session.scalar(
        select(ReceivedPack).where(ReceivedPack.pupil_id == pupil.id, ReceivedPack.pack_sha256 == opened.pack_sha256)
    )


def receive(by: User, pupil: Pupil, opened: fileformat.Opened, body: bytes) -> ReceivedPack:
    """Keep the pack (on disk, as it came) and its records; audit; queue the sender's receipt."""
    rows = check_records(opened)
    header, signer = opened.header, opened.header["signed_by"]
    pack = ReceivedPack(
        reference=str(header.get("reference"))[:64],
        school_id=pupil.school_id,
        pupil_id=pupil.id,
        imported_by_id=by.id,
        imported_at=now_utc(),
        sender_school=signer["school"],
        sender_trust=signer["trust"],
        sender_person=str(signer.get("person") or "")[:200],
        receipt_email=header["receipt_email"],
        signed_at=_when(header, "signed_at", "pack.json"),
        key_fingerprint=opened.fingerprint,
        manifest_sha256=opened.manifest_sha256,
        pack_sha256=opened.pack_sha256,
        format_version=fileformat.VERSION,
        body=body,
    )
    db.session.add(pack)
    db.session.flush()
    db.session.add_all(
        ReceivedRecord(
            received_pack_id=pack.id,
            pupil_id=pupil.id,
            position=position,
            kind=row.kind,
            entry_ref=row.entry_ref,
            created_at=_when(row.record, "created_at", "record"),
            occurred_at=_when(row.record, row.occurred_key, "record") if row.occurred_key else None,
            author=row.record["author"][:200],
            school=row.record["school"][:200],
            title=row.title[:300],
            text=row.text,
            data=json.dumps(row.record, ensure_ascii=False, sort_keys=True),
        )
        for position, row in enumerate(rows)
    )
    entries = sum(1 for r in rows if r.kind == "entry")
    audit.record(
        audit.RECEIVE_PACK,
        pupil=pupil,
        received_pack=pack.id,
        reference=pack.reference,
        sender_school=pack.sender_school,
        key=pack.key_fingerprint,
        manifest_sha256=pack.manifest_sha256,
        pack_sha256=pack.pack_sha256,
        entries=entries,
        records=len(rows),
    )
    alert = Alert(
        received_pack=pack,
        school_id=pupil.school_id,
        recipient=by,  # who caused it; the receipt goes to the address in the pack
        email=pack.receipt_email,
        reason=RECEIPT,
        base_url=alerts.queued_from(),
    )
    alerts.queue_rows([alert])
    return pack


def received_of(pupil: Pupil) -> list[tuple[ReceivedPack, list[ReceivedRecord]]]:
    """The files received about a pupil, oldest first, each with its records in order."""
    packs = list(
        db.session.scalars(
            select(ReceivedPack).where(ReceivedPack.pupil_id == pupil.id).order_by(ReceivedPack.imported_at)
        )
    )
    if not packs:
        return []
    rows = list(
        db.session.scalars(
            select(ReceivedRecord)
            .where(ReceivedRecord.received_pack_id.in_([p.id for p in packs]))
            .order_by(ReceivedRecord.received_pack_id, ReceivedRecord.position)
        )
    )
    return [(p, [r for r in rows if r.received_pack_id == p.id]) for p in packs]


def attachment_of(pack: ReceivedPack, sha256: str) -> bytes | None:
    """A file of a received pack, if the pack (checked against its SHA-256 at import) holds it."""
    body = storage.verified(pack.body, pack.pack_sha256)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        try:
            data = archive.read(f"attachments/{sha256}")
        except KeyError:
            return None
    return data if fileformat.sha256(data) == sha256 else None


def receipt_context(alert: Alert) -> dict:
    pack = alert.received_pack
    return {
        "pack": pack,
        "initials": pack.pupil.initials,
        "receiving_school": pack.school.name,
        "recipient": alert.recipient,
        "reason": alert.reason,
    }


EMAILS = (alerts.Email(RECEIPT, "pack_receipt", receipt_context),)
