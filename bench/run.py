"""`make bench`: server time and SQL queries of the pages that matter, on a generated database.

    python -m bench.run --database sqlite:////tmp/bench-1m.sqlite3 --json bench-1m.json

Each page is requested in-process through Flask's test client (no network, no
browser): the time is the app's, from the request to the finished response,
including the one commit of the request and its audit row. A bare route added
to the same app, measured in the same run, shows what the test client and the
request hooks cost on their own.

A page is one function decorated with @page: it gets the Context (a signed-in
client and sample ids) and returns the response, and may set its p95 target.

The verdict. A target is for this machine's size (2 cores) when it is quiet, but
the bench also runs on shared and loaded machines (CI beside other work, a laptop
in use), where every request takes longer for reasons that are not the page's.
So each page request follows one request of the bare route, and those bare
requests measure the load while that page, not another, is measured:

    load  = their wall time / their CPU time (this process's)
    limit = target x (1 + MARGIN) x load, load counted between 1 and MAX_LOAD
            (MARGIN = 0.25, MAX_LOAD = 8)

On a quiet machine load is about 1 (the bare route's one query, the session, is
its only wait); when other processes hold the cores it is 2 to 15, and it grows
as the page's own time does: waiting for a core, and for a database server that
waits for one too. A page's verdict is "met" (p95 under its target), "margin"
(over the target, under the limit) or "MISSED" (over the limit). A page that
misses is measured again (--retries, 1 by default) and fails only if it misses
every time: one burst of another process's work fails nothing, a page that is
really slower misses both times. The run exits 1 when any page MISSED.

So on a quiet machine a page fails at 1.25 x its target; on a loaded one, when it
is slower than the load measured beside it explains; and past a load of 8 (a
machine too busy to judge) the limit stops growing, so a page over 10 x its
target fails anywhere. The bare route is the yardstick because it runs in the
same process, milliseconds from each page request, and pays the test client and
the request hooks the pages pay too. Its blind spot: a regression in what every
request does (a hook that waits) raises the load it measures; its own p50 is in
the JSON (bare_p50_ms) beside its CPU time (bare_cpu_p50_ms) to compare.

With --figures (`make bench` sets it) the results are also stored as
docs/bench/<database>.json and written into README.md and docs/performance.md
(bench/figures.py): SQLite and PostgreSQL each keep their own figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pyotp
from sqlalchemy import event, func, select

from config import Config
from cpoms import create_app
from cpoms.extensions import db
from cpoms.reports.periods import current_academic_year
from cpoms.models import Category, Entry, EntryPupil, FollowUp, Pupil, User
from cpoms.timefmt import now_utc, uk_local_input

from . import figures
from .generate import DEFAULT_PASSWORD

BARE = "/_bench/bare"


@dataclass
class Page:
    name: str
    run: Callable
    target_ms: float | None
    iterations: int | None
    expect: int


PAGES: list[Page] = []


def page(name: str, target_ms: float | None = None, iterations: int | None = None, expect: int = 200):
    """Register a measured page; `target_ms` is its p95 target (None: reported only)."""

    def register(run):
        PAGES.append(Page(name, run, target_ms, iterations, expect))
        return run

    return register


@dataclass
class Context:
    app: object
    client: object
    password: str
    dsl: User
    busiest_pupil: int
    busiest_count: int
    pupil_500: int  # the pupil with the fewest entries of those with 500 or more (the busiest if none)
    pupils: list[int]
    entries: list[int]
    safeguarding: int
    trust_client: object = None  # signed in as the trust representative: trust-wide reports
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # nosec B311


# --- signing in: the one part that changes with the sign-in rewrite ---------------


def sign_in(client, email: str, password: str):
    """The password step: POST /login (then the code step, for roles that need it)."""
    return client.post("/login", data={"email": email, "password": password})


def sign_in_fully(client, user: User, password: str) -> bool:
    """Password, then the code an authenticator would show now (the bench's accounts
    that need two-factor sign-in are enrolled by the generator)."""
    response = sign_in(client, user.email, password)
    if response.status_code == 303 and "/login/two-factor" in response.headers.get("Location", ""):
        totp = pyotp.TOTP(user.totp_secret)
        response = client.post("/login/two-factor", data={"code": totp.now()})
        if response.status_code != 303:
            # A code is accepted once: another run that signed in during this 30-second
            # step has used it. The next step's code is new.
            time.sleep(totp.interval - time.time() % totp.interval + 1)
            response = client.post("/login/two-factor", data={"code": totp.now()})
    return response.status_code == 303 and "/login" not in response.headers.get("Location", "")


# --- the pages --------------------------------------------------------------------


@page("bare Flask route (baseline)")
def bare(ctx: Context):
    return ctx.client.get(BARE)


@page("sign-in, password step (POST /login)", iterations=20, expect=303)
def signing_in(ctx: Context):
    return sign_in(ctx.app.test_client(), ctx.dsl.email, ctx.password)


@page("log form", target_ms=50)
def log_form(ctx: Context):
    return ctx.client.get("/log")


PREFIXES = ["am", "ol", "is", "no", "ha", "mu", "pat", "kh", "sin", "ev", "ta", "wil"]


@page("pupil typeahead", target_ms=20)
def typeahead(ctx: Context):
    return ctx.client.get(
        "/log/pupils",
        query_string={"q": ctx.rng.choice(PREFIXES)},
        headers={"HX-Request": "true", "HX-Target": "pupil-results"},
    )


@page("create an entry (with alerts)", target_ms=50, expect=303)
def create_entry(ctx: Context):
    return ctx.client.post(
        "/log",
        data={
            "submission_key": secrets.token_urlsafe(24),  # a fresh form's one-time key
            "pupil_ids": str(ctx.rng.choice(ctx.pupils)),
            "category": str(ctx.safeguarding),
            "source": "staff_observation",
            "occurred_at": uk_local_input(now_utc() - timedelta(minutes=10)),
            "narrative": "Benchmark entry: a mark seen on the forearm during PE.",
            "checked": "1",  # past the gentle check on a short narrative
        },
    )


@page("entry page", target_ms=50)
def entry_page(ctx: Context):
    return ctx.client.get(f"/entries/{ctx.rng.choice(ctx.entries)}")


@page("review queue", target_ms=50)
def review_queue(ctx: Context):
    return ctx.client.get("/review")


@page("chronology, 500-entry pupil (first page)", target_ms=150, iterations=50)
def chronology(ctx: Context):
    return ctx.client.get(f"/pupils/{ctx.pupil_500}/chronology")


@page("chronology, busiest pupil (first page)", iterations=50)
def busiest_chronology(ctx: Context):
    return ctx.client.get(f"/pupils/{ctx.busiest_pupil}/chronology")


@page("reports, whole trust, previous academic year", target_ms=300, iterations=30)
def reports(ctx: Context):
    return ctx.trust_client.get("/reports", query_string={"year": str(current_academic_year() - 1)})


@page("reports, one school, previous academic year", target_ms=300, iterations=30)
def reports_one_school(ctx: Context):
    return ctx.client.get("/reports", query_string={"year": str(current_academic_year() - 1)})


@page("chronology PDF, 500-entry pupil", target_ms=1500, iterations=5)
def chronology_pdf(ctx: Context):
    return ctx.client.get(f"/pupils/{ctx.pupil_500}/chronology.pdf")


@page("chronology PDF, busiest pupil", target_ms=5000, iterations=5)
def busiest_chronology_pdf(ctx: Context):
    return ctx.client.get(f"/pupils/{ctx.busiest_pupil}/chronology.pdf")


SEARCH_WORDS = ["bruise", "hungry", "upset", "parent", "late", "tired", "pushed", "phoned"]


@page("search, one common word", target_ms=200, iterations=50)
def search(ctx: Context):
    return ctx.client.get("/search", query_string={"q": ctx.rng.choice(SEARCH_WORDS)})


@page("search, two words", target_ms=200, iterations=50)
def search_two(ctx: Context):
    return ctx.client.get("/search", query_string={"q": " ".join(ctx.rng.sample(SEARCH_WORDS, 2))})


# --- the harness ------------------------------------------------------------------


class BenchConfig(Config):
    # Forms are posted without fetching them first: the token check is not what is measured.
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = ""  # alerts are written to the outbox and stay queued: no SMTP in the timing


def make_context(app, password: str) -> Context:
    busiest_pupil, busiest_count = db.session.execute(
        select(EntryPupil.pupil_id, func.count()).group_by(EntryPupil.pupil_id).order_by(func.count().desc()).limit(1)
    ).one()
    pupil_500 = (
        db.session.scalar(
            select(EntryPupil.pupil_id)
            .join(Pupil, Pupil.id == EntryPupil.pupil_id)
            .where(Pupil.school_id == db.session.get(Pupil, busiest_pupil).school_id)
            .group_by(EntryPupil.pupil_id)
            .having(func.count() >= 500)
            .order_by(func.count())
            .limit(1)
        )
        or busiest_pupil
    )
    school_id = db.session.get(Pupil, busiest_pupil).school_id
    dsl = db.session.scalar(
        select(User).where(User.email.like("dsl@%")).join(User.roles).where(User.roles.any(school_id=school_id))
    )
    pupils = list(db.session.scalars(select(Pupil.id).where(Pupil.school_id == school_id)))
    entries = list(
        db.session.scalars(select(Entry.id).where(Entry.school_id == school_id).order_by(Entry.id.desc()).limit(5000))
    )
    safeguarding = db.session.scalar(select(Category.id).where(Category.name == "Safeguarding"))
    db.session.expunge(dsl)
    rng = random.Random(7)  # nosec B311
    return Context(
        app,
        app.test_client(),
        password,
        dsl,
        busiest_pupil,
        busiest_count,
        pupil_500,
        pupils,
        rng.sample(entries, min(500, len(entries))),
        safeguarding,
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


# --- the verdict: the rule written in the module's docstring ------------------------

MARGIN = 0.25  # a page's p95 may exceed its target by a quarter before it fails
MAX_LOAD = 8.0  # past this a machine is too busy to excuse more: a page over its limit fails


def load_factor(bare_wall_ms: list[float], bare_cpu_ms: list[float]) -> float:
    """How much longer than its own CPU time the bare route took while a page was measured
    (about 1 on a quiet machine; the verdict counts it between 1 and MAX_LOAD)."""
    return round(sum(bare_wall_ms) / max(sum(bare_cpu_ms), 1e-6), 2)


def verdict(p95_ms: float, target_ms: float | None, load: float) -> tuple[float | None, str | None]:
    """The page's limit and its verdict: "met" (p95 under the target), "margin" (over the
    target, under the limit: noise or a loaded machine), "MISSED" (fails the run)."""
    if target_ms is None:
        return None, None
    limit = round(target_ms * (1 + MARGIN) * min(MAX_LOAD, max(1.0, load)), 1)
    if p95_ms < target_ms:
        return limit, "met"
    return limit, "margin" if p95_ms <= limit else "MISSED"


def timed(call) -> tuple:
    """The response, and the wall and CPU (this process) milliseconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = call()
    return response, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(ctx: Context, item: Page, iterations: int, statements: list) -> dict:
    """Each request of the page follows one of the bare route: the bare requests say how
    loaded the machine was while this page, not another, was measured."""
    times, queries, bare_wall, bare_cpu = [], [], [], []
    for n in range(iterations + 2):  # two warm-up requests
        _, probe_wall, probe_cpu = timed(lambda: ctx.client.get(BARE))
        statements.clear()
        response, took, _ = timed(lambda: item.run(ctx))
        if response.status_code != item.expect:
            raise SystemExit(
                f"{item.name}: HTTP {response.status_code}, expected {item.expect}\n"
                + response.get_data(as_text=True)[:2000]
            )
        if n >= 2:
            times.append(took)
            queries.append(len(statements))
            bare_wall.append(probe_wall)
            bare_cpu.append(probe_cpu)
    p95 = round(percentile(times, 0.95), 2)
    load = load_factor(bare_wall, bare_cpu)
    limit, judged = verdict(p95, item.target_ms, load)
    return {
        "page": item.name,
        "n": iterations,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": p95,
        "max_ms": round(max(times), 2),
        "queries": max(queries),
        "target_p95_ms": item.target_ms,
        "bare_p50_ms": round(statistics.median(bare_wall), 2),
        "bare_cpu_p50_ms": round(statistics.median(bare_cpu), 2),
        "load": load,
        "limit_ms": limit,
        "verdict": judged,
        "ok": None if judged is None else judged != "MISSED",
    }


def measure_page(ctx: Context, item: Page, iterations: int, statements: list, retries: int) -> dict:
    """A page that misses is measured again (up to `retries` times): it fails only when every
    measurement misses, so one burst of another process's work does not fail a healthy page."""
    result = measure(ctx, item, iterations, statements)
    for attempt in range(retries):
        if result["ok"] is not False:
            break
        print(
            f"  {item.name}: p95 {result['p95_ms']:g} ms over {result['limit_ms']:g}, measuring again", file=sys.stderr
        )
        again = measure(ctx, item, iterations, statements)
        result = again if again["p95_ms"] / again["limit_ms"] < result["p95_ms"] / result["limit_ms"] else result
        result["attempts"] = attempt + 2
    return result


def run(database: str, iterations: int, password: str, only: list[str], retries: int = 1) -> dict:
    class Configured(BenchConfig):
        SQLALCHEMY_DATABASE_URI = database

    app = create_app(Configured)
    app.add_url_rule(BARE, "bench_bare", lambda: "ok")
    with app.app_context():
        sizes = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (("entries", Entry), ("follow_ups", FollowUp), ("pupils", Pupil))
        }
        ctx = make_context(app, password)
        trust_rep = db.session.scalar(select(User).where(User.email.like("trust@%")))
        db.session.expunge(trust_rep)
        engine = db.engine
        machine = figures.machine(db.session.connection())
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    if not sign_in_fully(ctx.client, ctx.dsl, password):
        raise SystemExit(f"could not sign in as {ctx.dsl.email} with the password given")
    ctx.trust_client = app.test_client()
    if not sign_in_fully(ctx.trust_client, trust_rep, password):
        raise SystemExit(f"could not sign in as {trust_rep.email} with the password given")
    commit = figures.commit()
    started = now_utc()
    results = []
    try:
        for item in PAGES:
            if only and not any(word in item.name for word in only):
                continue
            results.append(measure_page(ctx, item, item.iterations or iterations, statements, retries))
            print(f"  measured {item.name}", file=sys.stderr)
    finally:
        with app.app_context():
            db.session.remove()
        engine.dispose()
    return {
        "database": engine.dialect.name,
        "url": engine.url.render_as_string(hide_password=True),
        "sizes": sizes,
        "busiest_pupil_entries": ctx.busiest_count,
        "signed_in_as": ctx.dsl.email,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": machine,
        "commit": commit,
        "measured_at": started.isoformat(timespec="seconds"),
        "iterations": iterations,
        "partial": bool(only),
        "rule": {"margin": MARGIN, "max_load": MAX_LOAD, "retries": retries},
        "results": results,
    }


def table(report: dict) -> str:
    sizes = report["sizes"]
    rule = report["rule"]
    lines = [
        f"{report['database']}: {sizes['entries']:,} entries, {sizes['follow_ups']:,} follow-ups, "
        f"{sizes['pupils']:,} pupils; busiest pupil {report['busiest_pupil_entries']:,} entries; "
        f"{report['cpus']} CPUs; commit {report['commit']}",
        f"limit = target x {1 + rule['margin']:g} x load (load: the bare route's wall time over its CPU time "
        f"beside each page, counted 1 to {rule['max_load']:g}); a miss is measured again {rule['retries']} time(s)",
        f"{'page':<50} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'target':>7} {'load':>5} "
        f"{'limit':>6}  verdict",
    ]
    for r in report["results"]:
        target = f"<{r['target_p95_ms']:g}" if r["target_p95_ms"] else ""
        limit = f"{r['limit_ms']:g}" if r["limit_ms"] else ""
        again = f" ({r['attempts']} runs)" if r.get("attempts") else ""
        lines.append(
            f"{r['page']:<50} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['queries']:>7} {target:>7} "
            f"{r['load']:>5.2f} {limit:>6}  {r['verdict'] or ''}{again}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL")
    )
    parser.add_argument("--iterations", type=int, default=100, help="requests a page (pages may set fewer)")
    parser.add_argument("--retries", type=int, default=1, help="measure a page that misses again this many times")
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument(
        "--figures",
        action="store_true",
        help="store the results in docs/bench/ and rewrite the generated parts of README.md and docs/performance.md",
    )
    parser.add_argument("--only", action="append", default=[], help="measure pages whose name contains this")
    args = parser.parse_args(argv)
    report = run(args.database, args.iterations, args.password, args.only, args.retries)
    print(table(report))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)
    if args.figures:
        if args.only:
            print("figures not written: --only measured some pages, the docs show every page", file=sys.stderr)
        else:
            for path in figures.publish(report):
                print(f"wrote {path}", file=sys.stderr)
    missed = [r["page"] for r in report["results"] if r["ok"] is False]
    if missed:
        print(f"MISSED (p95 over its limit): {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
