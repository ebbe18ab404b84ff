"""entry_states.alerts_team, what the review queue is ordered by, always says what its
definition does (the entry was recorded as, or later given, a category that alerts the
safeguarding team now): after each write that can change it, after random runs of all
of them (the demo's and the generator's are checked with the reports' counts,
tests/test_report_counters.py); and a category made to alert moves its
waiting entries up the queue at once."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cpoms.admin.operations import CategoryRefused, change_category
from cpoms.entries.categories import add_category
from cpoms.entries.models import EntryCategory
from cpoms.extensions import db
from cpoms.log.operations import record_entry
from cpoms.models import Category, Entry, EntryState, Pupil, User
from cpoms.timefmt import now_utc

from helpers import at_once, backdated_entry, wrong_alert_flags


def consistent() -> bool:
    wrong = wrong_alert_flags()
    assert wrong == {}, f"entry_states.alerts_team wrong for entries {wrong}"
    return True


@pytest.fixture
def ctx(app, world, trust_admin):
    with app.test_request_context():
        yield {
            "users": {k: db.session.get(User, u.id) for k, u in world.users.items()},
            "admin": db.session.get(User, trust_admin.id),
            "pupils": [db.session.get(Pupil, p.id) for p in world.pupils + world.other_pupils],
            "categories": {k: db.session.get(Category, c.id) for k, c in world.categories.items()},
        }


def log(user: User, pupil: Pupil, category: Category) -> Entry:
    return record_entry(user, [pupil], category, "staff_observation", now_utc(), "Synthetic.", None, False)


def flip(admin: User, category: Category, alerts: bool) -> None:
    change_category(admin, category, category.name, alerts, category.active, reason="Policy changed.")


# --- each write, on its own --------------------------------------------------------------


def test_an_entry_is_logged_with_its_categorys_alerting(ctx):
    teacher, pupil = ctx["users"]["teacher1"], ctx["pupils"][0]
    safeguarding = log(teacher, pupil, ctx["categories"]["Safeguarding"])
    behaviour = log(teacher, pupil, ctx["categories"]["Behaviour"])
    factory_made = backdated_entry(teacher, pupil, ctx["categories"]["Safeguarding"], now_utc() - timedelta(days=3))
    db.session.commit()
    assert [safeguarding.state.alerts_team, behaviour.state.alerts_team, factory_made.state.alerts_team] == [
        True,
        False,
        True,
    ]
    assert consistent()


def test_a_later_alerting_category_sets_the_flag_and_a_quiet_one_does_not(ctx):
    dsl, teacher, pupil = ctx["users"]["dsl"], ctx["users"]["teacher1"], ctx["pupils"][0]
    entry = log(teacher, pupil, ctx["categories"]["Behaviour"])
    db.session.commit()
    add_category(dsl, entry, ctx["categories"]["General welfare"], "Hungry again.")
    assert entry.state.alerts_team is False
    add_category(dsl, entry, ctx["categories"]["Safeguarding"], "Mum spoke of arguments at home.")
    # The state the session holds is the one refreshed (the entry's page reads it next).
    assert entry.state.alerts_team is True
    db.session.commit()
    assert consistent()


def test_flipping_a_categorys_alerting_updates_its_entries_and_only_those(ctx):
    admin, dsl, teacher = ctx["admin"], ctx["users"]["dsl"], ctx["users"]["teacher1"]
    welfare, behaviour, safeguarding = (ctx["categories"][n] for n in ("General welfare", "Behaviour", "Safeguarding"))
    recorded = log(teacher, ctx["pupils"][0], welfare)
    given_later = log(teacher, ctx["pupils"][1], behaviour)
    add_category(dsl, given_later, welfare, "Tired every morning.")
    also_safeguarding = log(teacher, ctx["pupils"][0], welfare)
    add_category(dsl, also_safeguarding, safeguarding, "A disclosure since.")
    other = log(teacher, ctx["pupils"][1], behaviour)
    db.session.commit()
    flip(admin, welfare, True)
    db.session.commit()
    assert [e.state.alerts_team for e in (recorded, given_later, also_safeguarding, other)] == [True, True, True, False]
    assert consistent()
    flip(admin, welfare, False)
    db.session.commit()
    # Still given Safeguarding, which alerts whatever welfare does.
    assert [e.state.alerts_team for e in (recorded, given_later, also_safeguarding, other)] == [
        False,
        False,
        True,
        False,
    ]
    assert consistent()


def test_a_refused_flip_changes_no_flag(ctx):
    entry = log(ctx["users"]["teacher1"], ctx["pupils"][0], ctx["categories"]["Safeguarding"])
    db.session.commit()
    with pytest.raises(CategoryRefused):
        flip(ctx["admin"], ctx["categories"]["Safeguarding"], False)
    db.session.rollback()
    assert db.session.get(EntryState, entry.id).alerts_team is True
    assert consistent()


# --- any order of all of them --------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_the_flag_follows_its_definition_after_any_sequence_of_writes(ctx, seed):
    rng = random.Random(seed)
    users, pupils = ctx["users"], ctx["pupils"]
    categories = list(ctx["categories"].values())
    dsl_of = {p.school_id: users["dsl" if p.school_id == pupils[0].school_id else "other_dsl"] for p in pupils}
    for step in range(45):
        entry_ids = list(db.session.scalars(select(Entry.id).order_by(Entry.id)))
        operation = rng.choice(["log", "log", "backdate", "later", "later", "flip"])
        if operation == "log":
            log(users["teacher1"], rng.choice(pupils), rng.choice(categories))
        elif operation == "backdate":
            at = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(days=rng.randrange(600))
            backdated_entry(users["teacher1"], rng.choice(pupils), rng.choice(categories), at)
        elif operation == "later" and entry_ids:
            entry = db.session.get(Entry, rng.choice(entry_ids))
            given = set(db.session.scalars(select(EntryCategory.category_id).where(EntryCategory.entry_id == entry.id)))
            offered = [c for c in categories if c.id != entry.category_id and c.id not in given]
            if offered:
                add_category(dsl_of[entry.school_id], entry, rng.choice(offered), "Seen differently now.")
        elif operation == "flip":
            category = rng.choice([c for c in categories if not c.always_alerts])
            flip(ctx["admin"], category, not category.alerts_safeguarding_team)
        if rng.random() < 0.8:
            db.session.commit()
        else:
            db.session.rollback()  # a request that failed: its flags go with its rows
        assert consistent(), f"after step {step}: {operation}"
    assert db.session.scalar(select(EntryState.entry_id).where(EntryState.alerts_team.is_(True))) is not None


# --- two at once -----------------------------------------------------------------------------


@pytest.mark.parametrize("flip_first", [True, False], ids=["flip-then-log", "log-then-flip"])
def test_an_entry_logged_while_its_category_is_changed_gets_the_new_flag(app, world, trust_admin, flip_first):
    welfare_id = world.categories["General welfare"].id

    def flip_welfare():
        flip(db.session.get(User, trust_admin.id), db.session.get(Category, welfare_id), True)

    def log_welfare():
        log(
            db.session.get(User, world["teacher1"].id),
            db.session.get(Pupil, world.pupils[0].id),
            db.session.get(Category, welfare_id),
        )

    at_once(app, *((flip_welfare, log_welfare) if flip_first else (log_welfare, flip_welfare)))
    with app.app_context():
        assert db.session.scalar(select(EntryState.alerts_team)) is True
        assert consistent()


@pytest.mark.parametrize("flip_first", [True, False], ids=["flip-then-add", "add-then-flip"])
def test_a_category_added_while_another_of_the_entrys_is_changed_gets_both(app, world, trust_admin, flip_first):
    """The entry was recorded as welfare; Safeguarding's alert cannot be switched off, so
    First aid (made to alert for the test) is added while welfare is made to stop alerting."""
    ids = {n: world.categories[n].id for n in ("General welfare", "First aid / medical")}
    with app.test_request_context():
        admin = db.session.get(User, trust_admin.id)
        flip(admin, db.session.get(Category, ids["General welfare"]), True)
        flip(admin, db.session.get(Category, ids["First aid / medical"]), True)
        entry_id = log(
            db.session.get(User, world["teacher1"].id),
            db.session.get(Pupil, world.pupils[0].id),
            db.session.get(Category, ids["General welfare"]),
        ).id
        db.session.commit()

    def quieten_welfare():
        flip(db.session.get(User, trust_admin.id), db.session.get(Category, ids["General welfare"]), False)

    def add_first_aid():
        add_category(
            db.session.get(User, world["dsl"].id),
            db.session.get(Entry, entry_id),
            db.session.get(Category, ids["First aid / medical"]),
            "A nosebleed at lunch.",
        )

    at_once(app, *((quieten_welfare, add_first_aid) if flip_first else (add_first_aid, quieten_welfare)))
    with app.app_context():
        assert db.session.get(EntryState, entry_id).alerts_team is True  # first aid alerts
        assert consistent()


def test_two_categories_added_to_one_entry_at_once_both_count(app, world, trust_admin):
    ids = {n: world.categories[n].id for n in ("Behaviour", "General welfare", "First aid / medical")}
    with app.test_request_context():
        flip(db.session.get(User, trust_admin.id), db.session.get(Category, ids["General welfare"]), True)
        entry_id = log(
            db.session.get(User, world["teacher1"].id),
            db.session.get(Pupil, world.pupils[0].id),
            db.session.get(Category, ids["Behaviour"]),
        ).id
        db.session.commit()

    def adding(name):
        return lambda: add_category(
            db.session.get(User, world["dsl"].id),
            db.session.get(Entry, entry_id),
            db.session.get(Category, ids[name]),
            "Seen differently now.",
        )

    at_once(app, adding("General welfare"), adding("First aid / medical"))
    with app.app_context():
        assert db.session.get(EntryState, entry_id).alerts_team is True  # welfare alerts
        assert consistent()


# --- over HTTP --------------------------------------------------------------------------------


def queue_rows(html: str) -> list[str]:
    return re.findall(r'<li class="entry-row">.*?</li>', html, re.S)


def test_a_category_made_to_alert_moves_its_waiting_entries_up_the_queue(
    app, client, auth, world, make_entry, trust_admin
):
    make_entry(narrative="Pushed in the lunch queue.", category="Behaviour")
    make_entry(narrative="Hungry at breakfast club.", category="General welfare")
    make_entry(narrative="Grazed knee.", category="First aid / medical")
    make_entry(narrative="Hungry again at lunch.", category="General welfare")
    auth.as_(world["dsl"])
    before = [r for r in queue_rows(client.get("/review").get_data(as_text=True))]
    assert ["Pushed in" in before[0], "Hungry at breakfast" in before[1], "Hungry again" in before[3]] == [True] * 3

    welfare = world.categories["General welfare"].id
    auth.as_(trust_admin)
    changed = client.post(
        f"/admin/categories/{welfare}",
        data={
            f"c{welfare}-name": "General welfare",
            f"c{welfare}-alerts": "y",
            f"c{welfare}-active": "y",
            f"c{welfare}-reason": "Welfare concerns are often early signs.",
        },
    )
    assert changed.status_code == 303

    auth.as_(world["dsl"])
    after = queue_rows(client.get("/review").get_data(as_text=True))
    # The welfare entries now alert the team: they lead, oldest first, then the rest as before.
    expected = ["Hungry at breakfast", "Hungry again", "Pushed in", "Grazed knee"]
    assert [next(n for n in expected if n in row) for row in after] == expected
