"""Pupils from the MIS: reading the CSV, the preview of every row, confirming,
re-importing, leavers, siblings, and the same from the command line."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import upload_pupils
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.mis import pupils
from cpoms.mis.csvfile import FileProblem
from cpoms.mis.models import PupilImport
from cpoms.models import UNUSABLE_PASSWORD, Pupil, Role, School, User

from conftest import make_user

DATA = Path(__file__).resolve().parent / "data"
SIMS = (DATA / "pupils-sims.csv").read_bytes()
HEADINGS = "UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\n"


def csv_of(*lines: str, headings: str = HEADINGS) -> bytes:
    return (headings + "".join(line + "\r\n" for line in lines)).encode()


def upn(n: int) -> str:
    return f"C{n:012d}"


def pupil_rows(count: int) -> bytes:
    return csv_of(*[f"{upn(i)},Surname{i},Forename{i},01/09/2019,3,3Ash" for i in range(count)])


def by_upn(app) -> dict[str, Pupil]:
    with app.app_context():
        found = {p.upn: p for p in db.session.scalars(select(Pupil))}
        db.session.expunge_all()
        return found


# The second confirmation a preview asks for when more than a tenth of the roll would leave:
# the sample file's one leaver (Isla) is a third of the test school's roll of three.
LEAVERS_CONFIRMED = {"leavers": "y"}


# --- reading the file ------------------------------------------------------------


def test_headings_in_any_order_and_case_with_other_names():
    rows = pupils.parse(
        b"dob,FORENAME,surname,nc year,registration group,upn\n2018-03-14,Amelia,Hassan,4,4Oak,A204210010001\n"
    )
    assert rows[0].line == 2
    assert rows[0].values == {
        "upn": "A204210010001",
        "first_name": "Amelia",
        "last_name": "Hassan",
        "date_of_birth": "2018-03-14",
        "year_group": "4",
        "class_name": "4Oak",
    }


def test_legal_forename_is_preferred_to_forename():
    rows = pupils.parse(
        b"Forename,Legal Forename,Surname,UPN,DOB,Year,Class\nMillie,Amelia,Hassan,A204210010001,14/03/2018,4,4Oak\n"
    )
    assert rows[0].values["first_name"] == "Amelia"


@pytest.mark.parametrize(
    "encoded",
    [
        "UPN,Surname,Forename,DOB,Year,Class\nA204210010001,Brontë,Zoë,14/03/2018,4,4Oak\n".encode("utf-8"),
        "UPN,Surname,Forename,DOB,Year,Class\nA204210010001,Brontë,Zoë,14/03/2018,4,4Oak\n".encode("utf-8-sig"),
        "UPN,Surname,Forename,DOB,Year,Class\nA204210010001,Brontë,Zoë,14/03/2018,4,4Oak\n".encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "windows-1252"],
)
def test_encodings(encoded):
    row = pupils.parse(encoded)[0]
    assert (row.values["upn"], row.values["first_name"], row.values["last_name"]) == ("A204210010001", "Zoë", "Brontë")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty"),
        (
            b"Name,Class\nAmelia,4Oak\n",
            "Line 1: the file has no column for UPN, Legal Forename, Legal Surname, "
            "Date of Birth or Year. Its headings are: Name, Class.",
        ),
        (HEADINGS.encode() + b'A204210010001,"Hassan,Amelia,14/03/2018,4,4Oak\n', "could not be read as CSV"),
        (
            HEADINGS.encode() + b"A204210010001,Hassan,Amelia,14/03/2018,4,4Oak\nA2,\x81\x8d,x\n",
            "Line 3 has characters that are neither UTF-8 nor Windows-1252",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not a CSV file"),
    ],
)
def test_a_malformed_file_gets_a_message_naming_the_line(data, message):
    with pytest.raises(FileProblem, match=None) as raised:
        pupils.parse(data)
    assert message in str(raised.value)


def test_a_stray_quote_names_its_line():
    data = csv_of("A204210010001,Hassan,Amelia,14/03/2018,4,4Oak", 'A204210010002,"Nowak,Oliver,14/03/2020,2,2Oak')
    with pytest.raises(FileProblem, match=r"^Line 3 could not be read"):
        pupils.parse(data)


# --- the preview ----------------------------------------------------------------------


def test_every_row_gets_its_outcome_and_the_reason_for_an_error(app, world):
    data = (DATA / "pupils-malformed.csv").read_bytes()
    with app.app_context():
        plan = pupils.plan(db.session.get(School, world.school.id), pupils.parse(data), full=False)
        got = [(o.line, o.kind, o.detail) for o in plan.outcomes]
    assert got == [
        (2, "error", "the date of birth '31/02/2018' is not a date like 14/03/2019"),
        (3, "error", "the UPN 'not-a-upn' is not a letter followed by 12 digits (or 11 digits and a letter)"),
        (4, "error", "the year 'Year 9X' is not N, R or a number from 1 to 14"),
        (5, "error", "the UPN C301210010008 is also on line 6"),
        (6, "error", "the UPN C301210010008 is also on line 5"),
        (7, "error", "the line has 5 values but the headings name 6 columns"),
    ]


def test_a_upn_of_another_schools_pupil_is_an_error(app, world):
    data = csv_of(f"{world.other_pupils[0].upn},Baker,Noah,01/01/2019,3,3Ash")
    with app.app_context():
        plan = pupils.plan(db.session.get(School, world.school.id), pupils.parse(data), full=False)
    assert [(o.kind, o.detail) for o in plan.outcomes] == [
        (
            "error",
            f"the UPN {world.other_pupils[0].upn} is on roll at Brookfield Primary School, another school "
            "of the trust: a pupil moving school keeps their record there; ask the trust's administrator",
        )
    ]


def test_blank_names_and_implausible_dates_are_errors(app, world):
    data = csv_of(
        "C000000000001,,Jo,01/01/2019,3,3Ash",
        "C000000000002,Lee,Jo,01/01/1970,3,3Ash",
        "C000000000003,Lee,Jo,01/01/2019,3,",
        "C000000000004,Lee,Jo,1/1/2019 00:00,Y3,3Ash",
    )
    with app.app_context():
        plan = pupils.plan(db.session.get(School, world.school.id), pupils.parse(data), full=False)
    assert [o.detail or o.kind for o in plan.outcomes] == [
        "the Legal Surname is blank",
        "the date of birth 01/01/1970 is not a pupil's",
        "the Reg Group is blank",
        "new",
    ]


# --- the pages: upload, preview, confirm, result ------------------------------------------


def test_upload_preview_confirm_and_result(app, client, auth, world):
    auth.as_(world["admin"])
    page = client.get("/admin/pupils/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    response = upload_pupils(client, SIMS, filename="sims.csv")
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Nothing has been saved yet" in html
    assert "Preferred Forename: (blank) → Millie" in html
    assert "Isla Hartley" in html and "Will be marked as left (1)" in html
    assert "New pupils (2)" in html and "Updated (2)" in html
    assert len(by_upn(app)) == 4, "a preview writes no pupil"

    assert "1 of the 3 pupils on roll would be marked as left" in html
    done = client.post(response.headers["Location"], data=LEAVERS_CONFIRMED)
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Pupils imported" in result and "Import done: 2 new, 2 updated, 0 unchanged, 1 left, 0 with errors" in result
    found = by_upn(app)
    assert found["A204210010001"].preferred_name == "Millie" and found["A204210010001"].gender == "F"
    assert found["C301210010004"].date_of_birth == date(2021, 9, 2) and found["C301210010004"].year_group == 0
    isla = found["A204210010003"]
    assert isla.active is False and isla.left_on is not None, "a leaver is marked, not deleted"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pupils_imported"))
        assert event.user_id == world["admin"].id and event.school_id == world.school.id
        detail = json.loads(event.detail)
    assert {k: detail[k] for k in ("new", "updated", "left", "error", "file")} == {
        "new": 2,
        "updated": 2,
        "left": 1,
        "error": 0,
        "file": "sims.csv",
    }


def test_a_two_row_file_imports_two_pupils_unless_a_full_import_is_chosen(app, client, auth, world):
    """The file that once previewed "60 pupils will be marked as left": a partial import
    unless the admin ticks Full import, and then a warning in words and a second confirmation."""
    auth.as_(world["admin"])
    page = client.get("/admin/pupils/import").get_data(as_text=True)
    full_box = re.search(r'<input[^>]*name="full"[^>]*>', page).group(0)
    assert "checked" not in full_box, "a full import is chosen, never the default"
    client.post(upload_pupils(client, pupil_rows(57), full=False).headers["Location"])  # 60 on roll with the world's 3
    two = csv_of(f"{upn(0)},Surname0,Forename0,01/09/2019,3,3Ash", f"{upn(1)},Surname1,Forename1,01/09/2019,3,3Ash")

    # As the form comes (Full import unticked): nobody is marked as left.
    location = upload_pupils(client, two, full=False).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "nobody is marked as left" in preview and "Will be marked as left" not in preview
    assert client.post(location).status_code == 303
    assert all(p.active for p in by_upn(app).values())

    # Chosen: the preview says what it would do, and one tap does not do it.
    location = upload_pupils(client, two).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "58 of the 60 pupils on roll would be marked as left" in preview and "more than a tenth" in preview
    assert 'name="leavers"' in preview
    refused = client.post(location)
    assert refused.status_code == 422
    assert "Nothing has been imported: tick the box to confirm that 58 pupils have left" in refused.get_data(
        as_text=True
    )
    assert all(p.active for p in by_upn(app).values())
    assert client.post(location, data=LEAVERS_CONFIRMED).status_code == 303
    assert sum(not p.active for p in by_upn(app).values()) == 58


def test_a_full_import_that_marks_a_tenth_or_less_as_left_needs_no_second_confirmation(app, client, auth, world):
    auth.as_(world["admin"])
    client.post(upload_pupils(client, pupil_rows(57), full=False).headers["Location"])  # 60 on roll
    keep = [f"{upn(i)},Surname{i},Forename{i},01/09/2019,3,3Ash" for i in range(57)]
    keep += ["A204210010001,Hassan,Amelia,14/03/2018,4,4Oak"]  # Oliver and Isla have left: 2 of 60
    location = upload_pupils(client, csv_of(*keep)).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "Will be marked as left (2)" in preview and "would be marked as left" not in preview
    assert 'name="leavers"' not in preview
    assert client.post(location).status_code == 303
    assert sum(not p.active for p in by_upn(app).values()) == 2


def test_siblings_share_a_family_id(app, client, auth, world):
    auth.as_(world["admin"])
    client.post(upload_pupils(client, SIMS).headers["Location"], data=LEAVERS_CONFIRMED)
    with app.app_context():
        amelia = db.session.scalar(select(Pupil).where(Pupil.upn == "A204210010001"))
        assert [p.first_name for p in pupils.siblings(amelia)] == ["Yusuf"]


def test_reimporting_the_same_file_changes_nothing(app, client, auth, world):
    auth.as_(world["admin"])
    client.post(upload_pupils(client, SIMS).headers["Location"], data=LEAVERS_CONFIRMED)
    before = by_upn(app)
    again = client.get(upload_pupils(client, SIMS).headers["Location"]).get_data(as_text=True)
    assert "This file changes nothing" in again and "Unchanged (4)" in again
    assert "mis.confirm" not in again and 'class="button button-primary">Import' not in again
    after = by_upn(app)
    assert {k: (p.first_name, p.active, p.left_on, p.family_id) for k, p in before.items()} == {
        k: (p.first_name, p.active, p.left_on, p.family_id) for k, p in after.items()
    }


def test_a_leaver_who_reappears_is_back_on_roll(app, client, auth, world):
    auth.as_(world["admin"])
    client.post(upload_pupils(client, SIMS).headers["Location"], data=LEAVERS_CONFIRMED)
    back = csv_of("A204210010003,Hartley,Isla,14/03/2016,6,6Oak")
    html = client.get(upload_pupils(client, back, full=False).headers["Location"]).get_data(as_text=True)
    assert "back on roll" in html
    client.post(upload_pupils(client, back, full=False).headers["Location"])
    isla = by_upn(app)["A204210010003"]
    assert isla.active is True and isla.left_on is None


def test_a_pupil_whose_row_has_an_error_is_not_marked_as_left(app, world):
    data = csv_of(
        "A204210010001,Hassan,Amelia,31/02/2018,4,4Oak",
        "A204210010002,Nowak,Oliver",
        "A204210010003,Hartley,Isla,14/03/2016,6,6Oak",
    )
    with app.app_context():
        plan = pupils.plan(db.session.get(School, world.school.id), pupils.parse(data), full=True)
    assert plan.counts() == {"error": 2, "left": 0, "new": 0, "updated": 0, "unchanged": 1}


def test_a_partial_import_marks_nobody_as_left(app, client, auth, world):
    auth.as_(world["admin"])
    client.post(upload_pupils(client, csv_of("C000000000001,Lee,Jo,01/01/2019,3,3Ash"), full=False).headers["Location"])
    assert all(p.active for p in by_upn(app).values())


def test_rows_with_errors_are_left_out_and_the_rest_imported(app, client, auth, world):
    auth.as_(world["admin"])
    data = csv_of("C000000000001,Lee,Jo,01/01/2019,3,3Ash", "C000000000002,Lee,Sam,31/02/2019,3,3Ash")
    location = upload_pupils(client, data, full=False).headers["Location"]
    assert "the date of birth &#39;31/02/2019&#39; is not a date" in client.get(location).get_data(as_text=True)
    client.post(location)
    found = by_upn(app)
    assert "C000000000001" in found and "C000000000002" not in found


@pytest.mark.parametrize(
    "data, message",
    [
        (b"Name,Class\nAmelia,4Oak\n", "Line 1: the file has no column for UPN"),
        (HEADINGS.encode(), "The file has headings but no pupils"),
        (None, "Choose the CSV file to import."),
    ],
)
def test_an_unreadable_upload_is_refused_with_its_reason(app, client, auth, world, data, message):
    auth.as_(world["admin"])
    if data is None:
        response = client.post(
            "/admin/pupils/import", data={"school": "ashgrove", "full": "y"}, content_type="multipart/form-data"
        )
    else:
        response = upload_pupils(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "There is a problem" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(PupilImport.id))) == 0


def test_an_admin_cannot_import_into_a_school_they_do_not_administer(app, client, auth, world):
    auth.as_(world["admin"])
    response = upload_pupils(client, SIMS, school="brookfield")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


def test_only_the_uploader_sees_and_confirms_the_preview(app, client, auth, world):
    auth.as_(world["admin"])
    location = upload_pupils(client, SIMS).headers["Location"]
    with app.app_context():
        school = db.session.get(School, world.school.id)
        other_admin = make_user("Second Admin", "admin2@ashgrove.example.org", roles=[(Role.ADMIN, school, None)])
        db.session.commit()
        db.session.refresh(other_admin)
        db.session.expunge(other_admin)
    auth.as_(other_admin)
    assert client.get(location).status_code == 404
    assert client.post(location).status_code == 404
    assert client.get("/admin/pupils/import/" + "x" * 200).status_code == 404
    assert by_upn(app)["A204210010003"].active


def test_a_file_over_one_mib_is_accepted_and_over_the_upload_limit_refused(app, client, auth, world):
    auth.as_(world["admin"])
    big = pupil_rows(25_000)  # about 1.3 MB: over the app's 1 MiB form limit
    assert len(big) > 1024 * 1024
    assert upload_pupils(client, big, full=False).status_code == 303
    app.config["PUPIL_IMPORT_MAX_BYTES"] = 1024 * 1024
    assert upload_pupils(client, big, full=False).status_code == 413


def test_ten_thousand_rows_preview_and_import_in_reasonable_time(app, client, auth, world):
    auth.as_(world["admin"])
    data = pupil_rows(10_000)
    started = time.perf_counter()
    location = upload_pupils(client, data, full=False).headers["Location"]
    preview = client.get(location)
    previewed = time.perf_counter()
    assert "New pupils (10000)" in preview.get_data(as_text=True)
    assert "And 9500 more." in preview.get_data(as_text=True)
    client.post(location)
    imported = time.perf_counter()
    reimport = client.get(upload_pupils(client, data, full=False).headers["Location"]).get_data(as_text=True)
    again = time.perf_counter()
    print(
        f"\n10,000 rows ({len(data):,} bytes): upload+preview {previewed - started:.2f} s, "
        f"confirm {imported - previewed:.2f} s, re-import preview {again - imported:.2f} s"
    )
    assert "Unchanged (10000)" in reimport
    assert len(by_upn(app)) == 10_004
    assert again - started < 30


# --- the command line ------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_dry_run_writes_nothing_then_imports(app, world, tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_bytes(SIMS)
    dry = run(app, "import-pupils", str(path), "--school", "ashgrove", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written: 2 new, 2 updated, 0 unchanged, 1 left, 0 with errors" in dry.output
    assert "left: A204210010003 Isla Hartley" in dry.output
    assert len(by_upn(app)) == 4
    done = run(app, "import-pupils", str(path), "--school", "ashgrove")
    assert done.exit_code == 0 and "Imported into Ashgrove Primary School: 2 new" in done.output
    assert len(by_upn(app)) == 6 and not by_upn(app)["A204210010003"].active
    again = run(app, "import-pupils", str(path), "--school", "ashgrove")
    assert "0 new, 0 updated, 4 unchanged, 0 left, 0 with errors" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "pupils_imported")) == 2


def test_cli_prints_the_errors_and_refuses_a_malformed_file(app, world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes((DATA / "pupils-malformed.csv").read_bytes())
    result = run(app, "import-pupils", str(path), "--school", "ashgrove", "--partial", "--dry-run")
    assert "line 2: the date of birth '31/02/2018' is not a date" in result.output
    path.write_bytes(b"Name\nAmelia\n")
    refused = run(app, "import-pupils", str(path), "--school", "ashgrove")
    assert refused.exit_code == 1 and "bad.csv: Line 1: the file has no column for UPN" in refused.output
    unknown = run(app, "import-pupils", str(path), "--school", "nowhere")
    assert unknown.exit_code == 2 and "no school with slug 'nowhere'" in unknown.output


def test_the_windows_1252_sample_imports(app, world):
    result = run(app, "import-pupils", str(DATA / "pupils-arbor-cp1252.csv"), "--school", "ashgrove", "--partial")
    assert result.exit_code == 0, result.output
    assert by_upn(app)["C301210010006"].first_name == "Zoë"


# --- staff from the command line -------------------------------------------------------


def test_cli_imports_staff_adding_people_and_roles(app, world):
    path = DATA / "staff.csv"
    dry = run(app, "import-staff", str(path), "--school", "ashgrove", "--as", "admin@ashgrove.example.org", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written: 2 new, 1 updated, 0 unchanged, 0 left, 3 with errors" in dry.output
    assert "line 5: the email 'not-an-email' is not an email address" in dry.output
    assert "line 6: the email ruth.ellis@ashgrove.example.org is also on line 2" in dry.output
    assert "line 7: the role 'Caretaker' is not one of staff" in dry.output
    done = run(app, "import-staff", str(path), "--school", "ashgrove", "--as", "admin@ashgrove.example.org")
    assert done.exit_code == 0, done.output
    with app.app_context():
        ruth = db.session.scalar(select(User).where(User.email == "ruth.ellis@ashgrove.example.org"))
        assert [(a.role, a.school_id) for a in ruth.roles] == [(Role.STAFF, world.school.id)]
        assert not ruth.check_password("") and ruth.password_hash == UNUSABLE_PASSWORD
        teacher = db.session.get(User, world["teacher1"].id)
        assert sorted(a.role for a in teacher.roles) == [Role.DSL, Role.STAFF]
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff_imported")) == 1
    again = run(app, "import-staff", str(path), "--school", "ashgrove", "--as", "admin@ashgrove.example.org")
    assert "0 new, 0 updated, 3 unchanged" in again.output
