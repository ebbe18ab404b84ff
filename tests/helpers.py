"""Helpers the test modules share: building records and requests, reading pages and mail."""

from __future__ import annotations

from collections import defaultdict
import threading

import email
import email.header
import email.policy
import io
import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sample_files import png
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cpoms.adults import operations
from cpoms.attachments.models import Attachment
from cpoms.common import uk_today
from cpoms.entries.models import EntryCategory
from cpoms.entries.operations import add_follow_up, close, mark_reviewed
from cpoms.extensions import db
from cpoms.log.operations import create_entry
from cpoms.models import (
    Category,
    Entry,
    EntryPupil,
    EntryState,
    Kind,
    Pupil,
    User,
)
from cpoms.monitoring import operations
from cpoms.tasks.operations import give_task
from cpoms.timefmt import UK, now_utc, to_uk

# A base URL with a path prefix, as behind a reverse proxy: the link must keep both.
ROOT = Path(__file__).resolve().parent.parent


def uk_input(dt: datetime) -> str:
    return dt.astimezone(UK).strftime("%Y-%m-%dT%H:%M")


BASE_URL = "https://concerns.example.org/ashgrove-log"


def uk_now_input(minutes_ago: int = 10) -> str:
    """What a teacher's datetime-local input holds: UK wall-clock time."""
    return to_uk(now_utc() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")


def entry_id_from(response) -> int:
    assert response.status_code == 303, response.data[:2000]
    location = response.headers["Location"]
    assert location.startswith("/entries/"), location
    return int(location.rsplit("/", 1)[1])


def message_texts(envelope) -> tuple[str, str, str]:
    """(subject, text part, html part) of a received message, decoded."""
    message = email.message_from_bytes(envelope.original_content)
    text = html = ""
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        if part.get_content_type() == "text/plain":
            text += payload
        elif part.get_content_type() == "text/html":
            html += payload
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    return subject, text, html


def run_cli(app, *args):
    """Run a flask command as `flask --app app ...` does: FlaskGroup pushes an app
    context before an app command runs. (The bare test runner does not, and the
    commands currently need it: see test_cli.py::test_commands_push_their_own_app_context.)"""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def entry_ids_in(text: str):
    marker = f"{BASE_URL}/entries/"
    at = text.find(marker)
    while at != -1:
        digits = ""
        for ch in text[at + len(marker) :]:
            if not ch.isdigit():
                break
            digits += ch
        yield digits
        at = text.find(marker, at + 1)


def form_data(world, **overrides):
    data = {
        "pupil_ids": [str(world.pupils[0].id)],
        "category": str(world.categories["Behaviour"].id),
        "source": "staff_observation",
        "occurred_at": uk_input(datetime.now(timezone.utc) - timedelta(hours=1)),
        "narrative": (
            "Pushed another pupil in the lunch queue at 12:10 after an argument about a ball. "
            "I saw it from the hall door."
        ),
        "child_words": "He took my ball.",
    }
    data.update(overrides)
    return data


def post_file(client, path: str, data: bytes, filename: str = "staff.csv", **fields):
    form = {"school": "ashgrove", "file": FileStorage(io.BytesIO(data), filename, content_type="text/csv"), **fields}
    # Encoded here, in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart(form)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload_pupils(client, data: bytes, school="ashgrove", full=True, filename="pupils.csv"):
    """The admins' pupil import, as its form posts it (a full import unless `full` is false)."""
    return post_file(
        client, "/admin/pupils/import", data, filename=filename, school=school, **({"full": "y"} if full else {})
    )


def with_data(app, world, make_entry, sample) -> list[tuple[str, str, str, str]]:
    """More states worth rendering: an entry with every kind of follow-up, a closed one,
    and a record that does not exist."""
    entry_id = make_entry(
        recorder="teacher2",
        pupils=world.pupils[:2],
        category="Behaviour",
        narrative="Oliver and Amelia argued at play.",
        child_words="He took my ball.",
    )
    closed_id = make_entry(narrative="Came in without a coat again.")
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        entry, closed = db.session.get(Entry, entry_id), db.session.get(Entry, closed_id)
        add_follow_up(dsl, entry, Kind.RISK, "Low: no further concern.", risk_level="low")
        add_follow_up(dsl, entry, Kind.DECISION, "No referral.", reason="Both calm; parents told.")
        add_follow_up(
            dsl, entry, Kind.AGENCY, "Spoke to Early Help.", agency_name="Early Help", agency_reference="EH-123"
        )
        close(dsl, closed, "Coat provided by the school.", "Family supported; no further concern.")
        db.session.commit()
    return [
        ("entry with follow-ups as dsl", "dsl", "GET", f"/entries/{entry_id}"),
        ("entry with follow-ups as governor", "governor", "GET", f"/entries/{entry_id}"),
        ("closed entry as dsl", "dsl", "GET", f"/entries/{closed_id}"),
        ("POST entries.reopen a closed entry as dsl", "dsl", "POST", f"/entries/{closed_id}/reopen"),
        ("missing entry as dsl", "dsl", "GET", "/entries/999999"),
        ("forbidden page as teacher1", "teacher1", "GET", "/review"),
        ("log form with search results", "teacher1", "GET", f"/log?q=a&pupil={world.pupils[0].id}"),
        ("chronology timeline as dsl", "dsl", "GET", f"/pupils/{sample['pupil_id']}/chronology?view=timeline"),
    ]


# The most any page may run, whatever the data. The entry page (18), the review queue with
# overdue tasks (19) and the chronology's timeline (21), for the safeguarding team, come
# nearest: the session, the record, its pupils, follow-ups (with tasks), amendments, later
# categories, links, the choices of its forms (categories, staff for a task), its alerts and
# shares, monitoring and transfers, the pupils' key information (one query for the page's
# badges; the queue also counts the term's police notifications), files received from outside
# the trust, who is kept from the pupil's record (one query: the reader's check and the team's
# list of them), and the audit row of the view (three statements: the chain head is advanced,
# then sealed, and the event written).
MAX_QUERIES = 21


def backdated_entry(
    user: User, pupil: Pupil, category: Category, at: datetime, narrative: str = "Synthetic.", status: str = "open"
) -> Entry:
    """An entry's rows as the log form would have written them at `at` (entries cannot be
    updated once saved, so the row is written with that time); flushed, not committed."""
    entry = Entry(
        school_id=pupil.school_id,
        category_id=category.id,
        recorded_by_id=user.id,
        source="staff_observation",
        occurred_at=at,
        created_at=at,
        narrative=narrative,
    )
    entry.entry_pupils.append(EntryPupil(pupil=pupil))
    entry.state = EntryState(school_id=pupil.school_id, status=status)
    db.session.add(entry)
    db.session.flush()
    return entry


def at_once(app, first, second) -> None:
    """`first` writes and holds its transaction open while `second` writes (and, where
    the database makes it, waits); then both commit. Each runs in its own thread and
    connection, as two requests would."""
    first_flushed, may_commit = threading.Event(), threading.Event()
    problems = []

    def run(work, hold: bool):
        try:
            with app.test_request_context():
                work()
                if hold:
                    first_flushed.set()
                    may_commit.wait(10)
                db.session.commit()
        except Exception as problem:  # reported below, in the test's thread
            problems.append(problem)
        finally:
            first_flushed.set()

    with app.app_context():
        db.engine.dispose()  # each thread takes a connection of its own
    one = threading.Thread(target=run, args=(first, True))
    one.start()
    first_flushed.wait(10)
    two = threading.Thread(target=run, args=(second, False))
    two.start()
    two.join(0.5)  # blocked behind the first (PostgreSQL: its rows; SQLite: the database), or done
    may_commit.set()
    one.join(20)
    two.join(20)
    assert problems == []


def wrong_alert_flags() -> dict[int, bool]:
    """Each entry_states.alerts_team (what the review queue leads with) that differs from the definition, worked out here from the rows
    (the entries' categories, the categories added later, which categories alert)."""
    db.session.flush()
    alerting = set(db.session.scalars(select(Category.id).where(Category.alerts_safeguarding_team.is_(True))))
    later = defaultdict(set)
    for entry_id, category_id in db.session.execute(select(EntryCategory.entry_id, EntryCategory.category_id)):
        later[entry_id].add(category_id)
    recorded = dict(db.session.execute(select(Entry.id, Entry.category_id)).all())
    kept = dict(db.session.execute(select(EntryState.entry_id, EntryState.alerts_team)).all())
    assert kept.keys() == recorded.keys()
    return {
        entry_id: flag
        for entry_id, flag in kept.items()
        if flag != (recorded[entry_id] in alerting or bool(later[entry_id] & alerting))
    }


def add_entries(
    app, world, count: int, follow_ups_every: int = 3, recorders=("teacher1", "teacher2", "slt"), about=None
):
    """`count` entries through the real service, in one transaction: mostly about the
    first pupil (some shared with a second), or all about the pupil `about` (an index of
    world.pupils), every category, a few follow-ups on every `follow_ups_every`-th entry
    and some reviewed or closed."""
    with app.test_request_context():
        users = {key: db.session.get(User, world[key].id) for key in {*recorders, "dsl", "deputy"}}
        pupils = [db.session.get(Pupil, p.id) for p in world.pupils]
        categories = [db.session.get(Category, c.id) for c in world.categories.values()]
        base = now_utc() - timedelta(days=60)
        ids = []
        for n in range(count):
            if about is not None:
                on = [pupils[about]]
            else:
                on = [pupils[0]] if n % 4 else [pupils[0], pupils[1 + n % 2]]
            entry = create_entry(
                recorded_by=users[recorders[n % len(recorders)]],
                pupils=on,
                category=categories[n % len(categories)],
                source="staff_observation",
                occurred_at=base + timedelta(minutes=17 * n),
                narrative=f"Entry number {n}.",
                child_words="Some words." if n % 5 == 0 else None,
                told_dsl_in_person=False,
            )
            if n % follow_ups_every == 0:
                at = base + timedelta(minutes=17 * n + 5)
                add_follow_up(users["dsl"], entry, Kind.REVIEWED, "", recorded_at=at)
                add_follow_up(users["deputy"], entry, Kind.RISK, "Assessed.", recorded_at=at, risk_level="low")
                if n % (2 * follow_ups_every) == 0:
                    add_follow_up(users["dsl"], entry, Kind.CLOSED, "Resolved.", recorded_at=at)
            ids.append(entry.id)
        db.session.commit()
        return ids


def queries_for(client, count_queries, path: str) -> list[str]:
    warm = client.get(path)
    assert warm.status_code == 200, (path, warm.data[:2000])
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.data[:2000])
    return list(statements)


def assert_flat(small: list[str], large: list[str], label: str) -> None:
    print(f"\n{label}: {len(small)} queries (small), {len(large)} queries (large)")
    assert len(small) == len(large), (
        f"{label}: {len(small)} queries with little data, {len(large)} with more:\n" + "\n---\n".join(large)
    )
    assert len(large) <= MAX_QUERIES, "\n---\n".join(large)


PHOTO = {"name": "left forearm.png", "mimeType": "image/png", "buffer": png(size=(320, 240))}


def some_records(app, world, make_entry) -> int:
    entry_id = make_entry(
        recorder="teacher1",
        pupils=world.pupils[:2],
        category="Safeguarding",
        narrative="At 10:40 in the Year 4 classroom Amelia Hassan and Oliver Nowak told me an older "
        "boy took their dinner money at the gate this morning.",
        child_words="He said he would hit us if we told.",
        source="pupil_disclosure",
    )
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[2]],
        category="Behaviour",
        narrative="Isla Hartley pushed in the lunch queue and shouted at a dinner lady.",
    )
    make_entry(
        recorder="teacher2",
        pupils=[world.pupils[0]],
        category="General welfare",
        narrative="Amelia Hassan arrived without a coat in the rain for the third day running.",
    )
    with app.test_request_context():
        dsl = db.session.get(User, world["dsl"].id)
        entry = db.session.get(Entry, entry_id)
        mark_reviewed(dsl, entry, "")
        add_follow_up(
            dsl, entry, Kind.RISK, "Both children frightened; the older boy is known to us.", risk_level="medium"
        )
        add_follow_up(
            dsl,
            entry,
            Kind.DECISION,
            "Staff on the gate at 8:30 for two weeks; parents told.",
            reason="Proportionate: a threat was made, no harm yet.",
        )
        db.session.commit()
    return entry_id


NARRATIVE = "Saw a push by the coats at 10:40 zebraquartz; one child fell and grazed a knee."


def log_data(world, pupils=None, category="Behaviour", **extra) -> dict:
    pupils = pupils if pupils is not None else world.pupils[:1]
    return {
        "pupil_ids": [str(p.id) for p in pupils],
        "category": str(world.categories[category].id),
        "source": "staff_observation",
        "occurred_at": uk_now_input(),
        "narrative": NARRATIVE,
        "child_words": "He pushed me.",
        "checked": "1",
        **extra,
    }


def monitor(app, world, pupil, review_in=14, started_ago=30, reason="Watching attendance."):
    """A pupil already on the list (straight through the operation: review dates may be past)."""
    with app.test_request_context():
        operations.start(
            db.session.get(User, world["dsl"].id),
            db.session.get(Pupil, pupil.id),
            reason,
            uk_today() - timedelta(days=started_ago),
            uk_today() + timedelta(days=review_in),
        )
        db.session.commit()


def make_task(app, world, entry_id, who="teacher2", due_in=2, text_="Check in with the child daily.") -> int:
    """A task as the form makes it, due `due_in` days from today (negative: overdue)."""
    with app.test_request_context():
        entry = db.session.get(Entry, entry_id)
        dsl = db.session.get(User, world["dsl"].id)
        follow_up = add_follow_up(dsl, entry, Kind.TASK, text_)
        task = give_task(dsl, follow_up, world[who].id, uk_today() + timedelta(days=due_in))
        db.session.commit()
        return task.id


RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


SECRET = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')


def shown_secret(html: str) -> str:
    """The set-up key the page shows to type in by hand (in fours)."""
    match = SECRET.search(html)
    assert match, "no set-up key on the page"
    return match.group(1).replace(" ", "")


VNU_JAR = Path(os.environ.get("VNU_JAR", "/tmp/cpoms-vnu/package/build/dist/vnu.jar"))


HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")


def vnu_or_skip() -> list[str]:
    java = shutil.which("java")
    problem = (
        "java is not installed (apt-get install default-jre-headless)"
        if java is None
        else f"vnu.jar is not at {VNU_JAR} (npm pack vnu-jar; .ci/run fetches it)"
        if not VNU_JAR.exists()
        else None
    )
    if problem:
        if os.environ.get("CPOMS_REQUIRE_VNU") == "1":
            pytest.fail(f"CPOMS_REQUIRE_VNU=1 but {problem}", pytrace=False)
        pytest.skip(problem)
    return [java, "-jar", str(VNU_JAR)]


def stored(app, world, make_entry, content=None, name="arm.png", recorder="teacher1") -> Attachment:
    """An entry with one attachment, added the way the entry page does."""
    entry_id = make_entry(recorder)
    with app.test_client() as client:
        from conftest import Auth

        Auth(app, client).as_(world[recorder])
        response = client.post(
            f"/entries/{entry_id}/attachments",
            content_type="multipart/form-data",
            data={"attachments": [(io.BytesIO(content or png()), name)]},
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return rows(app, Attachment)[-1]


def rows(app, model, *where, **by) -> list:
    """The model's rows, oldest first: those matching the `where` clauses and `by` columns."""
    with app.app_context():
        found = list(db.session.scalars(select(model).where(*where).filter_by(**by).order_by(model.id)))
        db.session.expunge_all()
        return found
