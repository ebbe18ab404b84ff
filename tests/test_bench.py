"""The benchmark's tools keep working as the app changes: the generator fills a
small trust, and every measured page answers as the benchmark expects (signed in
through the code step, like a person). Timings are not asserted here: speed is
measured by `make bench` on trust-scale data, not by tests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench import run as bench
from bench.generate import Generator
from cpoms.extensions import db
from cpoms.models import Entry, EntryState, FollowUp, User

from conftest import POSTGRES_URL


@pytest.fixture
def generated(app):
    with app.app_context():
        db.session.remove()
        Generator(
            schools=2,
            pupils=120,
            entries=1500,
            seed=3,
            password="bench-password-long",
            batch=500,
            echo=lambda *a, **k: None,
        ).run()
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Entry, EntryState, FollowUp)
        }
        enrolled = db.session.scalar(select(func.count(User.id)).where(User.totp_secret.is_not(None)))
        users = db.session.scalar(select(func.count(User.id)))
    return counts, enrolled, users


def test_generator_fills_a_consistent_trust(generated):
    counts, enrolled, users = generated
    assert counts["entries"] == counts["entry_states"] == 1500
    assert counts["follow_ups"] > 1500
    assert enrolled == users  # every generated account passes the code step in the bench


def test_every_benchmarked_page_answers_as_expected(app, generated, monkeypatch):
    monkeypatch.setattr(bench, "PAGES", [bench.Page(p.name, p.run, p.target_ms, 2, p.expect) for p in bench.PAGES])
    report = bench.run(app.config["SQLALCHEMY_DATABASE_URI"], 2, "bench-password-long", [])
    names = [r["page"] for r in report["results"]]
    assert any("search" in n for n in names) and any("reports" in n for n in names)
    assert all(r["queries"] > 0 for r in report["results"])
    assert report["database"] == ("postgresql" if POSTGRES_URL else "sqlite")
