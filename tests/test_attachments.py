"""Attachments: checked by content, stored in the database under random names with
their SHA-256, served only through the policy, audited; a failed request leaves no
file and no row behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cpoms.attachments import names
from cpoms.append_only import drop_retention_trigger_statements
from cpoms.attachments.models import Attachment, AttachmentBlob, StagedFile
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Entry, FollowUp

from sample_files import BAD_FILES, docx, jpeg, pdf, png
from helpers import form_data, rows, stored


def stored_files(app) -> list[str]:
    """The files the database holds: an entry's by name, a form's waiting ones as staged/name."""
    with app.app_context():
        kept = list(db.session.scalars(select(AttachmentBlob.stored_name)))
        staged = [f"staged/{n}" for n in db.session.scalars(select(StagedFile.stored_name))]
    return sorted(kept + staged)


def stored_bytes(app, stored_name: str) -> bytes | None:
    with app.app_context():
        return db.session.scalar(select(AttachmentBlob.data).where(AttachmentBlob.stored_name == stored_name))


def damage(app, stored_name: str, data: bytes | None) -> None:
    """What the app can never do (the table is append-only): change a file's bytes, or lose it."""
    with app.app_context(), db.engine.begin() as conn:
        for statement in drop_retention_trigger_statements("attachment_blobs", conn.dialect.name):
            conn.execute(text(statement))
        table = AttachmentBlob.__table__
        where = table.c.stored_name == stored_name
        conn.execute(table.delete().where(where) if data is None else table.update().where(where).values(data=data))


def actions(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            json.loads(e.detail or "{}")
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        ]


def log_with_files(client, world, *files, **extra):
    data = form_data(world, checked="1", **extra)
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/log", data=data, content_type="multipart/form-data")


def test_files_logged_with_an_entry_are_stored_outside_static_with_their_checksum(app, client, auth, world):
    auth.as_(world["teacher1"])
    photo, minutes = png(), pdf()
    response = log_with_files(client, world, (photo, "bruise photo.png"), (minutes, "minutes.pdf"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    saved = rows(app, Attachment)
    assert [(a.filename, a.content_type, a.size) for a in saved] == [
        ("bruise photo.png", "image/png", len(photo)),
        ("minutes.pdf", "application/pdf", len(minutes)),
    ]
    assert [a.sha256 for a in saved] == [hashlib.sha256(photo).hexdigest(), hashlib.sha256(minutes).hexdigest()]
    # Random names, in the database (not static/, not one server's disk), holding exactly what was sent.
    assert stored_files(app) == sorted(a.stored_name for a in saved)
    assert all(len(a.stored_name) == 40 and "bruise" not in a.stored_name for a in saved)
    assert not Path(app.config["ATTACHMENT_DIR"]).exists()
    assert stored_bytes(app, saved[0].stored_name) == photo
    [event] = actions(app, "add_attachment")  # one event for the files saved together
    assert [f["sha256"] for f in event["files"]] == [a.sha256 for a in saved]


def test_download_sends_the_file_as_an_attachment_and_is_audited(app, client, auth, world):
    auth.as_(world["teacher1"])
    minutes = pdf()
    log_with_files(client, world, (minutes, "Minutes – réunion ‮fdp.exe.pdf"))
    [attachment] = rows(app, Attachment)
    assert attachment.filename == "Minutes – réunion fdp.exe.pdf"  # the right-to-left override is gone
    auth.as_(world["dsl"])
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == minutes
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Minutes reunion fdp.exe.pdf"')
    assert "filename*=UTF-8''Minutes%20%E2%80%93%20r%C3%A9union%20fdp.exe.pdf" in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert [e["attachment"] for e in actions(app, "download_attachment")] == [attachment.id]
    # A PDF has no preview: only images are ever shown inline.
    assert client.get(f"/attachments/{attachment.id}/preview").status_code == 404


def test_images_have_an_inline_preview_on_the_entry_page(app, client, auth, world):
    auth.as_(world["teacher1"])
    photo = jpeg()
    log_with_files(client, world, (photo, "arm.jpg"))
    [attachment] = rows(app, Attachment)
    page = client.get(f"/entries/{attachment.entry_id}").get_data(as_text=True)
    assert f'src="/attachments/{attachment.id}/preview"' in page and "arm.jpg" in page
    assert "JPEG image" in page
    preview = client.get(f"/attachments/{attachment.id}/preview")
    assert preview.status_code == 200 and preview.data == photo
    assert preview.headers["Content-Type"] == "image/jpeg"
    assert preview.headers["Content-Disposition"].startswith("inline;")
    assert actions(app, "preview_attachment")
    # The page's content security policy lets this site's images show.
    assert "img-src 'self'" in client.get(f"/entries/{attachment.entry_id}").headers["Content-Security-Policy"]


@pytest.mark.parametrize("label", sorted(BAD_FILES))
def test_bad_files_are_refused_by_content_naming_the_file_and_nothing_is_written(app, client, auth, world, label):
    content, name, words = BAD_FILES[label]
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, (png(), "good.png"), (content, name))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"“{names.display_name(name)}”" in page and words in page
    assert "<script>alert" not in page
    assert rows(app, Entry) == [] and rows(app, Attachment) == []
    # The good file waits for the next save (the form is shown again); the bad one is nowhere.
    assert [path.split("/")[0] for path in stored_files(app)] == ["staged"]
    assert 'name="narrative"' in page and "Pushed another pupil" in page  # nothing typed is lost


@pytest.mark.parametrize(
    "sent", ["../../etc/passwd.png", "photo\x00.png", "/var/www/static/x.png", "..%2F..%2Fx.png".replace("%2F", "/")]
)
def test_names_with_a_folder_path_are_refused_and_nothing_is_written(app, client, auth, world, sent):
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, (png(), sent))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"“{names.display_name(sent)}” was not attached: its name contains a folder path." in page
    assert rows(app, Entry) == [] and rows(app, Attachment) == [] and stored_files(app) == []


@pytest.mark.parametrize(
    "sent, shown",
    [
        ("\u202egnp.exe.png", "gnp.exe.png"),
        ("a\tb\x07c\x1b[31m.png", "abc[31m.png"),
        ("  ..hidden.png ", "hidden.png"),
        ("x" * 300 + ".png", "x" * 115 + "….png"),
        ("no extension", "no extension.png"),
    ],
)
def test_file_names_are_display_text_only(app, client, auth, world, sent, shown):
    auth.as_(world["teacher1"])
    assert log_with_files(client, world, (png(), sent)).status_code == 303
    [attachment] = rows(app, Attachment)
    assert attachment.filename == shown
    assert stored_files(app) == [attachment.stored_name]


def test_a_windows_path_is_cut_to_its_last_part():
    # (A multipart body unescapes backslashes before the app sees them: tested here directly.)
    assert names.display_name("C:\\Users\\head\\Desktop\\photo.png") == "photo.png"
    assert names.display_name("..\\..\\x.pdf") == "x.pdf"
    assert names.display_name("\u0000\u200b") == ""


@pytest.fixture
def config_overrides():
    return {"ATTACHMENT_MAX_BYTES": 64 * 1024, "ATTACHMENT_MAX_FILES": 3}


def test_a_file_over_the_size_limit_is_refused_by_name(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = log_with_files(
        client, world, (png(size=(1200, 1200)) + b"", "big.png"), (os.urandom(70 * 1024), "random.pdf")
    )
    assert response.status_code == 422
    assert "“random.pdf” is larger than 64 KB, the most a file may be." in response.get_data(as_text=True)
    assert rows(app, Entry) == [] and rows(app, Attachment) == []


def test_a_body_over_the_upload_limit_gets_a_clear_413_and_writes_nothing(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, *[(os.urandom(400 * 1024), f"f{i}.pdf") for i in range(10)])
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "That was too large to send" in page and "up to 64 KB each, 3 at a time" in page
    assert rows(app, Entry) == [] and rows(app, Attachment) == [] and stored_files(app) == []


def test_more_files_than_allowed_are_refused(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, *[(png(), f"p{i}.png") for i in range(4)])
    assert response.status_code == 422
    assert "Attach at most 3 files at a time." in response.get_data(as_text=True)
    assert rows(app, Attachment) == [] and stored_files(app) == []


def test_a_text_field_over_the_limit_is_still_refused_when_files_are_sent(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, (png(), "p.png"), narrative="x" * 1_048_576)
    assert response.status_code == 413
    assert rows(app, Entry) == [] and stored_files(app) == []


def test_files_chosen_survive_the_gentle_check_and_are_saved_with_the_entry(app, client, auth, world):
    auth.as_(world["teacher1"])
    data = form_data(world, narrative="Pushed.")  # short: the gentle check on save is shown first
    data["attachments"] = [(io.BytesIO(png()), "arm.png")]
    shown = client.post("/log", data=data, content_type="multipart/form-data")
    assert shown.status_code == 200 and "The account is very short" in shown.get_data(as_text=True)
    assert rows(app, Attachment) == [] and [p.split("/")[0] for p in stored_files(app)] == ["staged"]
    page = shown.get_data(as_text=True)
    token = page.split('name="staged_attachment" value="')[1].split('"')[0]
    assert "arm.png" in page
    # Someone else cannot use the token.
    auth.as_(world["teacher2"])
    stolen = client.post("/log", data=form_data(world, narrative="Pushed.", checked="1", staged_attachment=token))
    assert stolen.status_code == 422 and "could not be kept" in stolen.get_data(as_text=True)
    auth.as_(world["teacher1"])
    saved = client.post("/log", data=form_data(world, narrative="Pushed.", checked="1", staged_attachment=token))
    assert saved.status_code == 303
    [attachment] = rows(app, Attachment)
    assert attachment.filename == "arm.png"
    assert stored_files(app) == [attachment.stored_name]  # the waiting copy is gone
    forged = client.post("/log", data=form_data(world, checked="1", staged_attachment=token[:-2] + "xx"))
    assert forged.status_code == 422


def test_a_failed_save_leaves_no_file_behind(app, client, auth, world, monkeypatch):
    from cpoms.bodymap import operations as body_map_ops

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(body_map_ops, "save_marks", broken)  # runs after the files are written
    auth.as_(world["teacher1"])
    response = log_with_files(client, world, (png(), "arm.png"))
    assert response.status_code == 500
    assert rows(app, Entry) == [] and rows(app, Attachment) == [] and stored_files(app) == []


def test_attachments_are_added_later_from_the_entry_page(app, client, auth, world, make_entry):
    attachment = stored(app, world, make_entry, docx(), "Strategy meeting.docx")
    assert attachment.follow_up_id is None
    auth.as_(world["teacher1"])
    page = client.get(f"/entries/{attachment.entry_id}").get_data(as_text=True)
    assert "Strategy meeting.docx" in page and "Word document" in page
    none = client.post(f"/entries/{attachment.entry_id}/attachments", data={}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose a file to attach." in none.get_data(as_text=True)
    html = client.post(
        f"/entries/{attachment.entry_id}/attachments",
        content_type="multipart/form-data",
        data={"attachments": [(io.BytesIO(BAD_FILES["html-named-png"][0]), "x.png")]},
    )
    assert html.status_code == 422 and "“x.png” was not attached" in html.get_data(as_text=True)
    assert len(rows(app, Attachment)) == 1


def test_follow_ups_carry_attachments(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    response = client.post(
        f"/entries/{entry_id}/follow-ups",
        content_type="multipart/form-data",
        data={
            "kind": "agency",
            "text": "Referred to children's social care.",
            "agency_name": "Children's social care",
            "attachments": [(io.BytesIO(pdf()), "referral.pdf")],
        },
    )
    assert response.status_code == 303
    [attachment] = rows(app, Attachment)
    [follow_up] = rows(app, FollowUp)
    assert attachment.follow_up_id == follow_up.id and attachment.entry_id == entry_id
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    item = page.split(f'id="follow-up-{follow_up.id}"')[1].split("</li>")[0]
    assert "referral.pdf" in item
    refused = client.post(
        f"/entries/{entry_id}/follow-ups",
        content_type="multipart/form-data",
        data={"kind": "note", "text": "Photo.", "attachments": [(io.BytesIO(BAD_FILES["png-then-html"][0]), "p.png")]},
    )
    assert refused.status_code == 422 and "“p.png” was not attached" in refused.get_data(as_text=True)
    assert len(rows(app, FollowUp)) == 1 and len(rows(app, Attachment)) == 1
    untold = client.post(
        f"/entries/{entry_id}/follow-ups",
        content_type="multipart/form-data",
        data={"kind": "note", "text": "", "attachments": [(io.BytesIO(png()), "p.png")]},
    )
    assert untold.status_code == 422
    assert "Please choose the files again" in untold.get_data(as_text=True)
    assert len(rows(app, Attachment)) == 1 and stored_files(app) == [rows(app, Attachment)[0].stored_name]


@pytest.mark.parametrize(
    "who, download, add",
    [
        ("teacher1", 200, 303),
        ("teacher2", 404, 404),
        ("dsl", 200, 303),
        ("slt", 200, 303),
        ("governor", 404, 403),
        ("trust_rep", 404, 403),
        ("admin", 404, 404),
        ("other_dsl", 404, 404),
    ],
)
def test_who_may_read_and_add_attachments(app, client, auth, world, make_entry, who, download, add):
    attachment = stored(app, world, make_entry)
    auth.as_(world[who])
    assert client.get(f"/attachments/{attachment.id}").status_code == download
    assert client.get(f"/attachments/{attachment.id}/preview").status_code == download
    response = client.post(
        f"/entries/{attachment.entry_id}/attachments",
        content_type="multipart/form-data",
        data={"attachments": [(io.BytesIO(png()), "more.png")]},
    )
    assert response.status_code == add
    assert len(rows(app, Attachment)) == (2 if add == 303 else 1)


def test_governors_see_how_many_files_an_entry_has_but_not_their_names(app, client, auth, world, make_entry):
    # They see pupils by initials only, and a photo or a file's name may name the child.
    attachment = stored(app, world, make_entry)
    auth.as_(world["governor"])
    page = client.get(f"/entries/{attachment.entry_id}").get_data(as_text=True)
    assert "1 file is attached" in page
    assert attachment.filename not in page and f"/attachments/{attachment.id}" not in page
    auth.as_(world["slt"])
    page = client.get(f"/entries/{attachment.entry_id}").get_data(as_text=True)
    assert attachment.filename in page and f"/attachments/{attachment.id}" in page


def test_a_changed_or_missing_file_is_a_clear_error_not_a_500(app, client, auth, world, make_entry):
    attachment = stored(app, world, make_entry)
    damage(app, attachment.stored_name, png(colour=(0, 0, 0)))
    auth.as_(world["dsl"])
    for url in (f"/attachments/{attachment.id}", f"/attachments/{attachment.id}/preview"):
        response = client.get(url)
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "cannot be opened safely" in page and "no longer matches the checksum" in page
    assert len(actions(app, "attachment_damaged")) == 2 and not actions(app, "download_attachment")
    damage(app, attachment.stored_name, None)
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 409 and "missing from the server" in response.get_data(as_text=True)


def test_a_missing_attachment_is_a_404_and_audited(app, client, auth, world):
    auth.as_(world["dsl"])
    assert client.get("/attachments/999999").status_code == 404
    assert actions(app, "denied") == [{"attachment": 999999, "what": "attachment"}]


def test_attachments_are_append_only(app, world, make_entry):
    stored(app, world, make_entry)
    with app.app_context():
        for statement in ("UPDATE attachments SET sha256 = 'x'", "DELETE FROM attachments"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_the_chronology_and_its_pdf_list_attachments(app, client, auth, world, make_entry):
    from pypdf import PdfReader

    attachment = stored(app, world, make_entry, pdf(), "school nurse letter.pdf")
    auth.as_(world["dsl"])
    pupil = world.pupils[0].id
    for view in ("", "?view=timeline"):
        page = client.get(f"/pupils/{pupil}/chronology{view}").get_data(as_text=True)
        assert "school nurse letter.pdf" in page and f'href="/attachments/{attachment.id}"' in page
    exported = client.get(f"/pupils/{pupil}/chronology.pdf")
    assert exported.status_code == 200
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(exported.data)).pages).replace("\n", "")
    assert "school nurse letter.pdf" in pdf_text and "PDF" in pdf_text
    assert attachment.sha256 in pdf_text.replace(" ", "")


@pytest.mark.parametrize("reader", ["governor", "trust_rep"])
def test_the_governors_pdf_hides_file_names_and_checksums_as_the_pages_do(app, client, auth, world, make_entry, reader):
    from pypdf import PdfReader

    attachment = stored(app, world, make_entry, pdf(), "school nurse letter.pdf")
    auth.as_(world[reader])
    pupil = world.pupils[0].id
    page = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "1 file is attached" in page and "school nurse letter" not in page
    exported = client.get(f"/pupils/{pupil}/chronology.pdf")
    assert exported.status_code == 200
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(exported.data)).pages).replace("\n", "")
    assert "1 file is attached" in pdf_text
    assert "nurse letter" not in pdf_text and "SHA-256" not in pdf_text
    assert attachment.sha256 not in pdf_text.replace(" ", "")
    assert attachment.sha256[:16] not in pdf_text.replace(" ", "")


def test_the_default_limit_is_20_mb_per_file():
    from config import Config

    assert Config.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024
    assert Config.MAX_CONTENT_LENGTH == 1024 * 1024  # every other route keeps the 1 MiB body limit


def test_verify_attachments_reports_damaged_and_unreferenced_files(app, world, make_entry):
    attachment = stored(app, world, make_entry)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-attachments"])
    assert result.exit_code == 0 and "1 attachments checked, 0 damaged, 0 unreferenced files." in result.output
    with app.app_context():  # a file no attachment names: only a hand-edited database could hold one
        db.session.execute(AttachmentBlob.__table__.insert().values(stored_name="0" * 40, data=b"stray"))
        db.session.commit()
    damage(app, attachment.stored_name, b"changed")
    result = runner.invoke(args=["verify-attachments"])
    assert result.exit_code == 1
    assert f"DAMAGED attachment {attachment.id} (entry {attachment.entry_id})" in result.output
    assert "no longer matches the checksum" in result.output
    assert f"Unreferenced file: {'0' * 40}" in result.output and "1 unreferenced files." in result.output


def test_ordinary_files_of_each_type_are_accepted(app, client, auth, world):
    """Not over-careful: a photo, a PDF, and a Word document with a web link in it."""
    link = (
        b'<Relationships><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/hyperlink" Target="https://www.nspcc.org.uk/" TargetMode="External"/></Relationships>'
    )
    auth.as_(world["teacher1"])
    response = log_with_files(
        client,
        world,
        (jpeg(), "arm.JPEG"),
        (pdf(), "letter.pdf"),
        (docx(**{"word/_rels/document.xml.rels": link}), "minutes.docx"),
    )
    assert response.status_code == 303
    assert [a.content_type.split("/")[1][:8] for a in rows(app, Attachment)] == ["jpeg", "pdf", "vnd.open"]
