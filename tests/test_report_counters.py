"""The reports' kept counts (cpoms/reports/counters.py) always equal a count of the
entries from scratch: after each operation that writes entries or their status, after
a random run of all of them, when two entries are saved at once, after the demo and
the generator, and after the migration that fills them for a school upgrading. And
the reports show the numbers they showed when they counted the entries per view."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from statistics import median

import pytest
from sqlalchemy import Integer, case, cast, func, select, update

from bench.generate import Generator
from cpoms import audit
from cpoms.audit import AuditEvent
from cpoms.demo import load_demo
from cpoms.entries import categories as later_categories
from cpoms.entries.models import EntryCategory
from cpoms.entries.operations import ACTIONS, WrongState, add_follow_up, close, mark_reviewed, reopen
from cpoms.extensions import db
from cpoms.log.operations import record_entry
from cpoms.mis import deletion
from cpoms.models import Category, Entry, EntryState, Pupil, School, User
from cpoms.reports import counters, queries
from cpoms.reports.models import ReportCount
from cpoms.reports.periods import academic_year, current_academic_year, term
from cpoms.timefmt import now_utc
from cpoms.transfers import operations as transfers

from conftest import make_pupil
from helpers import at_once, backdated_entry, wrong_alert_flags

UTC = timezone.utc
# Times where the UK month is not the UTC month, or only just is.
EDGES = [
    datetime(2025, 3, 31, 23, 30, tzinfo=UTC),  # BST: 00:30 on 1 April in the UK
    datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # the last second of GMT that spring
    datetime(2025, 8, 31, 23, 0, tzinfo=UTC),  # September in the UK
    datetime(2025, 8, 31, 22, 59, 59, 999999, tzinfo=UTC),  # still August
    datetime(2025, 10, 31, 23, 30, tzinfo=UTC),  # GMT again: still October
    datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 6, 30, 23, 15, tzinfo=UTC),  # July in the UK
]


def consistent() -> bool:
    wrong = counters.differences()
    assert wrong == {}, wrong
    return True


def kept() -> dict:
    return counters.stored()


def log(user: User, pupil: Pupil, category: Category, at: datetime | None = None) -> Entry:
    """An entry as the log form saves it; `at` backdates it the way the reports tests do
    (entries cannot be updated once saved, so the row is written with that time)."""
    if at is None:
        return record_entry(user, [pupil], category, "staff_observation", now_utc(), "Synthetic.", None, False)
    entry = backdated_entry(user, pupil, category, at)
    counters.entry_logged(entry)
    return entry


@pytest.fixture
def ctx(app, world):
    with app.test_request_context():
        yield {
            "users": {k: db.session.get(User, u.id) for k, u in world.users.items()},
            "pupils": [db.session.get(Pupil, p.id) for p in world.pupils + world.other_pupils],
            "categories": {k: db.session.get(Category, c.id) for k, c in world.categories.items()},
        }


# --- each operation, on its own -------------------------------------------------------


def test_logging_an_entry_counts_it_at_its_school_month_category_and_open(ctx):
    pupil, safeguarding = ctx["pupils"][0], ctx["categories"]["Safeguarding"]
    entry = log(ctx["users"]["teacher1"], pupil, safeguarding)
    db.session.commit()
    assert kept() == {counters.key(pupil.school_id, safeguarding.id, entry.created_at, "open"): 1}
    assert consistent()


def test_a_backdated_entry_counts_in_its_uk_month_as_the_database_works_it_out(ctx):
    for n, at in enumerate(EDGES):
        log(ctx["users"]["teacher1"], ctx["pupils"][n % 2], ctx["categories"]["Behaviour"], at)
    db.session.commit()
    assert sum(kept().values()) == len(EDGES)
    assert consistent()
    months = {k.month for k in kept()}
    assert {"2025-04", "2025-03", "2025-09", "2025-08", "2025-10", "2025-12", "2026-01", "2026-07"} == months


def test_closing_and_reopening_move_the_entry_between_open_and_closed(ctx):
    dsl = ctx["users"]["dsl"]
    entry = log(ctx["users"]["teacher1"], ctx["pupils"][0], ctx["categories"]["Safeguarding"])
    open_key = counters.key(entry.school_id, entry.category_id, entry.created_at, "open")
    closed_key = open_key._replace(status="closed")
    close(dsl, entry, "Support in place.", "Nothing more to do now.")
    db.session.commit()
    assert kept() == {closed_key: 1} and consistent()
    reopen(dsl, entry, "Another concern.")
    db.session.commit()
    assert kept() == {open_key: 1} and consistent()
    with pytest.raises(WrongState):
        reopen(dsl, entry, "Twice.")
    assert kept() == {open_key: 1} and consistent()


def test_reviews_actions_and_later_categories_change_no_count(ctx):
    dsl = ctx["users"]["dsl"]
    entry = log(ctx["users"]["teacher1"], ctx["pupils"][0], ctx["categories"]["Behaviour"])
    db.session.commit()
    before = kept()
    mark_reviewed(dsl, entry, "Seen.")
    add_follow_up(dsl, entry, sorted(ACTIONS)[0], "Spoke to the class teacher.")
    later_categories.add_category(dsl, entry, ctx["categories"]["Safeguarding"], "Now also safeguarding.")
    db.session.commit()
    # The report counts an entry in the category it was recorded as (later ones are shown beside it).
    assert kept() == before and consistent()


def test_retention_deletion_uncounts_the_pupils_own_entries_and_keeps_shared_ones(ctx):
    teacher, pupil, other = ctx["users"]["teacher1"], ctx["pupils"][0], ctx["pupils"][1]
    behaviour = ctx["categories"]["Behaviour"]
    log(teacher, pupil, behaviour)
    log(teacher, pupil, behaviour, EDGES[0])
    gone = log(teacher, pupil, ctx["categories"]["Safeguarding"])
    close(ctx["users"]["dsl"], gone, "Done.", "Nothing more.")
    shared = record_entry(teacher, [pupil, other], behaviour, "staff_observation", now_utc(), "Both.", None, False)
    db.session.commit()
    assert sum(kept().values()) == 4
    proposal = deletion.propose(ctx["users"]["admin"], pupil, "Retention period ended.")
    db.session.commit()
    assert deletion.confirm(ctx["users"]["dsl"], proposal)
    db.session.commit()
    assert kept() == {counters.key(shared.school_id, behaviour.id, shared.created_at, "open"): 1}
    assert consistent()


def test_the_years_offered_start_at_the_first_entry_still_counted(ctx):
    teacher, pupil = ctx["users"]["teacher1"], ctx["pupils"][0]
    school_ids = [pupil.school_id]
    assert queries.first_year(school_ids) is None
    log(teacher, pupil, ctx["categories"]["Behaviour"], datetime(2019, 9, 2, 9, tzinfo=UTC))
    log(teacher, ctx["pupils"][1], ctx["categories"]["Behaviour"], datetime(2022, 8, 31, 23, 30, tzinfo=UTC))
    db.session.commit()
    assert queries.first_year(school_ids) == 2019
    proposal = deletion.propose(ctx["users"]["admin"], pupil, "Retention period ended.")
    db.session.commit()
    deletion.confirm(ctx["users"]["dsl"], proposal)
    db.session.commit()
    # The 2019 row is kept at nought; 23:30 UTC on 31 August 2022 is September in the UK.
    assert queries.first_year(school_ids) == 2022


def test_a_transfer_moves_the_pupil_not_the_counts_of_the_school_that_recorded(ctx):
    pupil, other_school = ctx["pupils"][0], db.session.get(School, ctx["pupils"][-1].school_id)
    entry = log(ctx["users"]["teacher1"], pupil, ctx["categories"]["Safeguarding"])
    db.session.commit()
    before = kept()
    transfer = transfers.start(
        ctx["users"]["dsl"],
        pupil,
        to_school=other_school,
        destination_name=None,
        contact_name=None,
        contact_email=None,
        method="in_person",
        sent_on=date.today(),
    )
    transfers.accept(ctx["users"]["other_dsl"], transfer)
    db.session.commit()
    assert db.session.get(Pupil, pupil.id).school_id == other_school.id
    assert kept() == before and next(iter(before)).school_id == entry.school_id
    assert consistent()


# --- any order of all of them -------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_counts_equal_a_recount_after_any_sequence_of_operations(ctx, world, seed):
    rng = random.Random(seed)
    users, categories = ctx["users"], list(ctx["categories"].values())
    school_ids = [world.school.id, world.other_school.id]
    dsl_of = {world.school.id: users["dsl"], world.other_school.id: users["other_dsl"]}
    serial = 100

    def existing(model, column):
        return list(db.session.scalars(select(column).order_by(column)))

    for step in range(40):
        pupil_ids, entry_ids = existing(Pupil, Pupil.id), existing(Entry, Entry.id)
        operation = rng.choice(["log", "log", "backdate", "close", "reopen", "review", "pupil", "delete", "transfer"])
        if operation in ("log", "backdate"):
            at = None
            if operation == "backdate":
                at = rng.choice(EDGES) if rng.random() < 0.5 else None
                at = at or datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.random() * 3 * 365 * 86400)
            teacher = users["teacher1"] if rng.random() < 0.5 else users["dsl"]
            log(teacher, db.session.get(Pupil, rng.choice(pupil_ids)), rng.choice(categories), at)
        elif operation in ("close", "reopen", "review") and entry_ids:
            entry = db.session.get(Entry, rng.choice(entry_ids))
            dsl = dsl_of[entry.school_id]
            try:
                if operation == "close":
                    close(dsl, entry, "Outcome.", "Why.")
                elif operation == "reopen":
                    reopen(dsl, entry, "Again.")
                else:
                    mark_reviewed(dsl, entry, None)
            except WrongState:
                pass
        elif operation == "pupil":
            serial += 1
            school = db.session.get(School, rng.choice(school_ids))
            make_pupil(school, "New", f"Pupil{serial}", f"C2042100{serial:05d}")
        elif operation == "delete" and len(pupil_ids) > 2:
            pupil = db.session.get(Pupil, rng.choice(pupil_ids))
            proposal = deletion.propose(users["admin"], pupil, "Retention period ended.")
            db.session.flush()
            deletion.confirm(dsl_of[pupil.school_id], proposal)
        elif operation == "transfer":
            pupil = db.session.get(Pupil, rng.choice(pupil_ids))
            to = db.session.get(School, next(i for i in school_ids if i != pupil.school_id))
            transfer = transfers.start(
                dsl_of[pupil.school_id],
                pupil,
                to_school=to,
                destination_name=None,
                contact_name=None,
                contact_email=None,
                method="in_person",
                sent_on=date.today(),
            )
            transfers.accept(dsl_of[to.id], transfer)
        if rng.random() < 0.75:
            db.session.commit()
        else:
            db.session.rollback()  # a request that failed: its counts go with its rows
        assert consistent(), f"after step {step}: {operation}"
    assert sum(kept().values()) == db.session.scalar(select(func.count()).select_from(EntryState))
    assert len(kept()) > 3


# --- two at once -----------------------------------------------------------------------------


def test_two_entries_saved_at_once_both_count(app, world):
    """The second upsert waits for the first transaction and adds to what it committed."""

    def save():
        record_entry(
            db.session.get(User, world["teacher1"].id),
            [db.session.get(Pupil, world.pupils[0].id)],
            db.session.get(Category, world.categories["Behaviour"].id),
            "staff_observation",
            now_utc(),
            "At once.",
            None,
            False,
        )

    at_once(app, save, save)
    with app.app_context():
        assert sum(counters.stored().values()) == 2
        assert consistent()


# --- whole worlds ----------------------------------------------------------------------------


def test_the_generators_bulk_insert_fills_the_counts(app):
    with app.app_context():
        Generator(2, 60, 800, seed=5, password="bench-password-long", batch=300, echo=lambda *a, **k: None).run()
        assert sum(kept().values()) == 800
        assert consistent()


# --- the reports show what they showed ---------------------------------------------------------


def _uk_month_as_before(column, dialect: str):
    """The month expression the reports counted with per view (frozen from before the counters)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/London", func.timezone("UTC", column)), "YYYY-MM")
    in_summer_time = cast(func.strftime("%m", column), Integer).between(3, 9)
    return func.strftime("%Y-%m", column, case((in_summer_time, "+1 hour"), else_="+0 hours"))


def _seconds_as_before(start, end, dialect: str):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _waits_as_before(scope, dialect: str) -> queries.Waits:
    """The medians as the reports worked them out per view (frozen from before the waits were kept)."""
    review_s = _seconds_as_before(Entry.created_at, EntryState.reviewed_at, dialect)
    action_s = _seconds_as_before(Entry.created_at, EntryState.first_action_at, dialect)
    joined = lambda query: query.join(EntryState, EntryState.entry_id == Entry.id).where(*scope)  # noqa: E731
    if dialect == "postgresql":
        waits = queries.Waits()
        by_category = joined(
            select(
                Entry.category_id,
                func.percentile_cont(0.5).within_group(review_s),
                func.percentile_cont(0.5).within_group(action_s),
                func.count(review_s),
            )
        ).group_by(Entry.category_id)
        for category, to_review, to_act, reviewed in db.session.execute(by_category):
            if to_review is not None:
                waits.review[category] = float(to_review)
            if to_act is not None:
                waits.action[category] = float(to_act)
            waits.reviewed[category] = reviewed
        by_school = joined(select(Entry.school_id, func.percentile_cont(0.5).within_group(review_s))).group_by(
            Entry.school_id
        )
        for school, to_review in db.session.execute(by_school):
            if to_review is not None:
                waits.school_review[school] = float(to_review)
        return waits
    review, action, school_review = defaultdict(list), defaultdict(list), defaultdict(list)
    for category, school, reviewed, acted in db.session.execute(
        joined(select(Entry.category_id, Entry.school_id, review_s, action_s))
    ):
        if reviewed is not None:
            review[category].append(reviewed)
            school_review[school].append(reviewed)
        if acted is not None:
            action[category].append(acted)
    return queries.Waits(
        review={k: median(v) for k, v in review.items()},
        action={k: median(v) for k, v in action.items()},
        reviewed={k: len(v) for k, v in review.items()},
        school_review={k: median(v) for k, v in school_review.items()},
    )


def counted_per_view(monkeypatch, period):
    """Make build() count the entries of the period and take the medians of their
    waits the way it did before anything was kept."""

    def scope(school_ids, category_id):
        where = [Entry.school_id.in_(school_ids), Entry.created_at >= period.start, Entry.created_at < period.end]
        return where + ([Entry.category_id == category_id] if category_id else [])

    def counts(school_ids, first_month, last_month, category_id):
        month = _uk_month_as_before(Entry.created_at, db.engine.dialect.name)
        query = (
            select(Entry.category_id, Entry.school_id, EntryState.status, month, func.count())
            .join(EntryState, EntryState.entry_id == Entry.id)
            .where(*scope(school_ids, category_id))
            .group_by(Entry.category_id, Entry.school_id, EntryState.status, month)
        )
        return db.session.execute(query).all()

    def waits(school_ids, first_month, last_month, category_id):
        return _waits_as_before(scope(school_ids, category_id), db.engine.dialect.name)

    monkeypatch.setattr(queries, "_counts", counts)
    monkeypatch.setattr(queries, "_waits", waits)


def every_report(schools, categories):
    """Each period a report offers for the years with data, for all the schools and each one, and per category."""
    years = range(current_academic_year() - 10, current_academic_year() + 1)
    for start_year in years:
        for period in [academic_year(start_year), *(term(start_year, k) for k in ("autumn", "spring", "summer"))]:
            for chosen in [schools, *([s] for s in schools[:2])]:
                for category_id in [None, categories[0].id]:
                    yield (chosen, period, category_id)


def assert_reports_as_before(monkeypatch):
    schools = list(db.session.scalars(select(School).order_by(School.name)))
    categories = list(db.session.scalars(select(Category).order_by(Category.order, Category.name)))
    shown = 0
    for chosen, period, category_id in every_report(schools, categories):
        now = queries.build(chosen, categories, period, category_id)
        with monkeypatch.context() as patch:
            counted_per_view(patch, period)
            before = queries.build(chosen, categories, period, category_id)
        assert now == before, (period.label, [s.name for s in chosen], category_id)
        shown += now.total
    assert shown > 0


def test_the_demo_builder_keeps_the_counts_and_flags_and_its_reports_show_what_they_did(app, monkeypatch):
    with app.test_request_context():  # one demo build (seconds) for every check of what is kept
        load_demo("demo-password-long-enough")
        db.session.commit()
        assert sum(kept().values()) > 0
        assert consistent()
        assert db.session.scalar(select(EntryCategory.id)) is not None  # it gives a later category
        assert wrong_alert_flags() == {}  # the review queue's flag, tests/test_queue_alerts_flag.py
        assert_reports_as_before(monkeypatch)


def test_a_generated_trust_keeps_the_flags_and_its_reports_show_what_they_did(app, monkeypatch):
    with app.app_context():
        Generator(3, 90, 3000, seed=7, password="bench-password-long", batch=1000, echo=lambda *a, **k: None).run()
        assert db.session.scalar(select(EntryState.entry_id).where(EntryState.alerts_team.is_(True))) is not None
        assert wrong_alert_flags() == {}  # its bulk insert sets them as the app does
        assert_reports_as_before(monkeypatch)


# --- the operator's check --------------------------------------------------------------------


def test_recount_reports_finds_a_wrong_count_and_repairs_it_audited(app, ctx):
    entry = log(ctx["users"]["teacher1"], ctx["pupils"][0], ctx["categories"]["Safeguarding"])
    db.session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["recount-reports"])
    assert ok.exit_code == 0 and "match" in ok.output
    db.session.execute(update(ReportCount.__table__).values(entries=5))
    db.session.commit()
    wrong = runner.invoke(args=["recount-reports"])
    assert wrong.exit_code == 1 and "kept 5, entries 1" in wrong.output
    assert counters.differences() != {}
    repaired = runner.invoke(args=["recount-reports", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    db.session.expire_all()
    assert kept() == {counters.key(entry.school_id, entry.category_id, entry.created_at, "open"): 1}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == audit.RECOUNT_REPORTS)).all()
    assert [audit.detail_value(e.detail, "repaired") for e in events] == ["False", "False", "True"]


# --- nothing writes what is counted without the counters -------------------------------------------

APP = Path(__file__).resolve().parent.parent / "cpoms"
# What creates an entry's counted row, changes its status, or deletes entries.
WRITES = re.compile(r"(?<!class )EntryState\(|\bstate\.status\s*=(?!=)|(insert|update|delete)\(Entry(State)?\b")
# The review queue's flag (entries.categories.keep_alerts_team) sets alerts_team alone,
# which no count reads: that one statement is not a write of what is counted.
FLAG_ONLY = "update(EntryState).where(*where).values(alerts_team="


def test_every_module_that_writes_what_is_counted_moves_the_counters():
    writers = {
        p.relative_to(APP.parent).as_posix()
        for p in APP.rglob("*.py")
        if WRITES.search(p.read_text().replace(FLAG_ONLY, ""))
    }
    # The demo records its entries through log.operations.record_entry, so it is not among them.
    assert writers >= {"cpoms/log/operations.py", "cpoms/entries/operations.py"}
    missing = [w for w in sorted(writers) if "counters." not in (APP.parent / w).read_text()]
    assert missing == [], f"these write entries or their status without cpoms/reports/counters.py: {missing}"
    # Retention deletion removes entries through its generic table walk: it uncounts them first.
    assert "counters.entries_deleted(" in (APP / "mis" / "deletion.py").read_text()
