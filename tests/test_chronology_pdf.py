"""The chronology PDF page by page: the running header and "Page N of M" on every page,
every entry and follow-up in it, and no full name for a reader who sees initials."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Entry, Kind, User
from cpoms.timefmt import now_utc

LONG = " ".join(
    f"Sentence {n} of a long account in which Amelia Hassan told Oliver's mum what happened." for n in range(90)
)


@pytest.fixture
def history(app, world, make_entry):
    """Forty entries about Amelia (one longer than a page), each followed up twice, the texts naming her."""
    texts = {"entries": [], "follow_ups": []}
    for n in range(40):
        narrative = LONG if n == 7 else f"Entry {n}: Amelia Hassan was upset at lunch; Amelia said Oliver pushed her."
        entry = make_entry(narrative=narrative, occurred_at=now_utc() - timedelta(days=80 - n))
        texts["entries"].append(narrative)
        with app.test_request_context():
            for m in range(2):
                text = f"Follow-up {n}.{m}: spoke with Amelia's mother about Amelia Hassan's week."
                add_follow_up(
                    db.session.get(User, world["dsl"].id),
                    db.session.get(Entry, entry),
                    Kind.ACTION,
                    text,
                    occurred_at=now_utc() - timedelta(days=79 - n, hours=m),
                )
                texts["follow_ups"].append(text)
            db.session.commit()
    return texts


def exported(client, world) -> PdfReader:
    response = client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def flat(text: str) -> str:
    return " ".join(text.split())


FRAME = re.compile(
    r".* · Chronology of .* · Confidential|Exported by .*|Confidential: safeguarding record|Page \d+ of \d+"
)


def body(reader: PdfReader) -> str:
    """The text of the pages without their running header and footer, as one flow."""
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    return flat("\n".join(line for line in lines if not FRAME.fullmatch(line)))


def test_every_page_has_the_header_and_its_number(client, auth, world, history):
    auth.as_(world["dsl"])
    pages = [page.extract_text() for page in exported(client, world).pages]
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        lines = text.splitlines()
        assert "Ashgrove Primary School · Chronology of Amelia Hassan · Confidential" in lines, number
        assert any(re.fullmatch(r"Exported by Dsl, \d{1,2} \w{3} \d{4}, \d\d:\d\d", line) for line in lines), number
        assert f"Page {number} of {len(pages)}" in lines, number
        assert "Confidential: safeguarding record" in lines, number


def test_every_entry_and_follow_up_is_in_it_in_order(client, auth, world, history):
    auth.as_(world["dsl"])
    text = body(exported(client, world))
    at = 0
    for narrative in history["entries"]:
        found = text.find(flat(narrative).replace("Oliver", "another pupil"), at)
        assert found >= 0, narrative[:40]
        at = found
    for written in history["follow_ups"]:
        assert written in text
    assert text.count("· Action taken") == len(history["follow_ups"])


def test_a_governor_sees_no_full_name_anywhere(client, auth, world, history):
    auth.as_(world["governor"])
    reader = exported(client, world)
    pages = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(pages, start=1):
        assert "Chronology of A.H." in text, number  # the running header, in initials
        for word in ("Amelia", "Hassan", "Oliver", "Nowak"):
            assert word not in text, (number, word)
        assert "A204210010001" not in text  # nor the UPN
    assert "Amelia" not in (reader.metadata.title or "") and "A.H." in reader.metadata.title
    assert "Entry 3: A.H. was upset at lunch; A.H. said another pupil pushed her." in flat("\n".join(pages))
