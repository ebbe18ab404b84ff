"""The governors' and trust's review: leads with what happened and what the school
did, read-only, pupils by initials, filtered or sampled, every view audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.extensions import db
from cpoms.oversight.queries import PER_PAGE
from cpoms.reports.periods import TERMS, current_academic_year, term
from cpoms.timefmt import now_utc


def shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/entries/(\d+)"', html.split('id="entries"', 1)[1])]


def page(client, **query) -> str:
    response = client.get("/oversight", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


@pytest.fixture
def recorded(world, auth, make_entry):
    bruise = make_entry(
        narrative="A bruise on the forearm, seen at PE.",
        child_words="Dad grabbed me.",
        source="pupil_disclosure",
        pupils=[world.pupils[0], world.pupils[1]],
    )
    auth.as_(world["dsl"]).post(
        f"/entries/{bruise}/follow-ups", data={"kind": "action", "text": "Spoke to the social worker on duty."}
    )
    behaviour = make_entry(category="Behaviour", narrative="Pushed another child in the lunch queue.")
    other = make_entry(recorder="other_teacher", pupils=world.other_pupils, narrative="Brookfield's entry.")
    return {"bruise": bruise, "behaviour": behaviour, "other": other}


def test_leads_with_what_happened_and_what_the_school_did(world, auth, recorded):
    html = page(auth.as_(world["governor"]))
    body = html.split('id="entries"', 1)[1]
    assert shown(html) == [recorded["behaviour"], recorded["bruise"]]  # newest first; not Brookfield's
    bruise = body[body.index(f'id="entry-{recorded["bruise"]}-title"') :]
    assert bruise.index("What happened") < bruise.index("A bruise on the forearm") < bruise.index("What the school did")
    assert "Dad grabbed me." in bruise and "Spoke to the social worker on duty." in bruise
    assert "Reached the school by: Pupil disclosure" in bruise


def test_no_full_pupil_name_in_any_governor_or_trust_response(world, auth, recorded):
    for who in ("governor", "trust_rep"):
        client = auth.as_(world[who])
        pages = [page(client), page(client, sample="10"), page(client, category=world.categories["Safeguarding"].id)]
        for pupil in world.pupils + world.other_pupils:
            for html in pages:
                assert pupil.first_name not in html and pupil.last_name not in html and pupil.upn not in html
        assert "A.H., O.N." in pages[0]  # the shared entry names both pupils by initials


def test_trust_rep_sees_every_school_and_can_choose_one(world, auth, recorded):
    client = auth.as_(world["trust_rep"])
    assert set(shown(page(client))) == set(recorded.values())
    assert shown(page(client, school="brookfield")) == [recorded["other"]]


def test_filter_by_category_and_term(world, auth, recorded):
    client = auth.as_(world["governor"])
    assert shown(page(client, category=world.categories["Behaviour"].id)) == [recorded["behaviour"]]
    year = current_academic_year()
    empty = next(key for key in TERMS if not term(year, key).start <= now_utc() < term(year, key).end)
    assert shown(page(client, term=empty)) == []  # a term of this year other than today's: nothing logged


def test_a_sample_is_repeatable_and_another_can_be_drawn(world, auth, make_entry):
    ids = {make_entry(narrative=f"Entry {n} for the sample.") for n in range(30)}
    client = auth.as_(world["governor"])
    first = page(client, sample="10", seed="12345")
    assert len(shown(first)) == 10 and set(shown(first)) <= ids
    assert shown(page(client, sample="10", seed="12345")) == shown(first)
    others = {tuple(shown(page(client, sample="10", seed=str(seed)))) for seed in (7, 99, 123456)}
    assert len(others | {tuple(shown(first))}) > 1
    another = re.search(r'href="([^"]*seed=\d+[^"]*)">Another sample', first).group(1).replace("&amp;", "&")
    assert "sample=10" in another


def test_pages_of_ten(world, auth, make_entry):
    ids = [make_entry(narrative=f"Entry {n}.") for n in range(PER_PAGE + 2)]
    client = auth.as_(world["governor"])
    first, second = page(client), page(client, page=2)
    assert shown(first) == ids[::-1][:PER_PAGE] and shown(second) == ids[::-1][PER_PAGE:]
    assert "Older entries" in first and "Newer entries" in second


def test_every_view_is_audited_with_what_was_shown(app, world, auth, recorded):
    page(auth.as_(world["governor"]))
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == audit.VIEW_OVERSIGHT))
        assert event.user_id == world["governor"].id
        assert f'"entries": [{recorded["behaviour"]}, {recorded["bruise"]}]' in event.detail


@pytest.mark.parametrize("query", [{"sample": "1000"}, {"year": "1999"}, {"term": "winter"}, {"school": "nowhere"}])
def test_bad_filters_are_refused_clearly(world, auth, query):
    response = auth.as_(world["governor"]).get("/oversight", query_string=query)
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_runs_a_fixed_number_of_queries(world, auth, recorded, make_entry, count_queries):
    client = auth.as_(world["trust_rep"])
    with count_queries() as few:
        page(client)
    for n in range(12):
        make_entry(narrative=f"More {n}.")
    with count_queries() as many:
        page(client)
    assert len(few) == len(many)
