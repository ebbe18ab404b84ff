"""The recording guidance: safe Markdown, versions and their history, the trust's
page as the default for its schools, who may edit, and the category descriptions."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from sqlalchemy import select

from cpoms.audit import AuditEvent
from cpoms.demo import load_demo
from cpoms.extensions import db
from cpoms.guidance.models import GuidanceVersion
from cpoms.markdown_text import render_markdown
from cpoms.models import Category, Role, Trust, User

HOSTILE = """# Our guidance

<script>alert("source")</script>

<img src=x onerror="alert('img')">

<a href="#" onclick="alert('a')">click</a>

[plain](javascript:alert('link')) [shouting](JAVASCRIPT:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox) [fine](https://www.gov.uk/government/publications/keeping-children-safe-in-education--2)

![tracker](https://example.org/pixel.png)
"""


class Tags(HTMLParser):
    """Every element and attribute in some HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_harmless(html: str) -> None:
    tags = Tags(html).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "img", "iframe", "style", "object", "embed"}, names
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), (tag, attrs)


def guidance_article(html: str) -> str:
    start = html.index('<article class="guidance')
    return html[start : html.index("</article>", start)]


# --- the Markdown ------------------------------------------------------------------


def test_markdown_renders_no_script_event_handler_or_dangerous_link():
    html = render_markdown(HOSTILE)
    assert_harmless(html)
    # The raw HTML is shown as text, so a reader sees what was written.
    assert "&lt;script&gt;" in html
    # Ordinary links still work; links markdown-it refuses stay as plain text.
    assert 'href="https://www.gov.uk/government/publications/' in html
    assert "[plain](javascript:alert('link'))" in html.replace("&#x27;", "'")


def test_markdown_headings_sit_below_the_page_title_and_tables_work():
    html = render_markdown("# Title\n\n## Part\n\n| who | when |\n|---|---|\n| DSL | now |\n")
    assert "<h2>Title</h2>" in html and "<h3>Part</h3>" in html
    assert "<table>" in html and "<td>DSL</td>" in html
    assert "<h1" not in html


# --- the page, its versions and history -------------------------------------------


def save(client, body: str, note: str = "", **scope):
    query = "&".join(f"{k}={v}" for k, v in scope.items())
    return client.post(f"/guidance/edit?{query}", data={"body": body, "note": note})


def test_hostile_guidance_is_saved_but_rendered_harmless(client, auth, world):
    auth.as_(world["admin"])
    assert save(client, HOSTILE, school=world.school.id).status_code == 303
    auth.as_(world["teacher1"])
    page = client.get("/guidance").get_data(as_text=True)
    article = guidance_article(page)
    assert "Our guidance" in article
    assert_harmless(article)
    # The page as a whole carries no script but the app's own.
    scripts = [attrs.get("src", "") for tag, attrs in Tags(page).tags if tag == "script"]
    assert all(src.startswith(("/static/", "https://unpkg.com/")) for src in scripts), scripts


def test_each_save_is_a_new_version_and_the_history_keeps_every_one(app, client, auth, world):
    auth.as_(world["admin"])
    assert save(client, "Write **full names**.", "First go", school=world.school.id).status_code == 303
    response = save(client, "Write full names, never initials.", "Clearer", school=world.school.id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/guidance?school={world.school.id}"

    auth.as_(world["teacher2"])
    page = client.get("/guidance").get_data(as_text=True)
    assert "never initials" in page and "full names</strong>" not in page
    assert "by Admin" in page

    history = client.get("/guidance/history").get_data(as_text=True)
    assert history.index("Clearer") < history.index("First go")  # newest first
    assert history.count("by Admin") == 2 and "Current" in history
    with app.app_context():
        first, second = db.session.scalars(select(GuidanceVersion).order_by(GuidanceVersion.id)).all()
        assert (first.school_id, first.trust_id, first.created_by_id) == (world.school.id, None, world["admin"].id)
        saved = [
            json.loads(e.detail)["version_id"]
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "save_guidance").order_by(AuditEvent.id)
            )
        ]
        assert saved == [first.id, second.id]
    old = client.get(f"/guidance/versions/{first.id}").get_data(as_text=True)
    assert "<strong>full names</strong>" in old and "an earlier version" in old
    current = client.get(f"/guidance/versions/{second.id}").get_data(as_text=True)
    assert "This is the current version." in current


def test_saving_the_same_text_again_is_refused_and_preview_saves_nothing(app, client, auth, world):
    auth.as_(world["admin"])
    save(client, "Speak to a DSL.", school=world.school.id)
    response = save(client, "Speak to a DSL.", school=world.school.id)
    assert response.status_code == 422
    assert "same as the current version" in response.get_data(as_text=True)
    preview = client.post(
        f"/guidance/edit?school={world.school.id}", data={"body": "# New\n\nDraft <b>text</b>", "preview": "1"}
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<h2>New</h2>" in html and "&lt;b&gt;text&lt;/b&gt;" in html
    assert "Draft &lt;b&gt;text&lt;/b&gt;</textarea>" in html  # the draft is kept in the box
    with app.app_context():
        assert len(db.session.scalars(select(GuidanceVersion)).all()) == 1


def test_a_school_reads_the_trust_page_until_it_writes_its_own(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    assert save(client, "The trust's words.", trust=world.trust.id).status_code == 303
    auth.as_(world["admin"])
    edit = client.get(f"/guidance/edit?school={world.school.id}").get_data(as_text=True)
    assert "no guidance of its own" in edit and "The trust&#39;s words.</textarea>" in edit
    assert save(client, "Ashgrove's own words.", school=world.school.id).status_code == 303

    auth.as_(world["teacher1"])
    assert "Ashgrove's own words." in client.get("/guidance").get_data(as_text=True)
    auth.as_(world["other_teacher"])
    page = client.get("/guidance").get_data(as_text=True)
    assert "The trust's words." in page and "for all its schools" in page


def test_who_may_edit_which_page(app, client, auth, world, trust_admin):
    school, other, trust = world.school.id, world.other_school.id, world.trust.id
    auth.as_(world["admin"])  # a school's admin: that school only
    assert client.get(f"/guidance/edit?school={school}").status_code == 200
    assert client.get(f"/guidance/edit?school={other}").status_code == 404
    assert client.get(f"/guidance/edit?trust={trust}").status_code == 404
    assert save(client, "Not mine to write.", school=other).status_code == 404
    auth.as_(trust_admin)  # a trust-level admin: the trust's page and each of its schools
    for scope in (f"trust={trust}", f"school={school}", f"school={other}"):
        assert client.get(f"/guidance/edit?{scope}").status_code == 200
    assert client.get("/guidance/edit?trust=999999").status_code == 404
    assert client.get("/guidance/edit?school=abc").status_code == 404
    auth.as_(world["dsl"])  # reading is not editing
    assert client.get(f"/guidance/edit?school={school}").status_code == 403
    assert "Edit the guidance" not in client.get("/guidance").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(GuidanceVersion)).all() == []


def test_readers_see_only_their_own_schools_pages(app, client, auth, world):
    auth.as_(world["admin"])
    save(client, "Ashgrove only.", school=world.school.id)
    auth.as_(world["other_teacher"])
    assert client.get(f"/guidance?school={world.school.id}").status_code == 404
    assert client.get(f"/guidance/history?school={world.school.id}").status_code == 404
    assert "Ashgrove only." not in client.get("/guidance").get_data(as_text=True)
    # The trust representative reads every school of the trust, and may switch between them.
    auth.as_(world["trust_rep"])
    page = client.get(f"/guidance?school={world.school.id}").get_data(as_text=True)
    assert "Ashgrove only." in page and "Brookfield Primary School" in page
    assert client.get(f"/guidance/history?trust={world.trust.id}").status_code == 200


def test_demo_ships_guidance_written_for_the_app(app, client, auth):
    with app.app_context():
        load_demo("demo-password-for-tests")
        db.session.commit()
        teacher = db.session.scalar(select(User).where(User.email == "teacher1@ashgrove.example.org"))
        admin = db.session.scalar(select(User).where(User.email == "admin@westlondon.example.org"))
        trust = db.session.scalar(select(Trust))
        assert [(a.role, a.school_id, a.trust_id) for a in admin.roles] == [(Role.ADMIN, None, trust.id)]
        db.session.expunge_all()
    auth.as_(teacher)
    html = client.get("/guidance").get_data(as_text=True)
    for words in (
        "how the concern <strong>first appears to you</strong>",
        "a guide, not a judgement",
        "What matters is what you write",
        "goes to the whole safeguarding team",
        "Senior leaders can see every entry",
        "Never initials",
    ):
        assert words in html, words
    with app.app_context():  # loading again adds no second version
        load_demo("demo-password-for-tests")
        db.session.commit()
        assert len(db.session.scalars(select(GuidanceVersion)).all()) == 1
    auth.as_(admin)
    assert client.get(f"/guidance/edit?trust={trust.id}").status_code == 200


# --- category descriptions ------------------------------------------------------------


def descriptions(world, **changes) -> dict[str, str]:
    with db.session.no_autoflush:
        current = {f"description_{c.id}": c.description for c in db.session.scalars(select(Category))}
    for name, text in changes.items():
        current[f"description_{world.categories[name].id}"] = text
    return current


def test_admin_edits_category_descriptions_the_old_text_is_audited(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)  # categories are the trust's: a school's admin may not change them
    page = client.get("/guidance/categories").get_data(as_text=True)
    assert "The safeguarding team is alerted at once." in page
    with app.app_context():
        data = descriptions(world, SEN="How a child learns and copes, noticed over time.")
        old = db.session.get(Category, world.categories["SEN"].id).description
    response = client.post("/guidance/categories", data=data)
    assert response.status_code == 303
    assert "1 description changed." in client.get("/guidance/categories").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Category, world.categories["SEN"].id).description.startswith("How a child learns")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit_category_description")).all()
        assert len(events) == 1
        detail = json.loads(events[0].detail)
        assert (detail["old"], detail["new"], detail["category"]) == (
            old,
            "How a child learns and copes, noticed over time.",
            "SEN",
        )
        assert events[0].user_id == trust_admin.id

    auth.as_(world["teacher1"])
    form = client.get("/log").get_data(as_text=True)
    assert "How a child learns and copes, noticed over time." in form


def test_an_empty_or_long_description_is_refused_and_nothing_changes(app, client, auth, world, trust_admin):
    auth.as_(trust_admin)
    with app.app_context():
        data = descriptions(world, Behaviour="", Complaint="x" * 401)
    response = client.post("/guidance/categories", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write a short description of Behaviour." in html
    assert "Keep the description of Complaint under 400 characters." in html
    with app.app_context():
        assert db.session.get(Category, world.categories["Behaviour"].id).description
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit_category_description")).all() == []
        )


def test_log_form_shows_each_description_the_later_category_line_and_the_guidance_link(client, auth, world):
    auth.as_(world["teacher1"])
    html = client.get("/log").get_data(as_text=True)
    with_descriptions = html.count('class="radio-hint"')
    assert with_descriptions == len(world.categories)
    assert "the safeguarding team adds a category later" in html
    assert 'href="/guidance"' in html
