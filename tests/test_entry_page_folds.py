"""The entry page leads with the timeline and the follow-up form; the safeguarding team's
rarer actions (link, add a category, correct the record) are closed folds that work
without JavaScript and open when they have an error to show. The link form lists the
pupils' recent entries only when asked. The log form's category descriptions fold to a line."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cpoms.entries.links import CANDIDATES
from cpoms.timefmt import now_utc

FOLDS = ("link-entry", "add-category", "correct-record")


def fold(html: str, fold_id: str) -> str:
    """The opening tag of the fold."""
    match = re.search(rf'<details[^>]*\bid="{fold_id}"[^>]*>', html)
    assert match, f"no fold {fold_id}"
    return match.group(0)


def is_open(html: str, fold_id: str) -> bool:
    return re.search(r"\sopen(\s|>|=)", fold(html, fold_id)) is not None


def test_rarer_actions_are_closed_folds_after_the_follow_up_form(client, auth, world, make_entry):
    entry_id = make_entry()
    other = make_entry(narrative="Another.")
    auth.as_(world["dsl"])
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    for fold_id in FOLDS:
        assert not is_open(html, fold_id), fold_id
    summaries = re.findall(r"<summary>([^<]+)</summary>", html)
    assert {"Link a related entry", "Add a category", "Correct the record"} <= set(summaries)
    timeline, follow_up = html.index('id="activity-heading"'), html.index("Record what was done")
    assert timeline < follow_up < min(html.index(fold(html, f)) for f in FOLDS)
    # None of their forms is rendered with the page: htmx fetches one as its fold opens,
    # and without JavaScript a plain link asks for the page with it open.
    assert f'<option value="{other}">Entry' not in html
    for name, fold_id, url, field in FOLD_FORMS:
        assert f'id="{field}"' not in html, name
        assert f'hx-get="/entries/{entry_id}/{url}" hx-trigger="toggle once"' in fold(html, fold_id)
        assert f'href="/entries/{entry_id}?form={name}#{fold_id}"' in html
    # In the link form, the list is read only when asked for: a plain link asks for it.
    link_form = client.get(f"/entries/{entry_id}/links/new", headers=HX).get_data(as_text=True)
    assert f'<option value="{other}">Entry' not in link_form
    assert f'href="/entries/{entry_id}?link=choose#link-entry"' in link_form


# (the name in ?form=, the fold's id, the address htmx fetches its form from, a field of it)
FOLD_FORMS = [
    ("link", "link-entry", "links/new", "link_number"),
    ("category", "add-category", "categories/new", "later_category"),
    ("correction", "correct-record", "amendments/new", "amend_target"),
]
HX = {"HX-Request": "true"}


@pytest.mark.parametrize("name, fold_id, url, field", FOLD_FORMS)
def test_a_fold_fetches_its_form_or_opens_it_without_javascript(
    app, client, auth, world, make_entry, name, fold_id, url, field
):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    # htmx: the form alone, posting back to the activity section as before.
    piece = client.get(f"/entries/{entry_id}/{url}", headers=HX)
    assert piece.status_code == 200 and "HX-Request" in piece.headers["Vary"]
    html = piece.get_data(as_text=True)
    assert f'id="{field}"' in html and 'name="submission_key"' in html and "<html" not in html
    assert 'hx-target="#activity"' in html
    # Without htmx: the entry page, that fold open with its form and the others closed.
    response = client.get(f"/entries/{entry_id}/{url}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/entries/{entry_id}?form={name}#{fold_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert is_open(html, fold_id) and f'id="{field}"' in html
    for _, other, _, other_field in FOLD_FORMS:
        if other != fold_id:
            assert not is_open(html, other) and f'id="{other_field}"' not in html


@pytest.mark.parametrize("name, fold_id, url, field", FOLD_FORMS)
def test_a_fold_is_not_offered_to_who_cannot_use_it(app, client, auth, world, make_entry, name, fold_id, url, field):
    entry_id = make_entry()
    auth.as_(world["slt"])  # reads the entry, may not link, categorise or correct it
    html = client.get(f"/entries/{entry_id}?form={name}").get_data(as_text=True)
    assert f'id="{fold_id}"' not in html and f'id="{field}"' not in html
    assert client.get(f"/entries/{entry_id}/{url}", headers=HX).status_code == 403


def test_choosing_lists_the_pupils_most_recent_entries_and_links_one(app, client, auth, world, make_entry):
    entry_id = make_entry()
    base = now_utc() - timedelta(days=40)
    others = [make_entry(narrative=f"Other {n}.", occurred_at=base + timedelta(days=n)) for n in range(CANDIDATES + 5)]
    auth.as_(world["dsl"])
    html = client.get(f"/entries/{entry_id}?link=choose").get_data(as_text=True)
    assert is_open(html, "link-entry") and not is_open(html, "add-category")
    offered = [int(i) for i in re.findall(r'<option value="(\d+)">Entry \1:', html)]
    assert offered == others[::-1][:CANDIDATES]  # the most recent first; older ones by number
    response = client.post(f"/entries/{entry_id}/links", data={"other": str(others[-1]), "reason": "Same week."})
    assert response.status_code == 303
    response = client.post(f"/entries/{entry_id}/links", data={"number": str(others[0]), "reason": "Earlier."})
    assert response.status_code == 303
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert f'href="/entries/{others[-1]}">Entry {others[-1]}</a>' in html
    assert f'href="/entries/{others[0]}">Entry {others[0]}</a>' in html


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    "path, data, fold_id, message",
    [
        ("links", {"reason": "Related."}, "link-entry", "Choose the entry to link, or type its number."),
        ("categories", {"reason": "Now clearer."}, "add-category", None),
        ("amendments", {"target": "narrative", "reason": "Typo."}, "correct-record", None),
    ],
)
def test_an_error_opens_its_fold_and_no_other(client, auth, world, make_entry, htmx, path, data, fold_id, message):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/entries/{entry_id}/{path}", data=data, headers=headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and (message is None or message in html)
    for other in FOLDS:
        assert is_open(html, other) == (other == fold_id), other


def test_log_form_category_descriptions_fold_to_a_line(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/log").get_data(as_text=True)
    cards = re.findall(r'<div class="radio [^"]*radio-described">(.*?)</div>', html, re.S)
    assert len(cards) == len(world.categories)
    for card in cards:  # the description in the label; "More", outside it, closed
        label = re.search(r"<label[^>]*>(.*?)</label>", card, re.S).group(1)
        assert 'class="radio-hint"' in label and "<details" not in label
        assert re.search(
            r'</label>\s*<details class="radio-more"><summary>More<span class="visually-hidden"> about ', card
        )
    assert not re.search(r'<details class="radio-more"[^>]*\sopen', html)
