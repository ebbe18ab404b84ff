"""A second installation of the app (another trust, its own signing key and database)
that sends a child-protection file pack, and helpers to take packs apart."""

from __future__ import annotations

import hashlib
import json
import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from cpoms.attachments import storage
from cpoms.attachments.models import Attachment
from cpoms.bodymap.models import BodyMapMark
from cpoms.demo import ensure_categories
from cpoms.entries.models import Amendment, EntryCategory
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.log.operations import create_entry
from cpoms.models import Category, Kind, Pupil, Role, School, Trust, User
from cpoms.timefmt import now_utc

from conftest import Auth, make_app, make_pupil, make_user
from sample_files import png, zipped

SENDER_TRUST, SENDER_SCHOOL = "Riverside Learning Trust", "Riverside Academy"
SENDER_EMAIL = "rita@riverside.example.org"
UPN_AMELIA = "A204210010001"  # Amelia Hassan at ashgrove (tests/conftest.py)
NARRATIVE = "Bruise on the left forearm, said it was from a fall; noticed at lunch (quokka-lantern)."
FOLLOW_UP = "Called children's social care: advice taken, monitoring."
AMENDMENT = "The bruise was on the right forearm."
MARK = "Yellowing bruise, 3 cm."
PICTURE = png(colour=(10, 200, 30))


@dataclass
class Sender:
    app: object
    pupil_id: int
    dsl_id: int
    entry_id: int

    def pack(self) -> bytes:
        """A subject-access pack, produced over HTTP as the sending school's DSL would."""
        client = self.app.test_client()
        with self.app.app_context():
            dsl = db.session.get(User, self.dsl_id)
        Auth(self.app, client).as_(dsl)
        response = client.post(f"/pupils/{self.pupil_id}/subject-access")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.data


def make_sender(tmp_path, upn: str) -> Sender:
    """Riverside Academy, on its own installation: a pupil with this UPN and one entry with
    a follow-up, an amendment, a later category, a body-map mark and an attachment; and
    another pupil on the same entry (who must reach the receiver as "another pupil")."""
    app = make_app(
        f"sqlite:///{tmp_path / 'sender.sqlite3'}",
        ATTACHMENT_DIR=str(tmp_path / "sender-attachments"),
        SIGNING_KEY_DIR=str(tmp_path / "sender-keys"),
    )
    with app.test_request_context():
        db.create_all()
        categories = {c.name: c for c in ensure_categories()}
        trust = Trust(name=SENDER_TRUST)
        school = School(slug="riverside", name=SENDER_SCHOOL, trust=trust)
        db.session.add_all([trust, school])
        db.session.flush()
        dsl = make_user("Rita Rivers", SENDER_EMAIL, roles=[(Role.DSL, school, None)])
        teacher = make_user("Tom Teal", "tom@riverside.example.org", roles=[(Role.STAFF, school, None)])
        pupil = make_pupil(school, "Amelia", "Hassan", upn, 4)
        other = make_pupil(school, "Zebedee", "Quince", "R999999999999", 4)
        db.session.flush()
        entry = create_entry(
            recorded_by=teacher,
            pupils=[pupil, other],
            category=db.session.get(Category, categories["Safeguarding"].id),
            source="staff_observation",
            occurred_at=now_utc() - timedelta(days=3),
            narrative=NARRATIVE + " Zebedee Quince was there.",
            child_words="I fell over.",
            told_dsl_in_person=False,
        )
        add_follow_up(dsl, entry, Kind.ACTION, FOLLOW_UP)
        db.session.add(Amendment(entry_id=entry.id, author_id=dsl.id, text=AMENDMENT, reason="Misread my notes."))
        db.session.add(
            EntryCategory(
                entry_id=entry.id,
                category_id=categories["Behaviour"].id,
                added_by_id=dsl.id,
                reason="Also a behaviour matter.",
            )
        )
        db.session.add(
            BodyMapMark(
                entry_id=entry.id, number=1, view="front", x=0.3, y=0.4, area="front-left-forearm", description=MARK
            )
        )
        db.session.add(
            Attachment(
                entry_id=entry.id,
                uploaded_by_id=teacher.id,
                filename="forearm.png",
                content_type="image/png",
                size=len(PICTURE),
                sha256=hashlib.sha256(PICTURE).hexdigest(),
                stored_name=storage.write(db.session, PICTURE),
            )
        )
        db.session.commit()
        return Sender(app, pupil.id, dsl.id, entry.id)


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def flipped(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def minimal_pack(upn: str, key=None, narrative: str = "Seen upset at drop-off.", attachment=None, **header) -> bytes:
    """A valid version-1 pack written with the format's own writer, no app needed: one
    entry about the pupil with this UPN, signed by `key` (a new Ed25519 key if none)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cpoms.packs import fileformat
    from cpoms.packs.signing import fingerprint

    key = key or Ed25519PrivateKey.generate()
    by = {"created_at": "2026-11-02T10:15:00+00:00", "author": "Sam Sender", "school": "Hilltop School"}
    records = {
        "format_version": 1,
        "reference": "CP-TEST-0001",
        "pupil": {"name": "Amelia Hassan", "upn": upn, "date_of_birth": "2018-03-14", "school": "Hilltop School"},
        "key_information": [],
        "entries": [
            {
                "id": 1,
                **by,
                "occurred_at": "2026-11-02T09:00:00+00:00",
                "category": "Safeguarding",
                "narrative": narrative,
                "attachments": [
                    {
                        **by,
                        "filename": "photo.png",
                        "content_type": "image/png",
                        "size": len(attachment),
                        "sha256": hashlib.sha256(attachment).hexdigest(),
                        "file": f"attachments/{hashlib.sha256(attachment).hexdigest()}",
                        "withheld": None,
                        "follow_up_id": None,
                    }
                ]
                if attachment
                else [],
                "follow_ups": [],
            }
        ],
        "transfers": [],
    }
    pack_json = {
        "format": "cp-file",
        "format_version": 1,
        "reference": "CP-TEST-0001",
        "purpose": "transfer",
        "signed_at": "2026-11-03T08:00:00+00:00",
        "signed_by": {"school": "Hilltop School", "trust": "Hilltop Trust", "person": "Sam Sender"},
        "receipt_email": "dsl@hilltop.example.org",
        "recipient": None,
        "key_fingerprint": fingerprint(key.public_key()),
        **header,
    }
    files = {
        fileformat.PACK_JSON: json.dumps(pack_json).encode(),
        fileformat.RECORDS: json.dumps(records).encode(),
        **({f"attachments/{hashlib.sha256(attachment).hexdigest()}": attachment} if attachment else {}),
        fileformat.KEY: fileformat.key_file(key),
    }
    return fileformat.write(files, b"%PDF-1.4\n% a stand-in\n%%EOF\n", key)


def tampered(pack: bytes, part: str) -> bytes:
    """The pack with one bit of one of its files flipped ("attachment": its first attachment),
    zipped again as someone altering it would."""
    files = unzip(pack)
    name = next(n for n in files if n.startswith("attachments/")) if part == "attachment" else part
    at = 10 if part == "signing-key.pem" else None  # inside the PEM's base64, not its armour
    files[name] = flipped(files[name], at)
    return zipped(files)


def received_sample(world, attachment: bytes = PICTURE) -> dict:
    """A file from outside the trust received for Amelia at ashgrove, with an attached file
    (inside a request context): {"pack_id", "sha256"}."""
    from cpoms.packs import fileformat, receiving

    body = minimal_pack(UPN_AMELIA, attachment=attachment)
    dsl = db.session.get(User, world["dsl"].id)
    pupil = db.session.get(Pupil, world.pupils[0].id)
    pack = receiving.receive(dsl, pupil, fileformat.open_pack(body), body)
    db.session.commit()
    return {"pack_id": pack.id, "sha256": hashlib.sha256(attachment).hexdigest()}
