"""The benchmark's tools keep working as the app changes: the generator fills a
small trust, and every measured page answers as the benchmark expects (signed in
through the code step, like a person). Timings are not asserted here: speed is
measured by `make bench` on trust-scale data, not by tests."""

from __future__ import annotations

import re
import subprocess
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bench import figures
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


# --- the verdict: limit = target x (1 + MARGIN) x load, load counted between 1 and MAX_LOAD


def test_a_page_under_its_target_meets_it():
    assert bench.verdict(40.0, 50, 1.0) == (62.5, "met")


def test_on_a_quiet_machine_a_page_may_miss_by_the_margin_and_no_more():
    assert bench.verdict(62.0, 50, 1.0) == (62.5, "margin")
    assert bench.verdict(63.0, 50, 1.0) == (62.5, "MISSED")


def test_a_loaded_machine_does_not_fail_a_healthy_page():
    # The bare route took 1.8 times its CPU time: every page is slower for the same reason.
    assert bench.verdict(110.0, 50, 1.8) == (112.5, "margin")


def test_a_page_slower_than_the_load_explains_fails():
    assert bench.verdict(200.0, 50, 3.0) == (187.5, "MISSED")


def test_past_the_cap_a_machine_excuses_nothing_more():
    assert bench.MAX_LOAD == 8
    assert bench.verdict(501.0, 50, 20.0) == (500.0, "MISSED")


def test_a_fast_machine_does_not_tighten_the_target():
    assert bench.verdict(62.0, 50, 0.6) == (62.5, "margin")


def test_a_page_without_a_target_is_only_reported():
    assert bench.verdict(5000.0, None, 1.0) == (None, None)


def test_the_load_is_the_bare_routes_wall_time_over_its_cpu_time():
    assert bench.load_factor([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]) == 2.0
    assert bench.load_factor([1.0], [0.0]) > bench.MAX_LOAD  # no CPU time measured: counted as the cap


class FakeClient:
    """Answers the bare route at once; the pages below take the time they are told."""

    class Response:
        status_code = 200

    def get(self, path):
        return self.Response()


def fake_page(name, target_ms, *sleeps_ms):
    sleeps = list(sleeps_ms)

    def run(ctx):
        time.sleep((sleeps.pop(0) if len(sleeps) > 1 else sleeps[0]) / 1000)
        return FakeClient.Response()

    return bench.Page(name, run, target_ms, None, 200)


def test_a_page_that_misses_its_limit_fails_the_run_and_says_so():
    ctx = SimpleNamespace(client=FakeClient())
    # Over its limit however loaded this machine is: 2 x 1.25 x MAX_LOAD = 20 ms.
    result = bench.measure_page(ctx, fake_page("slow page", 2, 30), 5, [], retries=1)
    assert result["verdict"] == "MISSED" and result["ok"] is False and result["attempts"] == 2
    assert result["p95_ms"] >= 30 and 2.5 <= result["limit_ms"] <= 20
    report = {
        "database": "sqlite",
        "sizes": {"entries": 10, "follow_ups": 20, "pupils": 3},
        "busiest_pupil_entries": 5,
        "cpus": 2,
        "commit": "abc1234",
        "rule": {"margin": bench.MARGIN, "max_load": bench.MAX_LOAD, "retries": 1},
        "results": [result],
    }
    shown = bench.table(report)
    assert "limit" in shown.splitlines()[2] and "MISSED (2 runs)" in shown


def test_one_slow_measurement_is_measured_again_before_it_fails():
    ctx = SimpleNamespace(client=FakeClient())
    # Seven requests a measurement (two warm-up): the first measurement is slow, the second is not.
    page = fake_page("page slowed by a burst", 10, *([30] * 7), 1)
    result = bench.measure_page(ctx, page, 5, [], retries=1)
    assert result["verdict"] == "met" and result["ok"] is True and result["attempts"] == 2


# --- the figures in the docs are written by make bench -------------------------------


def test_the_figures_in_the_docs_are_the_ones_make_bench_stored():
    stored = figures.stored()
    assert {report["database"] for _, report in stored} == {"sqlite", "postgresql"}
    performance = (figures.ROOT / figures.PERFORMANCE).read_text()
    for raw, report in stored:
        assert f"<!-- bench:{report['database']}:begin sha256={figures.digest(raw)} " in performance
    readme = (figures.ROOT / figures.README).read_text()
    assert f"<!-- bench:begin sha256={figures.digest(*(raw for raw, _ in stored))} " in readme
    # Every generated part is exactly what the stored results give: none was typed or edited.
    assert figures.stale() == [], "run python -m bench.figures (or make bench), do not edit the figures"


def test_the_readme_stays_short():
    assert (figures.ROOT / figures.README).stat().st_size < 12 * 1024


def fake_report(database, p95_ms, when="2026-12-06T01:00:00+00:00"):
    limit, judged = bench.verdict(p95_ms, 50, 1.0)
    return {
        "database": database,
        "sizes": {"entries": 100000, "follow_ups": 300000, "pupils": 8000},
        "busiest_pupil_entries": 353,
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "ram_gib": 4.0,
            "os": "Debian",
            "python": "3.11",
            "database": database,
            "load_average": 0.5,
        },
        "commit": "abc1234",
        "measured_at": when,
        "iterations": 100,
        "rule": {"margin": bench.MARGIN, "max_load": bench.MAX_LOAD, "retries": 1},
        "results": [
            {
                "page": "log form",
                "n": 100,
                "p50_ms": p95_ms / 2,
                "p95_ms": p95_ms,
                "queries": 5,
                "target_p95_ms": 50,
                "load": 1.0,
                "limit_ms": limit,
                "verdict": judged,
            }
        ],
    }


@pytest.fixture
def docs(tmp_path):
    (tmp_path / "docs").mkdir()
    for name in (figures.README, figures.PERFORMANCE):
        (tmp_path / name).write_text((figures.ROOT / name).read_text())
    return tmp_path


def part(path, tag):
    return re.search(rf"<!-- {tag}:begin.*?<!-- {tag}:end -->", path.read_text(), re.DOTALL).group(0)


def test_each_database_writes_its_own_figures_and_keeps_the_others(docs):
    figures.publish(fake_report("sqlite", 31.5), docs)
    sqlite_part = part(docs / figures.PERFORMANCE, "bench:sqlite")
    assert "| log form | 100 | 15.8 | 31.5 | 5 | 50 |" in sqlite_part

    figures.publish(fake_report("postgresql", 71.5), docs)
    assert part(docs / figures.PERFORMANCE, "bench:sqlite") == sqlite_part
    assert (
        "| log form | 100 | 35.8 | 71.5 | 5 | 50 | 1.00 | 62.5 | **MISSED** |"
        in docs.joinpath(figures.PERFORMANCE).read_text()
    )
    assert "| log form | 50 | 31.5 | 71.5 **MISSED** |" in part(docs / figures.README, "bench")

    postgresql_part = part(docs / figures.PERFORMANCE, "bench:postgresql")
    figures.publish(fake_report("sqlite", 12.25, "2026-12-07T09:30:00+00:00"), docs)
    assert part(docs / figures.PERFORMANCE, "bench:postgresql") == postgresql_part
    assert "Measured 2026-12-07 09:30 UTC at commit `abc1234`" in part(docs / figures.PERFORMANCE, "bench:sqlite")
    assert "| log form | 50 | 12.2 | 71.5 **MISSED** |" in part(docs / figures.README, "bench")
    assert figures.stale(docs) == []


def test_a_figure_typed_by_hand_is_found(docs):
    figures.publish(fake_report("sqlite", 31.5), docs)
    readme = docs / figures.README
    readme.write_text(readme.read_text().replace("| 31.5 |", "| 13.5 |"))
    assert figures.stale(docs) == [readme]
    figures.rewrite(docs)
    assert "| 31.5 |" in readme.read_text() and figures.stale(docs) == []


def test_the_commit_says_dirty_when_code_differs_but_not_for_the_figures_it_writes(docs):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=docs, check=True)

    (docs / "app.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    head = figures.commit(docs)
    assert re.fullmatch(r"[0-9a-f]{7,}", head)
    figures.publish(fake_report("sqlite", 31.5), docs)
    assert figures.commit(docs) == head
    (docs / "app.py").write_text("x = 2\n")
    assert figures.commit(docs) == f"{head} dirty"


def test_make_bench_exits_1_on_a_missed_page_and_writes_figures_only_for_a_whole_run(monkeypatch, capsys):
    report = fake_report("sqlite", 80.0)
    report["results"][0]["ok"] = False
    report["cpus"] = 2
    monkeypatch.setattr(bench, "run", lambda *args: report)
    published = []
    monkeypatch.setattr(figures, "publish", lambda r: published.append(r) or [])
    assert bench.main(["--database", "sqlite://", "--figures"]) == 1
    assert published == [report] and "MISSED" in capsys.readouterr().err
    assert bench.main(["--database", "sqlite://", "--figures", "--only", "log"]) == 1
    assert published == [report]  # a partial run leaves the docs' figures alone
    report["results"][0].update(ok=True, verdict="margin")
    assert bench.main(["--database", "sqlite://"]) == 0
