"""Search of narratives and follow-ups: the database's own full-text index
(FTS5 on SQLite, tsvector on PostgreSQL), permission-filtered and paged."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Entry
from cpoms.search.index import terms
from cpoms.search.queries import PER_PAGE

from helpers import backdated_entry


def found_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/entries/(\d+)"', html.split('id="results"', 1)[1])]


def search(client, q, **more):
    response = client.get("/search", query_string={"q": q, **more})
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def records(app, world, auth, make_entry):
    bruise = make_entry(narrative="Amelia had a bruise on her left arm and said she fell off her bike.")
    hungry = make_entry(
        category="General welfare", narrative="Oliver came in hungry again, no breakfast.", pupils=[world.pupils[1]]
    )
    other = make_entry(recorder="other_teacher", pupils=world.other_pupils, narrative="Noah had a bruise on his cheek.")
    auth.as_(world["dsl"]).post(
        f"/entries/{hungry}/follow-ups", data={"kind": "action", "text": "Phoned mum about the breakfast club."}
    )
    return {"bruise": bruise, "hungry": hungry, "other": other}


def test_finds_narratives_by_word_and_word_start(app, world, auth, records):
    client = auth.as_(world["dsl"])
    for q in ("bruise", "Bruise", "bruis", "left arm", "ARM bruise"):
        status, html = search(client, q)
        assert status == 200
        assert found_ids(html) == [records["bruise"]], q  # not the other school's bruise


def test_finds_follow_ups_and_shows_where(app, world, auth, records):
    status, html = search(auth.as_(world["slt"]), "phoned club")
    assert found_ids(html) == [records["hungry"]]
    assert "Action:" in html or "action" in html.lower()
    assert "<mark>Phoned</mark> mum about the breakfast <mark>club</mark>" in html


def test_stemming_finds_other_forms(app, world, auth, records, make_entry):
    bruising = make_entry(narrative="Bruising seen on both wrists during PE.")
    status, html = search(auth.as_(world["dsl"]), "bruises")
    assert set(found_ids(html)) == {records["bruise"], bruising}


def test_every_word_must_match(app, world, auth, records):
    assert found_ids(search(auth.as_(world["dsl"]), "bruise breakfast")[1]) == []
    assert "No entries match" in search(auth.as_(world["dsl"]), "bruise breakfast")[1]


def test_other_school_searches_its_own(app, world, auth, records):
    assert found_ids(search(auth.as_(world["other_dsl"]), "bruise")[1]) == [records["other"]]


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        '"; DROP TABLE entries; --',
        "bruise OR hungry",
        "NEAR(bruise hungry)",
        "bruise*",
        "body:bruise",
        "-bruise",
        "^bruise",
        '"unbalanced',
        "entry_id:1",
        "%",
        "_",
        "\\",
        "((((",
        "<script>alert(1)</script>",
    ],
)
def test_search_syntax_and_sql_are_just_text(app, world, auth, records, q):
    status, html = search(auth.as_(world["dsl"]), q)
    assert status in (200, 422)
    assert "<script>alert(1)</script>" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Entry.id))) == 3
    if terms(q) == ["bruise"]:  # the syntax around a word is dropped, the word is searched
        assert found_ids(html) == [records["bruise"]]


@pytest.mark.parametrize(
    "q, message",
    [
        ("!!! ???", "Type a word to search for"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_nothing_searchable_gets_a_clear_message(app, world, auth, q, message):
    status, html = search(auth.as_(world["dsl"]), q)
    assert status == 422 and message in html


def test_html_in_a_narrative_is_inert_in_results(app, world, auth, make_entry):
    make_entry(narrative="Wrote <img src=x onerror=alert(1)> on the board, then a bruise.")
    html = search(auth.as_(world["dsl"]), "board")[1]
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_results_are_paged(app, world, auth, make_entry):
    ids = [make_entry(narrative=f"Scraped knee number {n} in the playground.") for n in range(PER_PAGE + 3)]
    client = auth.as_(world["dsl"])
    first = found_ids(search(client, "scraped")[1])
    second_status, second_html = search(client, "scraped", page=2)
    second = found_ids(second_html)
    assert len(first) == PER_PAGE and len(second) == 3
    assert set(first) | set(second) == set(ids)
    assert first[0] == ids[-1]  # newest first
    assert "Previous page" in second_html and "Next page" not in second_html


def test_search_is_audited_with_what_was_shown(app, world, auth, records):
    search(auth.as_(world["deputy"]), "bruise")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == audit.SEARCH))
        assert event.user_id == world["deputy"].id
        assert f'"entries": [{records["bruise"]}]' in event.detail and '"query": "bruise"' in event.detail


def test_search_runs_a_fixed_number_of_queries(app, world, auth, records, make_entry, count_queries):
    client = auth.as_(world["dsl"])
    with count_queries() as few:
        search(client, "bruise")
    for n in range(15):
        make_entry(narrative=f"Another bruise, number {n}.")
    with count_queries() as many:
        search(client, "bruise")
    assert len(few) == len(many)


def test_the_newest_written_match_comes_first_however_far_back_the_search_looks(app, world, auth, make_entry):
    """An entry ranks by its newest matching text: a follow-up written today brings a
    three-year-old entry to the top. PostgreSQL looks among a school's newest index rows
    first and through every match only when those hold too few; SQLite's FTS5 reads
    newest first. Whatever the window, the same entries come, in the same order."""
    from datetime import timedelta

    from cpoms.models import Category, Pupil, User
    from cpoms.search.queries import newest_matches
    from cpoms.timefmt import now_utc

    with app.app_context():
        pupil = db.session.get(Pupil, world.pupils[0].id)
        old = []
        for years_ago in (3, 2):
            entry = backdated_entry(
                db.session.get(User, world["teacher1"].id),
                pupil,
                db.session.get(Category, world.categories["Behaviour"].id),
                now_utc() - timedelta(days=365 * years_ago),
                narrative="An old playground scuffle.",
                status="closed",
            )
            db.session.commit()
            old.append(entry.id)
    recent = [make_entry(narrative=f"Playground scuffle number {n}.") for n in range(PER_PAGE)]
    for n in range(5):
        make_entry(narrative=f"Nothing to do with it, number {n}.")
    client = auth.as_(world["dsl"])
    assert found_ids(search(client, "scuffle")[1]) == recent[::-1]
    assert found_ids(search(client, "scuffle", page=2)[1]) == old[::-1]  # two years ago, then three
    assert found_ids(search(client, "old playground")[1]) == old[::-1]

    client.post(f"/entries/{old[0]}/follow-ups", data={"kind": "note", "text": "Another scuffle mentioned today."})
    assert found_ids(search(client, "scuffle")[1]) == [old[0], *recent[::-1][: PER_PAGE - 1]]
    with app.app_context():
        school = [world.pupils[0].school_id]
        everything = newest_matches(["scuffle"], school, 100)
        assert everything == [old[0], *recent[::-1], old[1]]
        for window in (1, 3, 8, 30):
            for wanted in (1, 2, 5, 21, 22, 23, 40):
                assert newest_matches(["scuffle"], school, wanted, window=window) == everything[:wanted]


def test_words_between_angle_brackets_are_found(app, world, auth, make_entry):
    """PostgreSQL's parser would read <...> as markup and drop the words inside."""
    quoted = make_entry(narrative="She wrote <Mum hit me> on her whiteboard.")
    assert found_ids(search(auth.as_(world["dsl"]), "whiteboard mum")[1]) == [quoted]
