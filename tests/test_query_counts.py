"""No page issues a query per row: the SQL a page runs does not grow with the data.

Each page is requested once to warm up, then counted with a small and a large
amount of data behind it. Each request gets its own app context (and so its own
session), as in production, so nothing is served from a previous request's
identity map."""

from __future__ import annotations


import pytest

from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Entry, Kind, User
from helpers import add_entries, assert_flat, queries_for


def add_follow_ups(app, world, entry_id: int, count: int):
    with app.test_request_context():
        entry = db.session.get(Entry, entry_id)
        authors = [db.session.get(User, world[k].id) for k in ("dsl", "deputy", "slt")]
        kinds = [Kind.ACTION, Kind.NOTE, Kind.DECISION, Kind.AGENCY, Kind.RISK, Kind.OUTCOME]
        for n in range(count):
            kind = kinds[n % len(kinds)]
            extra = {
                Kind.DECISION: {"reason": "Because."},
                Kind.AGENCY: {"agency_name": "Early Help", "agency_reference": f"EH-{n}"},
                Kind.RISK: {"risk_level": "medium"},
            }.get(kind, {})
            add_follow_up(authors[n % len(authors)], entry, kind, f"Follow-up {n}.", **extra)
        db.session.commit()


# (who, label, path) of every list page; one data set serves them all, to keep this fast.
LIST_PAGES = [
    ("dsl", "review", "/review"),
    ("dsl", "review, all", "/review?status=all"),
    ("dsl", "review, closed", "/review?status=closed"),
    ("dsl", "review, one category", "/review?status=all&category={safeguarding}"),
    ("slt", "review", "/review"),
    ("dsl", "chronology", "/pupils/{pupil}/chronology"),
    ("slt", "chronology", "/pupils/{pupil}/chronology"),
    ("governor", "chronology", "/pupils/{pupil}/chronology"),
    ("trust_rep", "chronology", "/pupils/{pupil}/chronology"),
    ("dsl", "chronology timeline", "/pupils/{pupil}/chronology?view=timeline"),
    ("governor", "chronology timeline", "/pupils/{pupil}/chronology?view=timeline"),
    (
        "dsl",
        "chronology, filtered",
        "/pupils/{pupil}/chronology?status=open&kind=risk_assessment&from=2000-01-01&to=2100-01-01",
    ),
    ("dsl", "chronology, one category", "/pupils/{pupil}/chronology?category={safeguarding}&view=timeline"),
    ("dsl", "chronology timeline, page 1", "/pupils/{pupil}/chronology?page=1&view=timeline"),
    ("dsl", "chronology CSV", "/pupils/{pupil}/chronology.csv"),
    ("dsl", "chronology CSV timeline", "/pupils/{pupil}/chronology.csv?view=timeline"),
    ("dsl", "chronology PDF", "/pupils/{pupil}/chronology.pdf"),
    ("dsl", "home", "/"),
    ("teacher1", "home", "/"),
]


def test_list_pages_do_not_grow(app, client, auth, world, count_queries):
    pupil = world.pupils[0].id

    def measure():
        counts = {}
        for who, label, path in LIST_PAGES:
            auth.as_(world[who])
            counts[(who, label)] = queries_for(
                client, count_queries, path.format(pupil=pupil, safeguarding=world.categories["Safeguarding"].id)
            )
        return counts

    add_entries(app, world, 5)
    small = measure()
    add_entries(app, world, 195)
    large = measure()
    for who, label, _ in LIST_PAGES:
        assert_flat(small[(who, label)], large[(who, label)], f"{label} as {who}")

    # The pages really did show the larger data set.
    auth.as_(world["dsl"])
    chronology = client.get(f"/pupils/{pupil}/chronology").get_data(as_text=True)
    assert "200 entries, oldest first" in chronology
    assert chronology.count('class="chronology-entry"') == 50  # the latest page
    review = client.get("/review?status=all").get_data(as_text=True)
    assert review.count('class="entry-row"') == 25
    assert_flat(
        large[("dsl", "chronology")],
        queries_for(client, count_queries, f"/pupils/{pupil}/chronology?page=1"),
        "chronology page 1 as dsl",
    )
    # A later page of a long queue costs what the first does.
    assert_flat(
        large[("dsl", "review, all")],
        queries_for(client, count_queries, "/review?status=all&page=5"),
        "review page 5 as dsl",
    )


@pytest.mark.parametrize("who", ["dsl", "teacher1", "governor"])
def test_entry_page_does_not_grow_with_follow_ups(app, client, auth, world, count_queries, who):
    [entry_id] = add_entries(app, world, 1, recorders=("teacher1",))
    add_follow_ups(app, world, entry_id, 1)
    auth.as_(world[who])
    path = f"/entries/{entry_id}"
    small = queries_for(client, count_queries, path)
    add_follow_ups(app, world, entry_id, 29)
    large = queries_for(client, count_queries, path)
    assert_flat(small, large, f"entry page as {who}")
    assert client.get(path).get_data(as_text=True).count('class="timeline-item') == 3 + 1 + 29


# --- rows: what a page fetches does not grow with the data either --------------------


def rows_for(client, count_rows, path: str) -> list[list]:
    assert client.get(path).status_code == 200, path
    with count_rows() as fetched:
        response = client.get(path)
    assert response.status_code == 200, (path, response.data[:2000])
    return fetched


def assert_rows_flat(small: list[list], large: list[list], label: str, slack: float = 0) -> None:
    counts = [sum(n for _, n in fetched) for fetched in (small, large)]
    print(f"\n{label}: {counts[0]} rows (small), {counts[1]} rows (large)")
    assert counts[1] <= counts[0] * (1 + slack), (
        f"{label}: {counts[0]} rows with little data, {counts[1]} with more:\n"
        + "\n---\n".join(f"{n} rows: {statement}" for statement, n in large if n)
    )


def assert_all_flat(measured: dict[str, tuple[list, list]], slack: float = 0) -> None:
    """assert_rows_flat for each (small, large) pair, reporting every page that grew."""
    grew = []
    for label, (small, large) in measured.items():
        try:
            assert_rows_flat(small, large, label, slack)
        except AssertionError as exc:
            grew.append(str(exc))
    assert not grew, "\n\n".join(grew)


def test_entry_page_rows_do_not_grow_with_the_pupils_history(app, client, auth, world, count_rows):
    """An entry of a pupil with 500 other entries fetches what one with 10 does, for each
    kind of reader (one history built for all four: it takes seconds)."""
    ids = add_entries(app, world, 11, recorders=("teacher1",))
    path = f"/entries/{ids[0]}"  # about pupil 0 and another, with follow-ups
    readers = ("dsl", "slt", "teacher1", "governor")

    def measure(who):
        auth.as_(world[who])
        return rows_for(client, count_rows, path)

    small = {who: measure(who) for who in readers}
    add_entries(app, world, 490, recorders=("teacher1",))
    assert_all_flat({f"entry page as {who}": (small[who], measure(who)) for who in readers})


# Pages that show one page of a list: flat once the data fills a page. A chronology opens
# at its latest page, which holds what is left over after full pages, so its first page
# is measured; the exports are the whole record by design, and are left out.
ROW_PAGES = [
    (
        who,
        label,
        path if "chronology" not in path or "page=" in path else path + ("&" if "?" in path else "?") + "page=1",
    )
    for who, label, path in LIST_PAGES
    if "CSV" not in label and "PDF" not in label
]


def test_list_pages_rows_do_not_grow(app, client, auth, world, count_rows):
    pupil = world.pupils[0].id

    def measure():
        counts = {}
        for who, label, path in ROW_PAGES:
            auth.as_(world[who])
            counts[(who, label)] = rows_for(
                client, count_rows, path.format(pupil=pupil, safeguarding=world.categories["Safeguarding"].id)
            )
        auth.as_(world["dsl"])
        counts[("dsl", "review, all, page 5")] = rows_for(client, count_rows, "/review?status=all&page=5")
        auth.as_(world["teacher1"])
        counts[("teacher1", "log form")] = rows_for(client, count_rows, f"/log?pupil={pupil}")
        return counts

    add_entries(app, world, 420)  # more than a page of each list, in every category and state
    small = measure()
    add_entries(app, world, 300)
    large = measure()
    # A page then shows other entries, with one or two pupils and none to three follow-ups
    # each: a few rows either way are the data's shape; a page growing with the data would
    # fetch 1.7 times as many.
    assert_all_flat({f"{label} as {who}": (small[who, label], large[who, label]) for who, label in small}, slack=0.05)


@pytest.mark.parametrize("who", ["dsl", "teacher1", "governor"])
def test_entry_page_rows_grow_only_with_the_follow_ups_it_shows(app, client, auth, world, count_rows, who):
    """The entry page shows every follow-up: each one added costs its own row and no more
    (its author and task are read with it or were read already)."""
    [entry_id] = add_entries(app, world, 1, recorders=("teacher1",))
    add_follow_ups(app, world, entry_id, 1)
    auth.as_(world[who])
    path = f"/entries/{entry_id}"
    small = rows_for(client, count_rows, path)
    add_follow_ups(app, world, entry_id, 29)
    large = rows_for(client, count_rows, path)
    counts = [sum(n for _, n in fetched) for fetched in (small, large)]
    print(f"\nentry page as {who}: {counts[0]} rows with 4 follow-ups, {counts[1]} with 33")
    assert counts[1] - counts[0] <= 29, "\n---\n".join(f"{n} rows: {statement}" for statement, n in large if n)


# The exports are the whole record by design: what they fetch grows with what they export
# and with nothing else (another pupil's history), and by a row or two per record.
EXPORTS = [
    ("chronology CSV", "/pupils/{pupil}/chronology.csv"),
    ("chronology CSV timeline", "/pupils/{pupil}/chronology.csv?view=timeline"),
    ("chronology PDF", "/pupils/{pupil}/chronology.pdf"),
]


def test_export_rows_grow_only_with_the_pupils_own_records(app, client, auth, world, count_rows):
    pupil = world.pupils[2].id
    auth.as_(world["dsl"])

    def measure():
        return {label: rows_for(client, count_rows, path.format(pupil=pupil)) for label, path in EXPORTS}

    add_entries(app, world, 12, about=2)
    small = measure()
    add_entries(app, world, 120)  # other pupils' history: fetched by none of this pupil's exports
    for label, _ in EXPORTS:
        assert_rows_flat(small[label], measure()[label], f"{label}, others' history grew")
    add_entries(app, world, 12, about=2)  # 12 more of the pupil's own, with their 10 follow-ups
    large = measure()
    for label, _ in EXPORTS:
        counts = [sum(n for _, n in fetched) for fetched in (small[label], large[label])]
        print(f"\n{label}: {counts[0]} rows for 12 entries, {counts[1]} for 24")
        assert counts[1] - counts[0] <= 3 * (12 + 10), "\n---\n".join(
            f"{n} rows: {statement}" for statement, n in large[label] if n
        )
