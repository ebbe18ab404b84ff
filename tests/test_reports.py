"""Reports: counts by month, term and category, waiting times, per school; SVG
charts with tables beside them; CSV downloads; never a pupil's name."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.models import Entry, EntryPupil, EntryState, Pupil
from cpoms.reports import counters
from cpoms.reports.periods import academic_year, current_academic_year, term
from cpoms.timefmt import from_uk_local

UTC = timezone.utc


def uk(*args) -> datetime:
    return from_uk_local(datetime(*args))


@pytest.fixture
def logged(app, world):
    """Entries logged at known times (2025/26), some reviewed and acted on."""

    def add(
        when, category="Safeguarding", pupil=None, school=None, reviewed_after=None, acted_after=None, status="open"
    ):
        with app.app_context():
            pupil = db.session.get(Pupil, (pupil or world.pupils[0]).id)
            entry = Entry(
                school_id=pupil.school_id,
                category_id=world.categories[category].id,
                recorded_by_id=world["teacher1"].id,
                source="staff_observation",
                occurred_at=when,
                created_at=when,
                narrative="Synthetic.",
            )
            entry.entry_pupils.append(EntryPupil(pupil=pupil))
            entry.state = EntryState(
                school_id=pupil.school_id,
                status=status,
                reviewed_at=when + reviewed_after if reviewed_after else None,
                first_action_at=when + acted_after if acted_after else None,
            )
            db.session.add(entry)
            db.session.flush()
            counters.entry_logged(entry)  # as every operation that logs an entry does
            db.session.commit()

    hour = timedelta(hours=1)
    add(uk(2025, 9, 10, 9), reviewed_after=2 * hour, acted_after=5 * hour)
    add(uk(2025, 9, 30, 23, 30), reviewed_after=4 * hour)  # 22:30 UTC: still September in the UK
    add(uk(2025, 10, 1, 0, 30), category="Behaviour", status="closed")  # 23:30 UTC on 30 Sep: October in the UK
    add(uk(2026, 1, 20, 10), reviewed_after=10 * hour, acted_after=20 * hour, status="closed")
    add(uk(2026, 5, 5, 14), category="Behaviour")
    add(uk(2026, 5, 6, 14), pupil=world.other_pupils[0])
    add(uk(2024, 12, 1, 9))  # the year before
    return add


def report(client, **query):
    response = client.get("/reports", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return response.get_data(as_text=True)


def table(html: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, as text cells."""
    start = html.index(f">{caption}</caption>")
    body = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)]
        for r in rows
    ]


def test_counts_by_month_in_uk_time(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025")
    months = {row[0]: row for row in table(html, "Entries by month and category")[1:]}
    headers = table(html, "Entries by month and category")[0]
    total = headers.index("Total")
    assert months["Sep 2025"][total] == "2"
    assert months["Oct 2025"][total] == "1"
    assert months["Oct 2025"][headers.index("Behaviour")] == "1"
    assert months["Jan 2026"][total] == "1"
    assert months["May 2026"][total] == "1"  # the other school's entry is not Ashgrove's
    assert "5 entries logged" in html
    assert len(months) == 12


def test_counts_by_term(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025")
    terms = {row[0]: row[-1] for row in table(html, "Entries by term and category")[1:]}
    assert terms == {"Autumn 2025": "3", "Spring 2026": "1", "Summer 2026": "1"}


def test_one_term_and_one_category(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025", term="autumn", category=world.categories["Safeguarding"].id)
    assert "Autumn 2025: 2 entries logged" in html
    months = [row[0] for row in table(html, "Entries by month and category")[1:]]
    assert months == ["Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]


def test_median_waits(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025")
    rows = {row[0]: row for row in table(html, "Median hours from logging to first review and to first action")[1:]}
    # Safeguarding at Ashgrove: reviewed after 2, 4 and 10 hours; acted on after 5 and 20.
    assert rows["Safeguarding"][1:] == ["3", "3", "4.0", "12.5"]
    assert rows["Behaviour"][1:] == ["2", "0", "–", "–"]


def test_trust_rep_sees_every_school_and_can_pick_one(app, world, auth, logged):
    client = auth.as_(world["trust_rep"])
    schools = {row[0]: row[1:] for row in table(report(client, year="2025"), "Open and closed entries by school")[1:]}
    assert schools == {
        "Ashgrove Primary School": ["5", "3", "2", "4.0"],
        "Brookfield Primary School": ["1", "1", "0", "–"],
    }
    only = report(client, year="2025", school="brookfield")
    assert "1 entry logged" in only and "Ashgrove Primary School" not in only.split('id="report"')[1]


def test_no_pupil_name_or_initials_in_any_report(app, world, auth, logged):
    for who in ("governor", "trust_rep", "slt"):
        client = auth.as_(world[who])
        pages = [report(client, year="2025")]
        pages += [
            client.get(f"/reports/{key}.csv?year=2025").get_data(as_text=True)
            for key in ("months", "terms", "timings", "schools")
        ]
        for pupil in world.pupils + world.other_pupils:
            for text in pages:
                assert pupil.first_name not in text and pupil.last_name not in text and pupil.upn not in text


def test_csv_download_matches_the_table(app, world, auth, logged):
    client = auth.as_(world["slt"])
    response = client.get("/reports/terms.csv?year=2025")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="terms-2025-26.csv"' == response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == table(report(client, year="2025"), "Entries by term and category")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == audit.EXPORT_REPORT))
        assert event.user_id == world["slt"].id and '"table": "terms"' in event.detail


def test_charts_are_svg_with_a_text_alternative(app, world, auth, logged):
    html = report(auth.as_(world["governor"]), year="2025")
    assert html.count("<svg viewBox") == 4  # by month, by category, time to review, overdue tasks
    assert '<title id="chart-months-title">Entries logged each month, 2025/26</title>' in html
    assert "Sep 2025: 2 entries; Oct 2025: 1 entries" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def year_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="year"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option[^>]*value="(\d+)"', select)


def test_the_years_offered_run_from_the_first_with_entries_to_this_one(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025")
    now = current_academic_year()
    assert year_options(html) == [str(y) for y in range(now, 2023, -1)]  # the first entry: December 2024
    assert auth.as_(world["slt"]).get("/reports", query_string={"year": "2023"}).status_code == 422


def test_with_no_entries_only_this_year_is_offered(app, world, auth):
    assert year_options(report(auth.as_(world["slt"]))) == [str(current_academic_year())]


def test_wide_tables_scroll_in_a_labelled_focusable_region_with_a_cue(app, world, auth, logged):
    html = report(auth.as_(world["slt"]), year="2025")
    region = re.search(
        r'<div class="table-scroll table-wide"[^>]*>\s*<table[^>]*>\s*<caption[^>]*>Entries by month', html
    )
    assert region, "the month table is in a scrolling region"
    opening = region.group(0)
    assert 'tabindex="0"' in opening and 'role="region"' in opening
    assert 'aria-label="Entries by month and category, scrolls sideways"' in opening
    assert html.count("Scroll the table sideways to see every column") == 3  # months, terms, key information
    narrow = re.search(r'<div class="table-scroll "[^>]*aria-label="Open and closed entries by school"', html)
    assert narrow, "a table that fits has no cue"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"year": "1999"}, "Not a valid choice"),
        ({"year": "twenty"}, "Not a valid choice"),
        ({"term": "winter"}, "Not a valid choice"),
        ({"category": "99999"}, "Not a valid choice"),
        ({"school": "brookfield"}, "Not a valid choice"),  # not the SLT's school
    ],
)
def test_bad_filters_get_a_clear_message(app, world, auth, query, message):
    response = auth.as_(world["slt"]).get("/reports", query_string=query)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert auth.as_(world["slt"]).get("/reports/months.csv", query_string=query).status_code == 422


def test_unknown_table_is_404(app, world, auth):
    assert auth.as_(world["slt"]).get("/reports/pupils.csv").status_code == 404


def test_the_current_year_is_the_default(app, world, auth):
    html = report(auth.as_(world["slt"]))
    assert f"{academic_year(current_academic_year()).label}: 0 entries logged" in html


def test_periods_follow_uk_midnight():
    autumn = term(2025, "autumn")
    assert autumn.start == datetime(2025, 8, 31, 23, 0, tzinfo=UTC)  # BST
    assert autumn.end == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # GMT
    assert term(2025, "summer").end == academic_year(2025).end


def test_report_runs_a_fixed_number_of_queries(app, world, auth, logged, count_queries):
    client = auth.as_(world["trust_rep"])
    with count_queries() as few:
        report(client, year="2025")
    for day in range(40):
        logged(uk(2025, 11, 1, 9) + timedelta(days=day), pupil=world.pupils[day % 3])
    with count_queries() as many:
        report(client, year="2025")
    assert len(few) == len(many)


def test_csv_cells_never_start_a_formula(app, world, auth, logged):
    with app.app_context():
        from cpoms.models import Category

        category = db.session.get(Category, world.categories["Behaviour"].id)
        category.name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    text = auth.as_(world["slt"]).get("/reports/timings.csv?year=2025").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert ['\'=HYPERLINK("http://evil.example","x")', "2", "0", "", ""] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)


@pytest.mark.parametrize("key", ["months", "terms"])
def test_csv_headers_never_start_a_formula(app, world, auth, logged, key):
    """A category name heads a column of the counts tables: the header row is
    neutralised like every other row."""
    with app.app_context():
        from cpoms.models import Category

        category = db.session.get(Category, world.categories["Behaviour"].id)
        category.name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    text = auth.as_(world["slt"]).get(f"/reports/{key}.csv?year=2025").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert '\'=HYPERLINK("http://evil.example","x")' in header
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in header)
