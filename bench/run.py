"""`make bench`: server time and SQL queries of the pages that matter, on a generated database.

    python -m bench.run --database sqlite:////tmp/bench-1m.sqlite3 --json bench-1m.json

Each page is requested in-process through Flask's test client (no network, no
browser): the time is the app's, from the request to the finished response,
including the one commit of the request and its audit row. A bare route added
to the same app, measured in the same run, shows what the test client and the
request hooks cost on their own.

A page is one function decorated with @page: it gets the Context (a signed-in
client and sample ids) and returns the response. Reports and search are not
built yet; each will be one more @page function with its target.
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
        response = client.post("/login/two-factor", data={"code": pyotp.TOTP(user.totp_secret).now()})
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


def measure(ctx: Context, item: Page, iterations: int, statements: list) -> dict:
    times, queries = [], []
    for n in range(iterations + 2):  # two warm-up requests
        statements.clear()
        started = time.perf_counter()
        response = item.run(ctx)
        took = (time.perf_counter() - started) * 1000
        if response.status_code != item.expect:
            raise SystemExit(
                f"{item.name}: HTTP {response.status_code}, expected {item.expect}\n"
                + response.get_data(as_text=True)[:2000]
            )
        if n >= 2:
            times.append(took)
            queries.append(len(statements))
    return {
        "page": item.name,
        "n": iterations,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "queries": max(queries),
        "target_p95_ms": item.target_ms,
        "ok": None if item.target_ms is None else percentile(times, 0.95) < item.target_ms,
    }


def run(database: str, iterations: int, password: str, only: list[str]) -> dict:
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
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    if not sign_in_fully(ctx.client, ctx.dsl, password):
        raise SystemExit(f"could not sign in as {ctx.dsl.email} with the password given")
    ctx.trust_client = app.test_client()
    if not sign_in_fully(ctx.trust_client, trust_rep, password):
        raise SystemExit(f"could not sign in as {trust_rep.email} with the password given")
    results = []
    try:
        for item in PAGES:
            if only and not any(word in item.name for word in only):
                continue
            results.append(measure(ctx, item, item.iterations or iterations, statements))
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
        "measured_at": now_utc().isoformat(timespec="seconds"),
        "results": results,
    }


def table(report: dict) -> str:
    sizes = report["sizes"]
    lines = [
        f"{report['database']}: {sizes['entries']:,} entries, {sizes['follow_ups']:,} follow-ups, "
        f"{sizes['pupils']:,} pupils; busiest pupil {report['busiest_pupil_entries']:,} entries; "
        f"{report['cpus']} CPUs",
        f"{'page':<50} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'target':>7}  ok",
    ]
    for r in report["results"]:
        target = f"<{r['target_p95_ms']:g}" if r["target_p95_ms"] else ""
        ok = {True: "yes", False: "NO", None: ""}[r["ok"]]
        lines.append(
            f"{r['page']:<50} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['queries']:>7} {target:>7}  {ok}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL")
    )
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--only", action="append", default=[], help="measure pages whose name contains this")
    args = parser.parse_args(argv)
    report = run(args.database, args.iterations, args.password, args.only)
    print(table(report))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)
    missed = [r["page"] for r in report["results"] if r["ok"] is False]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
