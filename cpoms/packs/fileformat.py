"""The child-protection file format, version 1 (docs/cp-file-format.md): writing a
pack and reading one back safely. Nothing here knows the app's database; the
verify-pack command and the import page both read packs through `open_pack`.

A pack is a zip of:
  pack.json            who signed it, when, with which key; the format version
  records.json         the records (docs/cp-file-format.schema.json)
  attachments/<sha256> each attached file, named by its SHA-256
  signing-key.pem      the signer's Ed25519 public key
  chronology.pdf       the same records drawn for reading
  manifest.sha256      `sha256sum` lines for every file above, the PDF's line last
  manifest.sha256.sig  Ed25519 signature (64 raw bytes) of manifest.sha256
The PDF cannot hold its own checksum: every page carries the SHA-256 of the
manifest's lines before its own (`head -n -1 manifest.sha256 | sha256sum`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .signing import fingerprint, public_pem

FORMAT, VERSION = "cp-file", 1
PACK_JSON, RECORDS, PDF, KEY = "pack.json", "records.json", "chronology.pdf", "signing-key.pem"
MANIFEST, SIGNATURE = "manifest.sha256", "manifest.sha256.sig"
ATTACHMENT = re.compile(r"attachments/[0-9a-f]{64}")
REQUIRED = (PACK_JSON, RECORDS, PDF, KEY, MANIFEST, SIGNATURE)
LINE = re.compile(r"([0-9a-f]{64})  (\S+)")
# A zip member's date: fixed, so the same records signed at the same moment make the same bytes.
EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_lines(files: dict[str, bytes]) -> bytes:
    return b"".join(f"{sha256(content)}  {name}\n".encode() for name, content in files.items())


def stamp_digest(files_before_pdf: dict[str, bytes]) -> str:
    """What every page of the PDF carries: the SHA-256 of the manifest's lines above the PDF's own."""
    return sha256(manifest_lines(files_before_pdf))


def write(files_before_pdf: dict[str, bytes], pdf: bytes, key: Ed25519PrivateKey) -> bytes:
    """The zip: the files given (pack.json, records.json, attachments), the public key,
    the PDF (drawn with stamp_digest of those files and the key), manifest, signature."""
    files = {**files_before_pdf, PDF: pdf}
    manifest = manifest_lines(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {**files, MANIFEST: manifest, SIGNATURE: key.sign(manifest)}.items():
            info = zipfile.ZipInfo(name, EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return out.getvalue()


def key_file(key: Ed25519PrivateKey) -> bytes:
    return public_pem(key.public_key())


# --- reading ------------------------------------------------------------------------------------


class Refused(Exception):
    """A pack that cannot be read or does not verify; the message says why, in plain words."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024  # the zip as sent
    max_unpacked: int = 400 * 1024 * 1024  # every file inside it, together
    max_files: int = 2000
    max_ratio: int = 100  # unpacked / packed, for any file over a megabyte


@dataclass
class Opened:
    """A pack whose every file matched the signed manifest."""

    files: dict[str, bytes]
    header: dict
    records: dict
    fingerprint: str
    manifest_sha256: str
    pack_sha256: str
    problems: list[str] = field(default_factory=list)

    @property
    def attachments(self) -> dict[str, bytes]:
        return {name.split("/", 1)[1]: data for name, data in self.files.items() if ATTACHMENT.fullmatch(name)}


def _safe_name(name: str) -> None:
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or re.match(r"[A-Za-z]:", name)
        or ".." in name.split("/")
    ):
        raise Refused(f"The pack holds a file named “{name[:80]}”, a path that points outside the pack: refused.")


def _unpack(body: bytes, limits: Limits) -> dict[str, bytes]:
    if len(body) > limits.max_bytes:
        raise Refused(f"The pack is larger than {limits.max_bytes // (1024 * 1024)} MB: refused.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, EOFError, OSError) as exc:
        raise Refused("This is not a readable zip file, so not a child-protection file pack.") from exc
    if len(infos) > limits.max_files:
        raise Refused(f"The pack holds more than {limits.max_files} files: refused.")
    names = [info.filename for info in infos]
    for name in names:
        _safe_name(name)
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise Refused(f"The pack holds two files named “{duplicate[:80]}”: refused.")
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise Refused("The pack holds an encrypted file: refused.")
        declared += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise Refused(f"“{info.filename[:80]}” unpacks to far more than its packed size (a zip bomb?): refused.")
    if declared > limits.max_unpacked:
        raise Refused(f"The pack unpacks to more than {limits.max_unpacked // (1024 * 1024)} MB: refused.")
    files: dict[str, bytes] = {}
    total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as handle:
                # Never more than the declared size: a file that says it is small and is not stops here.
                data = handle.read(info.file_size + 1)
            total += len(data)
            if len(data) != info.file_size or total > limits.max_unpacked:
                raise Refused(f"“{info.filename[:80]}” is not the size the zip says it is: refused.")
            files[info.filename] = data
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise Refused(f"The zip is damaged and cannot be read ({str(exc)[:120]}).") from exc
    return files


def _json(files: dict[str, bytes], name: str) -> dict:
    try:
        data = json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Refused(f"{name} is not valid JSON: refused.") from exc
    if not isinstance(data, dict):
        raise Refused(f"{name} is not a JSON object: refused.")
    return data


def _manifest(files: dict[str, bytes]) -> dict[str, str]:
    try:
        text = files[MANIFEST].decode("ascii")
    except UnicodeDecodeError as exc:
        raise Refused("The manifest is not plain text: refused.") from exc
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = LINE.fullmatch(line)
        if match is None:
            raise Refused(f"Line {number} of the manifest is not “<sha256>  <file name>”: refused.")
        digest, name = match.groups()
        if name in listed:
            raise Refused(f"The manifest lists “{name[:80]}” twice: refused.")
        listed[name] = digest
    return listed


def open_pack(body: bytes, limits: Limits = Limits(), distrusted=frozenset()) -> Opened:
    """The pack, if it is a version-1 pack whose signature and every checksum hold; else Refused."""
    files = _unpack(body, limits)
    for name in files:
        if name not in REQUIRED and not ATTACHMENT.fullmatch(name):
            raise Refused(f"The pack holds a file the format does not have: “{name[:80]}”.")
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise Refused(f"The pack has no {', '.join(missing)}: it is not a complete pack.")
    header = _json(files, PACK_JSON)
    if header.get("format") != FORMAT:
        raise Refused("pack.json does not say this is a cp-file pack: refused.")
    version = header.get("format_version")
    if version != VERSION:
        shown = str(version)[:20]
        raise Refused(f"This pack is format version {shown}; this app reads version {VERSION} only.")
    try:
        public = serialization.load_pem_public_key(files[KEY])
    except (ValueError, TypeError) as exc:
        raise Refused("signing-key.pem is not a public key: refused.") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise Refused("signing-key.pem is not an Ed25519 key: refused.")
    print_ = fingerprint(public)
    if print_ in distrusted:
        raise Refused(f"This pack is signed with a key your trust has marked as not trusted ({print_[:16]}…).")
    try:
        public.verify(files[SIGNATURE], files[MANIFEST])
    except InvalidSignature as exc:
        raise Refused(
            "The signature does not match the manifest: the pack was changed after it was signed, "
            "or was not signed with the key it carries."
        ) from exc
    if header.get("key_fingerprint") != print_:
        raise Refused("pack.json names a different key from the one that signed it: refused.")
    listed = _manifest(files)
    signed_files = {n for n in files if n not in (MANIFEST, SIGNATURE)}
    if set(listed) != signed_files:
        extra = sorted(signed_files - set(listed)) or sorted(set(listed) - signed_files)
        raise Refused(f"The manifest and the files in the pack differ (“{extra[0][:80]}”): refused.")
    changed = [name for name, digest in listed.items() if sha256(files[name]) != digest]
    if changed:
        raise Refused(f"{', '.join(changed)} changed after the pack was signed: its SHA-256 is not the manifest's.")
    if list(listed)[-1] != PDF:
        raise Refused("The manifest's last line is not the PDF's: refused.")
    records = _json(files, RECORDS)
    if records.get("format_version") != VERSION:
        raise Refused("records.json is not format version 1: refused.")
    if records.get("reference") != header.get("reference"):
        raise Refused("records.json and pack.json name different packs: refused.")
    return Opened(
        files=files,
        header=header,
        records=records,
        fingerprint=print_,
        manifest_sha256=sha256(files[MANIFEST]),
        pack_sha256=sha256(body),
    )
