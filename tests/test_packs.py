"""Signed child-protection file packs (cpoms/packs/, docs/cp-file-format.md): what a pack
holds, that a changed byte anywhere is caught (by the app, by `flask verify-pack`, and by
the openssl/sha256sum and Python recipes in the format document, run as written), the
refusals, the signing keys and their rotation."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from cpoms.packs import fileformat, signing

from sample_files import zipped
from pack_support import (
    AMENDMENT,
    FOLLOW_UP,
    MARK,
    NARRATIVE,
    PICTURE,
    SENDER_SCHOOL,
    SENDER_TRUST,
    flipped,
    make_sender,
    tampered,
    unzip,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "cp-file-format.md"
SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "cp-file-format.schema.json"
UPN = "A204210010001"


@pytest.fixture
def sender(tmp_path):
    return make_sender(tmp_path, UPN)


@pytest.fixture
def pack(sender) -> bytes:
    return sender.pack()


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_pack_holds_every_record_signed(pack):
    opened = fileformat.open_pack(pack)
    files, data, header = opened.files, opened.records, opened.header
    assert header["signed_by"] == {"school": SENDER_SCHOOL, "trust": SENDER_TRUST, "person": "Rita Rivers"}
    assert header["receipt_email"] == "rita@riverside.example.org" and header["format_version"] == 1
    [entry] = data["entries"]
    assert entry["narrative"].startswith(NARRATIVE) and entry["child_words"] == "I fell over."
    assert entry["follow_ups"][0]["text"] == FOLLOW_UP
    assert entry["amendments"][0]["text"] == AMENDMENT
    assert entry["later_categories"][0]["category"] == "Behaviour"
    assert entry["body_map"][0]["description"] == MARK and entry["body_map"][0]["area"] == "Front: left forearm"
    [attachment] = entry["attachments"]
    assert files[attachment["file"]] == PICTURE and attachment["sha256"] == hashlib.sha256(PICTURE).hexdigest()
    assert data["key_information"] == []
    # Every record says when, who and where.
    records = [entry, *entry["follow_ups"], *entry["amendments"], *entry["later_categories"], *entry["body_map"]]
    for record in [*records, attachment]:
        assert record["created_at"] and record["author"] and record["school"] == SENDER_SCHOOL
    # Another pupil on the entry is "another pupil", in the records and in the PDF.
    text = "\n".join(pdf_pages(files["chronology.pdf"]))
    for body in (files["records.json"].decode(), " ".join(text.split())):
        assert "Zebedee" not in body and "Quince" not in body and "another pupil" in body
    assert entry["also_about"] == "another pupil"


def test_every_page_of_the_pdf_carries_the_reference_and_manifest_hash(pack):
    files = unzip(pack)
    lines = files["manifest.sha256"].decode().splitlines(keepends=True)
    assert lines[-1].endswith("  chronology.pdf\n")
    digest = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
    reference = json.loads(files["pack.json"])["reference"]
    pages = pdf_pages(files["chronology.pdf"])
    assert pages
    for page in pages:
        flat = re.sub(r"\s+", "", page)
        assert reference in flat and digest in flat


def test_the_records_follow_the_json_schema(pack):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in requirements-dev.txt")
    schema = json.loads(SCHEMA.read_text())
    files = unzip(pack)
    jsonschema.validate(json.loads(files["records.json"]), schema)
    jsonschema.validate(
        json.loads(files["pack.json"]), {**schema, "$ref": "#/$defs/pack", "required": [], "properties": {}}
    )


# --- a changed byte anywhere ----------------------------------------------------------------------

PARTS = {
    "manifest.sha256": "signature does not match",
    "records.json": "records.json changed after the pack was signed",
    "attachment": "changed after the pack was signed",
    "chronology.pdf": "chronology.pdf changed after the pack was signed",
    "manifest.sha256.sig": "signature does not match",
    "pack.json": "pack.json",
    "signing-key.pem": "",
}


@pytest.mark.parametrize("part", PARTS)
def test_one_flipped_byte_in_any_part_is_caught(pack, part):
    fileformat.open_pack(pack)  # as sent: good
    with pytest.raises(fileformat.Refused) as refused:
        fileformat.open_pack(tampered(pack, part))
    assert PARTS[part] in str(refused.value)


def positions_to_flip(pack: bytes) -> list[int]:
    """Every byte of the zip's own structure (headers, names, the central directory, its
    end) and of every small member (the manifest, its signature, the records); in the
    compressed data of a large member (the PDF, a photo: a zlib stream whose every byte is
    alike to the checks) its first and last 64 bytes and every 31st between."""
    bulk: set[int] = set()
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        for info in archive.infolist():
            if info.compress_size <= 2048:
                continue
            name_and_extra = int.from_bytes(pack[info.header_offset + 26 : info.header_offset + 28], "little")
            name_and_extra += int.from_bytes(pack[info.header_offset + 28 : info.header_offset + 30], "little")
            start = info.header_offset + 30 + name_and_extra
            bulk.update(range(start + 64, start + info.compress_size - 64))
    return [at for at in range(len(pack)) if at not in bulk or at % 31 == 0]


def test_a_flipped_byte_in_the_zip_itself_is_caught(pack):
    # Each byte flipped in turn: damaged compressed data (a zlib error), a bad CRC, a broken
    # header, a changed file: each a refusal, never another error. A byte the zip itself
    # ignores (a date in a header, a "version made by") changes no file: the pack opens
    # with exactly the files that were signed.
    signed = fileformat.open_pack(pack).files
    positions = positions_to_flip(pack)
    assert len(positions) > 3000
    refused = 0
    for at in positions:
        try:
            opened = fileformat.open_pack(flipped(pack, at))
        except fileformat.Refused:
            refused += 1
            continue
        assert opened.files == signed, at
    assert refused > len(positions) * 0.9


def test_verify_pack_command(app, pack, tmp_path):
    path = tmp_path / "pack.zip"
    path.write_bytes(pack)
    result = app.test_cli_runner().invoke(args=["verify-pack", str(path)])
    assert result.exit_code == 0, result.output
    fingerprint = fileformat.open_pack(pack).fingerprint
    assert f"Signed by:   {SENDER_SCHOOL} ({SENDER_TRUST}), Rita Rivers" in result.output
    assert signing.spaced(fingerprint) in result.output and "VERIFIED" in result.output
    for part in PARTS:
        path.write_bytes(tampered(pack, part))
        result = app.test_cli_runner().invoke(args=["verify-pack", str(path)])
        assert result.exit_code == 1 and "NOT VERIFIED" in result.output, (part, result.output)
    result = app.test_cli_runner().invoke(args=["verify-pack", str(tmp_path / "missing.zip")])
    assert result.exit_code != 0 and "Cannot read" in result.output


# --- the recipes in the format document, run as written ---------------------------------------------


def recipe(marker: str) -> str:
    text = DOC.read_text()
    after = text.split(f"<!-- {marker} -->", 1)[1]
    return re.search(r"```\w+\n(.*?)```", after, re.S).group(1)


def run_shell_recipe(folder: Path, pack: bytes) -> subprocess.CompletedProcess:
    (folder / "pack.zip").write_bytes(pack)
    return subprocess.run(["bash", "-c", recipe("verify.sh")], cwd=folder, capture_output=True, text=True)  # nosec


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("openssl", "sha256sum", "unzip")),
    reason="openssl, sha256sum and unzip are needed (.ci/run installs them)",
)
def test_the_documented_openssl_recipe_verifies_a_pack_and_catches_a_change(pack, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    result = run_shell_recipe(good, pack)
    assert result.returncode == 0, result.stderr
    fingerprint = fileformat.open_pack(pack).fingerprint
    assert "Signature Verified Successfully" in result.stdout and fingerprint in result.stdout
    lines = (good / "pack" / "manifest.sha256").read_bytes().splitlines(keepends=True)
    assert hashlib.sha256(b"".join(lines[:-1])).hexdigest() in result.stdout
    for part in PARTS:
        folder = tmp_path / part.replace(".", "-")
        folder.mkdir()
        assert run_shell_recipe(folder, tampered(pack, part)).returncode != 0, part
    extra = unzip(pack) | {"attachments/" + "0" * 64: b"slipped in"}
    folder = tmp_path / "extra"
    folder.mkdir()
    assert run_shell_recipe(folder, zipped(extra)).returncode != 0


def test_the_documented_python_script_verifies_a_pack_and_catches_a_change(pack, tmp_path):
    script = tmp_path / "verify.py"
    script.write_text(recipe("verify.py"))
    (tmp_path / "pack.zip").write_bytes(pack)
    result = subprocess.run([sys.executable, str(script), "pack.zip"], cwd=tmp_path, capture_output=True, text=True)  # nosec
    assert result.returncode == 0, result.stderr
    assert "VERIFIED" in result.stdout and SENDER_SCHOOL in result.stdout
    for part in PARTS:
        (tmp_path / "pack.zip").write_bytes(tampered(pack, part))
        result = subprocess.run([sys.executable, str(script), "pack.zip"], cwd=tmp_path, capture_output=True)  # nosec
        assert result.returncode != 0, part


# --- refusals -----------------------------------------------------------------------------------


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("records.json", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


def lying_sizes() -> bytes:
    """A zip whose file is 2 MB of zeros but whose headers say it is 1,000 bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("records.json", b"\0" * (2 * 1024 * 1024))
    body = bytearray(out.getvalue())
    real = (2 * 1024 * 1024).to_bytes(4, "little")
    for at in [m.start() for m in re.finditer(re.escape(real), bytes(body))]:
        body[at : at + 4] = (1000).to_bytes(4, "little")
    return bytes(body)


def many_files() -> bytes:
    return zipped({}, entries=[(f"attachments/{i:064x}", b"x") for i in range(2001)])


def with_header(pack: bytes, **changes) -> bytes:
    files = unzip(pack)
    files["pack.json"] = json.dumps({**json.loads(files["pack.json"]), **changes}).encode()
    return zipped(files)


REFUSALS = {
    "not a zip": (lambda p: b"%PDF-1.7 not a zip at all", "not a readable zip"),
    "empty": (lambda p: b"", "not a readable zip"),
    "truncated": (lambda p: p[: len(p) // 2], "not a readable zip"),
    "zip bomb": (lambda p: bomb(), "zip bomb"),
    # zipfile stops at the declared size; the CRC of what it read then fails.
    "sizes that lie": (lambda p: lying_sizes(), "not the size the zip says|damaged and cannot be read"),
    "too many files": (lambda p: many_files(), "more than 2000 files"),
    "parent path": (lambda p: zipped(unzip(p) | {"../evil.sh": b"x"}), "points outside the pack"),
    "absolute path": (lambda p: zipped(unzip(p) | {"/etc/cron.d/x": b"x"}), "points outside the pack"),
    "windows path": (lambda p: zipped(unzip(p) | {"..\\evil": b"x"}), "points outside the pack"),
    "drive letter": (lambda p: zipped(unzip(p) | {"C:evil": b"x"}), "points outside the pack"),
    "duplicate name": (lambda p: zipped({}, entries=[*unzip(p).items(), ("records.json", b"{}")]), "two files named"),
    "unknown file": (lambda p: zipped(unzip(p) | {"notes.txt": b"x"}), "does not have"),
    "missing file": (
        lambda p: zipped({k: v for k, v in unzip(p).items() if k != "chronology.pdf"}),
        "has no chronology.pdf",
    ),
    "unknown version": (lambda p: with_header(p, format_version=2), "format version 2; this app reads version 1"),
    "not cp-file": (lambda p: with_header(p, format="something-else"), "does not say this is a cp-file pack"),
    "bad signature": (lambda p: tampered(p, "manifest.sha256.sig"), "signature does not match"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals(pack, case):
    make, message = REFUSALS[case]
    with pytest.raises(fileformat.Refused) as refused:
        fileformat.open_pack(make(pack), fileformat.Limits(max_unpacked=50 * 1024 * 1024))
    assert re.search(message, str(refused.value))


def test_a_distrusted_key_is_refused(pack):
    fingerprint = fileformat.open_pack(pack).fingerprint
    with pytest.raises(fileformat.Refused, match="marked as not trusted"):
        fileformat.open_pack(pack, distrusted={fingerprint})


def test_too_large(pack):
    with pytest.raises(fileformat.Refused, match="larger than 0 MB"):
        fileformat.open_pack(pack, fileformat.Limits(max_bytes=len(pack) - 1))


# --- keys: made on first use, outside the database, rotated, published ----------------------------


def test_the_key_is_made_once_outside_the_database_and_private(sender, tmp_path):
    first, second = sender.pack(), sender.pack()
    assert fileformat.open_pack(first).fingerprint == fileformat.open_pack(second).fingerprint
    [folder] = (tmp_path / "sender-keys").iterdir()
    private = list(folder.glob("*.key"))
    assert len(private) == 1 and stat.S_IMODE(private[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert private[0].stem == fileformat.open_pack(first).fingerprint


def test_rotation_keeps_old_packs_verifiable_and_lists_both_keys(sender, tmp_path):
    old_pack = sender.pack()
    old = fileformat.open_pack(old_pack).fingerprint
    result = sender.app.test_cli_runner().invoke(args=["rotate-signing-key", "--trust", SENDER_TRUST])
    assert result.exit_code == 0, result.output
    new_pack = sender.pack()
    new = fileformat.open_pack(new_pack).fingerprint
    assert new != old and signing.spaced(new) in result.output and signing.spaced(old) in result.output
    [folder] = (tmp_path / "sender-keys").iterdir()
    assert [p.stem for p in folder.glob("*.key")] == [new]  # the retired private key is gone
    path = tmp_path / "old.zip"
    path.write_bytes(old_pack)
    verified = sender.app.test_cli_runner().invoke(args=["verify-pack", str(path)])
    assert verified.exit_code == 0 and "a key of a trust on this installation" in verified.output
    page = sender.app.test_client().get("/signing-keys")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Current key" in html and "Retired key" in html
    assert signing.spaced(new) in html and signing.spaced(old) in html and SENDER_TRUST in html
    assert sender.app.test_cli_runner().invoke(args=["rotate-signing-key", "--trust", "Nobody"]).exit_code != 0


def test_a_private_key_others_can_read_is_refused(sender, tmp_path):
    fingerprint = fileformat.open_pack(sender.pack()).fingerprint
    [folder] = (tmp_path / "sender-keys").iterdir()
    os.chmod(folder / f"{fingerprint}.key", 0o644)
    with sender.app.app_context(), pytest.raises(signing.KeyProblem, match="chmod 600"):
        signing.signing_key(int(folder.name.removeprefix("trust-")))
