"""What a file really is, read from its bytes: never from its name or the browser's word.

Accepted: PDF, PNG, JPEG and DOCX. Each is checked for its own structure, and for
the tricks that make a file two things at once (HTML in an image, a ZIP behind a
PDF, a PDF in front of a ZIP), so that what is stored is what it claims to be.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
import zlib

from PIL import Image

from .models import DOCX, FILE_TYPES, JPEG, PDF, PNG, FileType


class Refused(Exception):
    """The file is not one we accept; the message says why, in plain words."""


IMAGES = (PNG, JPEG)
ACCEPTED = "PDF, JPEG, PNG or Word (.docx)"

MAX_PIXELS = 60_000_000  # a 60-megapixel photo; more is a decompression bomb
MAX_DOCX_UNPACKED = 200 * 1024 * 1024
MAX_DOCX_MEMBERS = 2000
MAX_RATIO = 200  # uncompressed / compressed, per member: beyond it, a zip bomb
# Markup that makes a browser (or a careless viewer) treat bytes as a page.
MARKUP = (b"<script", b"<html", b"<!doctype html", b"<iframe", b"<?php", b"<body")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_LOCAL = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"


def identify(data: bytes) -> FileType:
    """The file's type, or Refused."""
    if not data:
        raise Refused("it is empty")
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return PDF
    if data.startswith(PNG_SIGNATURE):
        _check_png(data)
        _check_image(data, "PNG")
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        _check_jpeg(data)
        _check_image(data, "JPEG")
        return JPEG
    if data.startswith(ZIP_LOCAL):
        _check_docx(data)
        return DOCX
    raise Refused(f"it is not a {ACCEPTED} file")


def type_for_extension(extension: str) -> FileType | None:
    return next((t for t in FILE_TYPES if extension.lower() in t.extensions), None)


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise Refused("it is not a complete PDF (its end is missing)")
    # A ZIP is read from its end record, in the last 64 KiB: a PDF ending in one is both.
    if ZIP_END in data[-65557:]:
        raise Refused("it is a PDF with a ZIP archive inside it")
    for name in (b"/JavaScript", b"/Launch", b"/EmbeddedFile"):
        if name in data:
            raise Refused("it is a PDF with scripts or embedded files in it, which are not accepted")
    _no_markup(data[:4096], "PDF")


def _no_markup(data: bytes, what: str) -> None:
    lowered = data.lower()
    if any(tag in lowered for tag in MARKUP):
        raise Refused(f"it is not a plain {what}: it has web-page code in it")


def _check_png(data: bytes) -> None:
    """Walk the chunks: each CRC must hold, IHDR first, nothing after IEND."""
    pos, first = len(PNG_SIGNATURE), True
    while True:
        if pos + 12 > len(data):
            raise Refused("it is not a complete PNG image")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if (
            end > len(data)
            or zlib.crc32(data[pos + 4 : pos + 8 + length]) != struct.unpack(">I", data[end - 4 : end])[0]
        ):
            raise Refused("it is a damaged PNG image")
        if first and kind != b"IHDR":
            raise Refused("it is a damaged PNG image")
        if first:
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            _check_pixels(width, height)
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            _no_markup(data[pos + 8 : end - 4], "PNG image")
        first = False
        pos = end
        if kind == b"IEND":
            break
    if data[pos:].strip(b"\x00"):
        raise Refused("it is a PNG image with something else hidden after it")


def _check_jpeg(data: bytes) -> None:
    end = data.rstrip(b"\x00\r\n ")
    if not end.endswith(b"\xff\xd9"):
        raise Refused("it is not a complete JPEG image, or has something else hidden after it")
    # Metadata segments come before the image data (start of scan): that is where text hides.
    scan = data.find(b"\xff\xda")
    _no_markup(data[: scan if scan > 0 else len(data)], "JPEG image")


def _check_pixels(width: int, height: int) -> None:
    if width == 0 or height == 0 or width * height > MAX_PIXELS:
        raise Refused("it is an image of a size no camera takes")


def _check_image(data: bytes, expected: str) -> None:
    """Decode it fully: a file that only starts like an image is not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                _check_pixels(*image.size)
                image.load()
    except Refused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise Refused(f"it is a damaged {expected} image") from exc


def _check_docx(data: bytes) -> None:
    end = data.rfind(ZIP_END)
    if end < 0 or end + 22 > len(data):
        raise Refused("it is not a complete Word document")
    comment = struct.unpack("<H", data[end + 20 : end + 22])[0]
    if end + 22 + comment != len(data):
        raise Refused("it is a Word document with something else hidden after it")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error, NotImplementedError) as exc:
        raise Refused("it is a damaged ZIP archive, not a Word document") from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise Refused("it is a ZIP archive, not a Word document")
    if len(members) > MAX_DOCX_MEMBERS or min(m.header_offset for m in members) != 0:
        raise Refused("it is not an ordinary Word document")
    total = 0
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise Refused("it is a Word document with unsafe paths inside it")
        if name.lower().endswith("vbaproject.bin"):
            raise Refused("it is a Word document with macros, which are not accepted")
        total += member.file_size
        if member.file_size > MAX_RATIO * max(member.compress_size, 1) + 65536 or total > MAX_DOCX_UNPACKED:
            raise Refused("it unpacks to far more than any Word document (a ZIP bomb)")
    try:
        types = _read_capped(archive, "[Content_Types].xml", 1024 * 1024)
        _read_capped(archive, "word/document.xml", MAX_DOCX_UNPACKED)
        relations = [_read_capped(archive, m.filename, 1024 * 1024) for m in members if m.filename.endswith(".rels")]
    except (zipfile.BadZipFile, ValueError, zlib.error, NotImplementedError, EOFError) as exc:
        raise Refused("it is a damaged Word document") from exc
    if b"wordprocessingml.document.main" not in types:
        raise Refused("it is not a Word document (.docx)")
    if any(_loads_from_outside(r) for r in relations):
        raise Refused("it is a Word document that loads content from elsewhere when opened, which is not accepted")


# Parts a Word document can fetch from another computer as it opens (a remote template,
# an embedded object, a frame): links in the text are external too, and are fine.
FETCHED = re.compile(
    rb'<Relationship\b[^>]*Type="[^"]*/(?:attachedTemplate|oleObject|frame|subDocument|'
    rb'package)"[^>]*TargetMode="External"|<Relationship\b[^>]*TargetMode="External"[^>]*'
    rb'Type="[^"]*/(?:attachedTemplate|oleObject|frame|subDocument|package)"'
)


def _loads_from_outside(relations: bytes) -> bool:
    return bool(FETCHED.search(relations))


def _read_capped(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Read one member, stopping at `limit` whatever its header claims (and checking its CRC)."""
    out = bytearray()
    with archive.open(name) as member:
        while chunk := member.read(65536):
            out += chunk
            if len(out) > limit:
                raise Refused("it unpacks to far more than any Word document (a ZIP bomb)")
    return bytes(out)
