"""Receiving a signed child-protection file from a school on another installation
(/transfers/import): checked, the pupil confirmed by UPN, kept as read-only records in
the pupil's chronology with the sender's signature status, audited, the receipt sent by
real SMTP; and every refusal a clear 4xx that keeps nothing."""

from __future__ import annotations

import email
import email.policy
import html
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.packs import fileformat, receiving
from cpoms.packs.models import KeyDistrust, ReceivedPack, ReceivedRecord

from sample_files import zipped
from pack_support import (
    AMENDMENT,
    FOLLOW_UP,
    MARK,
    PICTURE,
    SENDER_EMAIL,
    SENDER_SCHOOL,
    make_sender,
    minimal_pack,
    tampered,
    unzip,
)

UPN = "A204210010001"  # Amelia Hassan at ashgrove (tests/conftest.py)


@pytest.fixture
def sender(tmp_path):
    return make_sender(tmp_path, UPN)


def upload(client, body: bytes, name: str = "pack.zip"):
    return client.post("/transfers/import", data={"pack": (io.BytesIO(body), name)}, content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html).group(1)


def confirm(client, html: str, pupil_id: int, confirmed: bool = True):
    data = {
        "staged": hidden(html, "staged"),
        "pack_sha256": hidden(html, "pack_sha256"),
        "submission_key": hidden(html, "submission_key"),
        "pupil": str(pupil_id),
    }
    if confirmed:
        data["confirmed"] = "y"
    return client.post("/transfers/import/confirm", data=data)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_pack_from_another_installation_becomes_read_only_records_and_a_receipt(
    mail_app, smtp, client, auth, world, sender
):
    app = mail_app
    body = sender.pack()
    auth.as_(world["dsl"])
    checked = upload(client, body)
    shown = checked.get_data(as_text=True)
    assert checked.status_code == 200, shown[:3000]
    fingerprint = fileformat.open_pack(body).fingerprint
    assert "Signature verified" in shown and SENDER_SCHOOL in shown and fingerprint in shown
    assert "Amelia Hassan" in shown and UPN in shown
    assert count(app, ReceivedPack) == 0  # nothing kept before the confirmation
    assert confirm(client, shown, world.pupils[0].id, confirmed=False).status_code == 422
    done = confirm(client, shown, world.pupils[0].id)
    assert done.status_code == 303 and done.headers["Location"].endswith(
        f"/pupils/{world.pupils[0].id}/chronology#received-files"
    )
    page = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
    section = html.unescape(page.split('id="received-files"')[1])
    assert f"Received from {SENDER_SCHOOL}" in section and "Signature verified" in section
    for words in ("quokka-lantern", FOLLOW_UP, AMENDMENT, MARK, "forearm.png", "Behaviour", "another pupil"):
        assert words in section, words
    assert "Zebedee" not in page
    # The attached photo, out of the pack as received, for the team only.
    link = re.search(r'href="(/received-files/\d+/[0-9a-f]{64})"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == PICTURE
    assert download.mimetype == "application/octet-stream" and "attachment" in download.headers["Content-Disposition"]
    assert actions(app, "download_received_file")
    auth.as_(world["teacher1"])
    assert client.get(link).status_code == 404
    auth.as_(world["dsl"])
    with app.app_context():
        [pack] = db.session.scalars(select(ReceivedPack))
        assert pack.key_fingerprint == fingerprint and pack.receipt_email == SENDER_EMAIL
        kinds = sorted({r.kind for r in db.session.scalars(select(ReceivedRecord))})
        assert kinds == ["amendment", "attachment", "body_map_mark", "entry", "follow_up", "later_category"]
        # Append-only: the received records cannot be changed or removed.
        for statement in ("UPDATE received_records SET text = 'changed'", "DELETE FROM received_packs"):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()
    [event] = actions(app, "receive_pack")
    detail = json.loads(event.detail)
    assert event.pupil_id == world.pupils[0].id and detail["key"] == fingerprint and detail["entries"] == 1
    # The receipt, by real SMTP, to the address in the pack: no narrative in it.
    [message] = [m for m in smtp.inbox.messages if SENDER_EMAIL in m.rcpt_tos]
    mail = email.message_from_bytes(message.original_content, policy=email.policy.default)
    body_text = mail.get_body(("plain",)).get_content()
    assert "Ashgrove Primary School has received" in body_text and fingerprint in body_text
    assert "quokka" not in body_text and "Amelia" not in body_text, body_text
    # The same pack again adds nothing.
    again = upload(client, body).get_data(as_text=True)
    assert confirm(client, again, world.pupils[0].id).status_code == 303
    assert count(app, ReceivedPack) == 1


def test_received_records_are_for_the_pupils_safeguarding_team(app, client, auth, world):
    auth.as_(world["dsl"])
    html = upload(client, minimal_pack(UPN, narrative="Marked-words-hoopoe.")).get_data(as_text=True)
    assert confirm(client, html, world.pupils[0].id).status_code == 303
    url = f"/pupils/{world.pupils[0].id}/chronology"
    assert "Marked-words-hoopoe" in client.get(url).get_data(as_text=True)
    for who in ("teacher1", "slt", "governor", "trust_rep"):
        auth.as_(world[who])
        response = client.get(url)
        assert "Marked-words-hoopoe" not in response.get_data(as_text=True), who
        assert "Received from" not in response.get_data(as_text=True), who
    auth.as_(world["teacher1"])
    assert client.get("/transfers/import").status_code == 403


def test_the_pupil_is_matched_only_among_ones_own_schools(app, client, auth, world):
    auth.as_(world["dsl"])
    # Noah Baker's UPN: a pupil of brookfield, not of this DSL's school.
    response = upload(client, minimal_pack("B205210110001"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "No pupil to add these records to" in html
    assert "Noah" not in html and "Baker" not in html.replace("Amelia Hassan", "")
    # A pupil id of another school slipped into the confirmation is not a choice.
    html = upload(client, minimal_pack(UPN)).get_data(as_text=True)
    assert confirm(client, html, world.other_pupils[0].id).status_code == 422
    assert count(app, ReceivedPack) == 0


def test_a_stale_or_made_up_upload_is_refused(app, client, auth, world):
    auth.as_(world["dsl"])
    html = upload(client, minimal_pack(UPN)).get_data(as_text=True)
    response = client.post(
        "/transfers/import/confirm",
        data={
            "staged": "a" * 40,
            "pack_sha256": hidden(html, "pack_sha256"),
            "submission_key": hidden(html, "submission_key"),
            "pupil": str(world.pupils[0].id),
            "confirmed": "y",
        },
    )
    assert response.status_code == 422 and "upload it again" in response.get_data(as_text=True)
    assert count(app, ReceivedPack) == 0


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("records.json", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


REFUSED = {
    "not a zip": (lambda p: b"just some text", "not a readable zip"),
    "zip bomb": (lambda p: bomb(), "zip bomb"),
    "path traversal": (lambda p: zipped(unzip(p) | {"../../etc/passwd": b"x"}), "points outside the pack"),
    "duplicate names": (lambda p: zipped({}, entries=[*unzip(p).items(), ("pack.json", b"{}")]), "two files named"),
    "unknown version": (
        lambda p: zipped(
            unzip(p) | {"pack.json": unzip(p)["pack.json"].replace(b'"format_version": 1', b'"format_version": 7')}
        ),
        "format version 7; this app reads version 1",
    ),
    "a changed record": (lambda p: tampered(p, "records.json"), "records.json changed after the pack was signed"),
    "a bad signature": (lambda p: tampered(p, "manifest.sha256.sig"), "signature does not match"),
    "a record without an author": (lambda p: _unsigned_author(p), "has no valid “author”"),
    "a named file missing": (lambda p: _file_missing(), "names an attached file the pack does not hold"),
}


def _unsigned_author(_: bytes) -> bytes:
    """A pack, properly signed, whose entry has no author: refused though the signature holds."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cpoms.packs.signing import fingerprint

    key = Ed25519PrivateKey.generate()
    files = unzip(minimal_pack(UPN, key=key))
    records = json.loads(files["records.json"])
    del records["entries"][0]["author"]
    files["records.json"] = json.dumps(records).encode()
    kept = {n: files[n] for n in ("pack.json", "records.json", "signing-key.pem")}
    assert json.loads(kept["pack.json"])["key_fingerprint"] == fingerprint(key.public_key())
    return fileformat.write(kept, files["chronology.pdf"], key)


def _file_missing() -> bytes:
    """A pack, properly signed, whose record names an attached file it does not hold."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    files = unzip(minimal_pack(UPN, key=key, attachment=PICTURE))
    kept = {n: files[n] for n in ("pack.json", "records.json", "signing-key.pem")}  # no attachments/
    return fileformat.write(kept, files["chronology.pdf"], key)


@pytest.mark.parametrize("case", REFUSED)
def test_refused_packs_are_a_clear_4xx_that_keeps_nothing(app, client, auth, world, case):
    make, message = REFUSED[case]
    auth.as_(world["dsl"])
    response = upload(client, make(minimal_pack(UPN)))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert "This pack was not accepted" in html and message in html.replace("&#34;", '"').replace("&#39;", "'")
    assert count(app, ReceivedPack) == 0 and count(app, ReceivedRecord) == 0
    assert actions(app, "refuse_pack")


def test_a_pack_too_large_is_refused_by_name(app, client, auth, world):
    app.config["PACK_MAX_BYTES"] = 4096
    auth.as_(world["dsl"])
    response = upload(client, minimal_pack(UPN) + b"\0" * 5000)
    assert response.status_code == 413 and "larger than" in response.get_data(as_text=True)
    huge = client.post(
        "/transfers/import",
        data={"pack": (io.BytesIO(b"\0" * (2 * 1024 * 1024)), "pack.zip")},
        content_type="multipart/form-data",
    )
    assert huge.status_code == 413  # beyond the limit and a form's worth: Werkzeug's refusal, unread


def test_a_key_the_trust_distrusts_is_refused_and_can_be_trusted_again(app, client, auth, world):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cpoms.packs.signing import fingerprint, spaced

    key = Ed25519PrivateKey.generate()
    body = minimal_pack(UPN, key=key)
    print_ = fingerprint(key.public_key())
    auth.as_(world["dsl"])
    response = client.post(
        "/transfers/distrusted-keys",
        data={"trust": str(world.trust.id), "fingerprint": spaced(print_).upper(), "reason": "Laptop stolen."},
    )
    assert response.status_code == 303
    assert print_ in client.get("/transfers/distrusted-keys").get_data(as_text=True)
    refused = upload(client, body)
    assert refused.status_code == 422 and "marked as not trusted" in refused.get_data(as_text=True)
    # The other school's DSL is in the same trust: refused for them too.
    auth.as_(world["other_dsl"])
    assert "marked as not trusted" in upload(client, body).get_data(as_text=True)
    assert (
        client.post(
            "/transfers/distrusted-keys/trust",
            data={"trust": str(world.trust.id), "fingerprint": print_, "reason": "Key recovered, checked by phone."},
        ).status_code
        == 303
    )
    auth.as_(world["dsl"])
    assert upload(client, body).status_code == 200
    assert [json.loads(e.detail)["fingerprint"] for e in actions(app, "distrust_key")] == [print_]
    assert len(actions(app, "trust_key")) == 1
    with app.app_context():
        assert [row.distrusted for row in db.session.scalars(select(KeyDistrust).order_by(KeyDistrust.id))] == [
            True,
            False,
        ]
    # A fingerprint that is not one, and a trust that is not theirs.
    auth.as_(world["dsl"])
    bad = client.post(
        "/transfers/distrusted-keys", data={"trust": str(world.trust.id), "fingerprint": "abc", "reason": "x"}
    )
    assert bad.status_code == 422 and "64 characters" in bad.get_data(as_text=True)
    other = client.post("/transfers/distrusted-keys", data={"trust": "999", "fingerprint": print_, "reason": "x"})
    assert other.status_code == 422


def test_a_received_file_whose_key_is_later_distrusted_says_so(app, client, auth, world):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cpoms.packs.signing import fingerprint

    key = Ed25519PrivateKey.generate()
    auth.as_(world["dsl"])
    html = upload(client, minimal_pack(UPN, key=key)).get_data(as_text=True)
    assert confirm(client, html, world.pupils[0].id).status_code == 303
    client.post(
        "/transfers/distrusted-keys",
        data={"trust": str(world.trust.id), "fingerprint": fingerprint(key.public_key()), "reason": "Doubtful."},
    )
    page = client.get(f"/pupils/{world.pupils[0].id}/chronology").get_data(as_text=True)
    assert "since marked as not trusted" in page


def test_verify_pack_says_when_the_trust_distrusts_the_key(app, world, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cpoms.packs.signing import fingerprint

    key = Ed25519PrivateKey.generate()
    path = tmp_path / "pack.zip"
    path.write_bytes(minimal_pack(UPN, key=key))
    assert app.test_cli_runner().invoke(args=["verify-pack", str(path)]).exit_code == 0
    with app.app_context():
        db.session.add(
            KeyDistrust(
                trust_id=world.trust.id,
                fingerprint=fingerprint(key.public_key()),
                distrusted=True,
                reason="Stolen.",
                by_id=world["dsl"].id,
            )
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["verify-pack", str(path)])
    assert result.exit_code == 2 and "NOT TRUSTED" in result.output


def test_a_key_that_others_can_read_is_a_clear_503_not_a_500(app, client, auth, world, tmp_path):
    auth.as_(world["dsl"])
    assert client.post(f"/pupils/{world.pupils[0].id}/subject-access").status_code == 200  # the key is made
    [key] = (tmp_path / "signing-keys").glob("trust-*/*.key")
    key.chmod(0o644)
    response = client.post(f"/pupils/{world.pupils[0].id}/subject-access")
    assert response.status_code == 503 and "signing key cannot be used" in response.get_data(as_text=True)


def test_a_trust_admin_keeps_the_list_of_distrusted_keys(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    page = client.get("/admin/users")
    assert 'href="/transfers/distrusted-keys"' in page.get_data(as_text=True)
    assert client.get("/transfers/distrusted-keys").status_code == 200
    response = client.post(
        "/transfers/distrusted-keys",
        data={"trust": str(world.trust.id), "fingerprint": "cd" * 32, "reason": "Reported stolen by the sender."},
    )
    assert response.status_code == 303
    assert client.get("/transfers/import").status_code == 403  # receiving is the safeguarding team's
    [event] = actions(app, "distrust_key")
    assert event.user_id == trust_admin.id
    # A school admin keeps no such list.
    auth.as_(world["admin"])
    assert client.get("/transfers/distrusted-keys").status_code == 403
    assert 'href="/transfers/distrusted-keys"' not in client.get("/admin/users").get_data(as_text=True)


def test_a_received_file_travels_on_in_the_schools_own_packs(app, client, auth, world, sender):
    """Amelia's file from Riverside, received at ashgrove, goes with her in ashgrove's next pack:
    the records as they arrived (with their first school and author), the photo, in the PDF too;
    and a school receiving that pack keeps them."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in requirements-dev.txt")
    auth.as_(world["dsl"])
    html_page = upload(client, sender.pack()).get_data(as_text=True)
    assert confirm(client, html_page, world.pupils[0].id).status_code == 303
    response = client.post(f"/pupils/{world.pupils[0].id}/subject-access")
    assert response.status_code == 200
    onward = fileformat.open_pack(response.data)
    [received] = onward.records["received_files"]
    assert received["sender"]["school"] == SENDER_SCHOOL
    kinds = {r["record_type"] for r in received["records"]}
    assert {"entry", "follow_up", "amendment", "attachment", "body_map_mark", "later_category"} <= kinds
    entry = next(r for r in received["records"] if r["record_type"] == "entry")
    assert "quokka-lantern" in entry["narrative"] and entry["school"] == SENDER_SCHOOL
    assert (
        onward.attachments[next(r for r in received["records"] if r["record_type"] == "attachment")["sha256"]]
        == PICTURE
    )
    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "cp-file-format.schema.json").read_text())
    jsonschema.validate(onward.records, schema)
    text = " ".join(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(onward.files["chronology.pdf"])).pages).split()
    )
    assert f"Received from {SENDER_SCHOOL}" in text and "quokka-lantern" in text
    # What a receiving school would keep of it: the onward records with their first school.
    with app.test_request_context():
        rows = receiving.check_records(onward)
    assert any(r.kind == "entry" and "quokka-lantern" in r.text and r.record["school"] == SENDER_SCHOOL for r in rows)
    # Staff who may not read received files do not get them in a pack either.
    with app.test_request_context():
        from flask_login import login_user

        from cpoms.models import Pupil, User
        from cpoms.packs.build import received_files

        login_user(db.session.get(User, world["slt"].id))
        assert received_files(db.session.get(Pupil, world.pupils[0].id), {}) == []
