"""The body map: numbered marks on front and back outlines, saved with the entry
(append-only), shown on the entry and in the chronology; by tapping (x, y) or, without
JavaScript or from the keyboard, by choosing an area."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from cpoms.audit import AuditEvent
from cpoms.bodymap.areas import AREAS, HEIGHT, WIDTH, nearest
from cpoms.bodymap.models import BodyMapMark
from cpoms.extensions import db
from cpoms.models import Entry

from sample_files import png
from helpers import form_data


def marks(app) -> list[BodyMapMark]:
    with app.app_context():
        return list(db.session.scalars(select(BodyMapMark).order_by(BodyMapMark.entry_id, BodyMapMark.number)))


def with_marks(world, *rows, **extra):
    """The log form with marks: each row is (area, x, y, note)."""
    data = form_data(world, checked="1", **extra)
    for name, column in zip(("mark_area", "mark_x", "mark_y", "mark_note"), zip(*rows) if rows else ((),) * 4):
        data[name] = list(column)
    return data


def test_marks_tapped_on_the_outlines_are_saved_numbered_and_named_by_the_nearest_area(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post(
        "/log",
        data=with_marks(
            world,
            ("front-left-forearm", "0.78", "0.45", "Bruise, about 3 cm, purple"),
            ("", "", "", ""),  # an empty row (no JavaScript shows five): ignored
            ("back-upper-back", "0.45", "0.3", "Red mark, like a hand"),
        ),
    )
    assert response.status_code == 303
    saved = marks(app)
    assert [(m.number, m.view, m.x, m.y, m.area, m.description) for m in saved] == [
        (1, "front", 0.78, 0.45, "front-left-forearm", "Bruise, about 3 cm, purple"),
        (2, "back", 0.45, 0.3, "back-upper-back", "Red mark, like a hand"),
    ]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "add_body_map"))
        assert event.entry_id == saved[0].entry_id and '"marks": 2' in event.detail
    page = client.get(f"/entries/{saved[0].entry_id}").get_data(as_text=True)
    assert "Body map" in page
    assert "<strong>Front: left forearm:</strong> Bruise, about 3 cm, purple" in page
    assert "<strong>Back: upper back:</strong> Red mark, like a hand" in page
    assert 'cx="156.0" cy="198.0"' in page  # the mark, drawn where it was tapped
    assert page.count('class="body-map-mark"') == 2


def test_a_mark_chosen_by_area_alone_goes_to_the_areas_centre(app, client, auth, world):
    auth.as_(world["teacher1"])
    assert client.post("/log", data=with_marks(world, ("back-right-calf", "", "", "Scratches"))).status_code == 303
    [mark] = marks(app)
    area = AREAS["back-right-calf"]
    assert (mark.view, mark.x, mark.y) == ("back", round(area.x / WIDTH, 4), round(area.y / HEIGHT, 4))
    # On the back view, the child's right is on the viewer's right.
    assert (
        area.x > WIDTH / 2
        and AREAS["front-right-calf" if "front-right-calf" in AREAS else "front-right-lower-leg"].x < WIDTH / 2
    )


def test_the_nearest_area_follows_the_side_of_the_view():
    assert nearest("front", 0.22, 0.45).key == "front-right-forearm"
    assert nearest("back", 0.22, 0.45).key == "back-left-forearm"


@pytest.mark.parametrize(
    "row, message",
    [
        (("front-face", "", "", ""), "Mark 1: describe what you saw"),
        (("", "", "", "A bruise"), "Mark 1: choose where on the body it is."),
        (("front-spleen", "", "", "A bruise"), "Mark 1: choose where on the body it is."),
        (("front-face", "0.5", "", "A bruise"), "Mark 1: its place on the picture was not understood"),
        (("front-face", "1.5", "0.2", "A bruise"), "Mark 1: its place on the picture was not understood"),
        (("front-face", "nan", "0.2", "A bruise"), "Mark 1: its place on the picture was not understood"),
        (("front-face", "", "", "x" * 301), "Mark 1: keep the description under 300 characters."),
    ],
)
def test_a_mark_that_is_not_complete_is_refused_with_everything_kept(app, client, auth, world, row, message):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=with_marks(world, row))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'href="#mark-note-1"' in page  # in the error summary, linked to the mark
    assert "Pushed another pupil" in page
    if row[3] and len(row[3]) < 300:
        assert f'value="{row[3]}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert marks(app) == []


def test_too_many_marks_are_refused(app, client, auth, world):
    auth.as_(world["teacher1"])
    response = client.post("/log", data=with_marks(world, *[("front-chest", "", "", f"Mark {n}") for n in range(31)]))
    assert response.status_code == 422 and "A body map can have 30 marks at most." in response.get_data(as_text=True)
    assert marks(app) == []


def test_without_javascript_the_form_offers_marks_by_area_and_says_so(client, auth, world):
    auth.as_(world["teacher1"])
    page = client.get("/log").get_data(as_text=True)
    assert "<summary>Body map (optional)</summary>" in page
    assert "For each mark, choose where it is and describe it." in page
    assert page.count('name="mark_area"') == 6  # five rows, and the template row for JavaScript
    assert '<option value="front-left-forearm"' in page and ">Back: back of head<" in page
    assert 'src="/static/js/body_map.js?v=' in page


def test_the_chronology_shows_the_marks(app, client, auth, world):
    auth.as_(world["teacher1"])
    client.post("/log", data=with_marks(world, ("front-face", "", "", "Graze on the cheek")))
    auth.as_(world["dsl"])
    for view in ("", "?view=timeline"):
        page = client.get(f"/pupils/{world.pupils[0].id}/chronology{view}").get_data(as_text=True)
        assert "<strong>Front: face:</strong> Graze on the cheek" in page
    from pypdf import PdfReader

    exported = client.get(f"/pupils/{world.pupils[0].id}/chronology.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(exported.data)).pages)
    assert "Body map:" in text and "Front: face: Graze on the cheek" in text


def test_marks_are_append_only(app, client, auth, world):
    auth.as_(world["teacher1"])
    client.post("/log", data=with_marks(world, ("front-face", "", "", "Graze")))
    with app.app_context():
        for statement in ("UPDATE body_map_marks SET description = 'x'", "DELETE FROM body_map_marks"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
    assert [m.description for m in marks(app)] == ["Graze"]


def test_the_log_forms_post_runs_a_fixed_number_of_queries(app, client, auth, world, count_queries):
    """However many marks and files: one batch of rows per table, not a query per row."""
    auth.as_(world["teacher1"])

    def post(mark_count: int, file_count: int) -> int:
        data = with_marks(world, *[("front-chest", "0.5", "0.3", f"Mark {n}") for n in range(mark_count)])
        data["attachments"] = [(io.BytesIO(png()), f"p{n}.png") for n in range(file_count)]
        with count_queries() as statements:
            assert client.post("/log", data=data, content_type="multipart/form-data").status_code == 303
        return len(statements)

    post(1, 1)  # warm up
    few, many = post(1, 1), post(12, 5)
    assert few == many, (few, many)
