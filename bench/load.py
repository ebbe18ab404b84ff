"""A load test against gunicorn (2 workers, loopback), bounded in time, with an
optional kill -9 of one worker in the middle; or against several gunicorn servers
behind nginx, sharing Redis, with one whole server killed in the middle.

    python -m bench.load --database URL --users 100 --duration 30 --kill-after 10
    python -m bench.load --database URL --servers 2 --users 100 --duration 20 --kill-after 8

Simulated users sign in, then loop with a pause between steps: teachers log
concerns (the form, then the post), the safeguarding team and SLT work the review
queue (the queue, an entry, sometimes marking it reviewed) and read chronologies.
Each is a real HTTP client with its own session cookie and CSRF token, so the
app runs exactly as in production. The client is the standard library alone: it
runs from the app's own virtualenv, with nothing else to install.

Reported: requests and p50/p95 per page, errors (any unexpected status, a
request that broke twice, or a broken connection other than a response in flight
when the worker or server was killed: each broken request is sent again, as a
person presses Save again or reloads), and, when a worker was killed, that every
entry a response said was saved is in the database (and how many saves had no
answer). Each save
carries its own mark in the narrative, so an entry stored twice is counted, as
are alerts queued twice. With several servers, the sign-in limit is checked to be
one count across them (the reset post, sent to each server in turn, from one address).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from sqlalchemy import create_engine, text

from cpoms.submissions import ALREADY_SAVED
from cpoms.timefmt import now_utc, uk_local_input

from . import cluster
from .generate import DEFAULT_PASSWORD
from .run import percentile

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
ENTRY_LINK = re.compile(r'href="/entries/(\d+)"')
# The log form's one-time key (a retried POST would send the same one).
SUBMISSION_KEY = re.compile(
    r'name="submission_key"[^>]*value="([A-Za-z0-9_-]+)"|value="([A-Za-z0-9_-]+)"[^>]*name="submission_key"'
)


class Lost(Exception):
    """The connection broke before a response came (a killed worker)."""


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lost: list[tuple[float, str]] = field(default_factory=list)
    retried: int = 0  # requests answered when sent again after a broken connection
    saved: list[int] = field(default_factory=list)
    unanswered_saves: int = 0
    refused_saves: list[str] = field(default_factory=list)  # answered with an error the person sees
    already_saved: int = 0  # a retried save answered "already saved" (its first try had committed)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    def __init__(self, port: int, stats: Stats):
        self.port, self.stats, self.cookie, self.token = port, stats, "", ""

    def request(
        self, label: str, method: str, path: str, form: dict | None = None, expect: tuple[int, ...] = (200,)
    ) -> tuple[int, dict, str]:
        """The request; if its connection breaks (a response in flight when its server was
        killed), sent once more, as a person presses Save again or reloads: the same form,
        so a save that had committed is answered "already saved"."""
        try:
            return self._send(label, method, path, form, expect)
        except Lost:
            pass
        try:
            answer = self._send(label, method, path, form, expect)
        except Lost:
            with self.stats.lock:
                self.stats.errors.append(f"{label} {method} {path}: no answer, twice")
            raise
        with self.stats.lock:
            self.stats.retried += 1
        return answer

    def _send(self, label: str, method: str, path: str, form: dict | None, expect: tuple[int, ...]):
        body = urlencode(form, doseq=True) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            html = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            with self.stats.lock:
                self.stats.lost.append((time.monotonic(), f"{label}: {type(exc).__name__}"))
            raise Lost(label) from exc
        finally:
            connection.close()
        took = (time.perf_counter() - started) * 1000
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        with self.stats.lock:
            self.stats.times[label].append(took)
            if response.status not in expect:
                self.stats.errors.append(f"{label} {method} {path}: HTTP {response.status}")
        found = TOKEN.search(html)
        if found:
            self.token = found.group(1)
        return response.status, dict(response.getheaders()), html


@dataclass
class World:
    """What the simulated users need to know about the generated data."""

    schools: list[dict]
    categories: dict[str, int]
    secrets: dict[str, str]  # email -> TOTP secret, for the code step of sign-in
    # Simulated users of one account share its session: two people cannot pass the
    # code step with the same code (replays are refused), so the first signs in.
    sessions: dict[str, str] = field(default_factory=dict)
    account_locks: dict[str, threading.Lock] = field(default_factory=lambda: defaultdict(threading.Lock))
    # In every narrative saved by this run, with the save's own number: an entry stored twice shows.
    mark: str = field(default_factory=lambda: f"load-{os.getpid()}-{time.time_ns()}")


def load_world(url: str) -> World:
    engine = create_engine(url)
    with engine.connect() as conn:
        categories = dict(conn.execute(text("SELECT name, id FROM categories")).all())
        secrets = dict(conn.execute(text("SELECT email, totp_secret FROM users WHERE totp_secret IS NOT NULL")).all())
        schools = []
        for school_id, slug in conn.execute(text("SELECT id, slug FROM schools WHERE slug LIKE 'bench%' ORDER BY id")):
            pupils = list(conn.scalars(text("SELECT id FROM pupils WHERE school_id = :s AND active"), {"s": school_id}))
            busiest = list(
                conn.scalars(
                    text(
                        "SELECT ep.pupil_id FROM entry_pupils ep JOIN pupils p ON p.id = ep.pupil_id WHERE p.school_id = :s "
                        "GROUP BY ep.pupil_id ORDER BY count(*) DESC LIMIT 20"
                    ),
                    {"s": school_id},
                )
            )
            schools.append(
                {"id": school_id, "domain": f"{slug}.example.org", "pupils": pupils, "busiest": busiest or pupils[:20]}
            )
    engine.dispose()
    if not schools:
        raise SystemExit("no generated schools in this database: run `flask generate` first")
    return World(schools, categories, secrets)


def count_entries(url: str, ids: list[int] | None = None) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        if ids is None:
            found = conn.scalar(text("SELECT count(*) FROM entries"))
        else:
            found = 0
            for n in range(0, len(ids), 500):
                listed = ",".join(str(int(i)) for i in ids[n : n + 500])
                found += conn.scalar(text(f"SELECT count(*) FROM entries WHERE id IN ({listed})"))  # nosec B608
    engine.dispose()
    return found


def sign_in(client: Client, world: World, email: str, password: str) -> None:
    """Password, then the authenticator's code; or the session another simulated
    user of the same account already has."""
    with world.account_locks[email]:
        if email in world.sessions:
            client.cookie = world.sessions[email]
            return
        client.request("sign-in form", "GET", "/login")
        _, headers, _ = client.request(
            "sign-in",
            "POST",
            "/login",
            {"csrf_token": client.token, "email": email, "password": password},
            expect=(303,),
        )
        if "/login/two-factor" in headers.get("Location", ""):
            client.request("code form", "GET", "/login/two-factor")
            client.request(
                "code",
                "POST",
                "/login/two-factor",
                {"csrf_token": client.token, "code": pyotp.TOTP(world.secrets[email]).now()},
                expect=(303,),
            )
        world.sessions[email] = client.cookie


def simulated_user(
    n: int, port: int, world: World, password: str, stats: Stats, stop: threading.Event, started: threading.Barrier
) -> None:
    rng = random.Random(n)  # nosec B311
    school = world.schools[n % len(world.schools)]
    kind = "teacher" if n % 10 < 5 else "reviewer" if n % 10 < 8 else "reader"  # 50%, 30%, 20%
    account = {
        "teacher": f"teacher{1 + n % 20}",
        "reviewer": rng.choice(["dsl", "deputy", "slt"]),
        "reader": rng.choice(["dsl", "slt"]),
    }[kind]
    client = Client(port, stats)
    try:
        sign_in(client, world, f"{account}@{school['domain']}", password)
        client.request("home", "GET", "/")
    except Lost:
        pass
    started.wait()
    saves = 0
    while not stop.is_set():
        try:
            if kind == "teacher":
                _, _, form_html = client.request("log form", "GET", "/log")
                key = SUBMISSION_KEY.search(form_html)
                time.sleep(rng.uniform(0.5, 2))  # typing
                category = "Safeguarding" if rng.random() < 0.2 else rng.choice(["Behaviour", "First aid / medical"])
                saves += 1
                try:
                    status, headers, _ = client.request(
                        "create an entry",
                        "POST",
                        "/log",
                        {
                            "csrf_token": client.token,
                            "submission_key": (key.group(1) or key.group(2)) if key else "",
                            "pupil_ids": str(rng.choice(school["pupils"])),
                            "category": str(world.categories[category]),
                            "source": "staff_observation",
                            "occurred_at": uk_local_input(now_utc() - timedelta(minutes=5)),
                            "narrative": f"Load test entry by simulated user {n}, save {saves} [{world.mark}].",
                            "checked": "1",  # past the gentle check on a short narrative
                        },
                        expect=(303,),
                    )
                except Lost:
                    with stats.lock:
                        stats.unanswered_saves += 1
                    raise
                if status == 303 and "/entries/" in headers.get("Location", ""):
                    entry_id = int(headers["Location"].rsplit("/", 1)[1])
                    with stats.lock:
                        stats.saved.append(entry_id)
                    _, _, page = client.request("entry page", "GET", f"/entries/{entry_id}")
                    if ALREADY_SAVED in page:
                        with stats.lock:
                            stats.already_saved += 1
                else:
                    with stats.lock:
                        stats.refused_saves.append(f"user {n}, save {saves}: HTTP {status}")
            elif kind == "reviewer":
                _, _, html = client.request("review queue", "GET", "/review")
                listed = ENTRY_LINK.findall(html)
                if listed:
                    entry_id = rng.choice(listed)
                    client.request("entry page", "GET", f"/entries/{entry_id}")
                    if rng.random() < 0.3:
                        client.request(
                            "mark reviewed",
                            "POST",
                            f"/entries/{entry_id}/review",
                            {"csrf_token": client.token},
                            expect=(303,),
                        )
            else:
                pupil = rng.choice(school["busiest"])
                _, _, html = client.request("chronology", "GET", f"/pupils/{pupil}/chronology")
                if "Earlier entries" in html and rng.random() < 0.5:
                    client.request("chronology, earlier page", "GET", f"/pupils/{pupil}/chronology?page=1")
        except Lost:
            time.sleep(0.2)
        time.sleep(rng.uniform(0.5, 2.5))  # reading, thinking


def twice_stored(url: str, mark: str) -> dict:
    """Entries of this run stored more than once, and alerts queued more than once for one of them."""
    engine = create_engine(url)
    with engine.connect() as conn:
        like = {"mark": f"%[{mark}]%"}
        ours = "SELECT id FROM entries WHERE narrative LIKE :mark"
        entries = conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT narrative FROM entries WHERE narrative LIKE :mark GROUP BY narrative HAVING count(*) > 1) d"
            ),  # nosec B608
            like,
        )
        alerts = conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT entry_id, recipient_id, reason FROM alerts "  # nosec B608
                f"WHERE entry_id IN ({ours}) GROUP BY entry_id, recipient_id, reason HAVING count(*) > 1) d"
            ),
            like,
        )
        queued = conn.scalar(text(f"SELECT count(*) FROM alerts WHERE entry_id IN ({ours})"), like)  # nosec B608
    engine.dispose()
    return {"entries_stored_twice": entries, "alerts_queued_twice": alerts, "alerts_queued": queued}


MAIL_BASE_URL = "http://concerns.load.test"  # the links in alert emails: how the sink knows the entry

# The sign-in limit on the load's servers: the load's own sign-ins (about one an account, 100 at
# most) stay under it; the shared-limit check sends one more reset post than it allows.
CLUSTER_SIGN_IN_LIMIT = 200


def shared_limit_check(ports: list[int]) -> dict:
    """The reset post from one address, to each server in turn: the limit is one count for all
    of them (Redis), so exactly CLUSTER_SIGN_IN_LIMIT are accepted and then every server refuses."""
    stats = Stats()
    clients = []
    for port in ports:
        client = Client(port, stats)
        client.request("reset form", "GET", "/login/forgot")
        clients.append(client)
    statuses = []
    for n in range(CLUSTER_SIGN_IN_LIMIT + 2):
        client = clients[n % len(clients)]
        status, _, _ = client.request(
            "reset post",
            "POST",
            "/login/forgot",
            {"csrf_token": client.token, "email": "nobody@load.example.org"},
            expect=(303, 429),
        )
        statuses.append(status)
    accepted = statuses.count(303)
    return {
        "limit": CLUSTER_SIGN_IN_LIMIT,
        "servers": len(ports),
        "accepted": accepted,
        "refused": statuses.count(429),
        "shared": statuses == [303] * CLUSTER_SIGN_IN_LIMIT + [429] * 2 and not stats.errors,
    }


class Servers:
    """What the simulated users talk to: one gunicorn (a worker of it killed), or several
    behind nginx on one Redis (one whole server killed)."""

    def __init__(self, url: str, count: int, port: int, workdir: Path):
        self.backends: list[tuple[int, subprocess.Popen]] = []
        self.alert_workers: list[subprocess.Popen] = []
        self.redis = self.nginx = self.mail = None
        self.limit_check: dict = {}
        try:
            if count == 1:
                self.backends.append((port, cluster.start_gunicorn(url, port, workdir)))
                self.port = port
                return
            self.redis, redis_url = cluster.start_redis(workdir)
            env = {"RATELIMIT_STORAGE_URI": redis_url, "SIGN_IN_RATE_LIMIT": f"{CLUSTER_SIGN_IN_LIMIT} per minute"}
            # Alerts really sent: tried in the request that saved the entry (on whichever server
            # took it) and by an alert worker beside each server, to one SMTP server.
            self.mail = cluster.MailSink(MAIL_BASE_URL)
            env.update(
                MAIL_SERVER="127.0.0.1", MAIL_PORT=str(self.mail.port), MAIL_TIMEOUT="5", APP_BASE_URL=MAIL_BASE_URL
            )
            for n in range(count):
                backend = cluster.free_port()
                self.backends.append((backend, cluster.start_gunicorn(url, backend, workdir, env)))
                self.alert_workers.append(cluster.start_alert_worker(url, workdir, env, str(n)))
            self.limit_check = shared_limit_check([p for p, _ in self.backends])
            self.nginx, self.port = cluster.start_nginx(workdir, [p for p, _ in self.backends])
        except BaseException:
            self.stop()
            raise

    def kill(self) -> dict:
        if len(self.backends) == 1:
            victim = cluster.gunicorn_workers(self.backends[0][1].pid)[0]
            os.kill(victim, signal.SIGKILL)
            return {"what": f"worker {victim}", "pid": victim}
        # A server lost whole, as a machine dies: its master, every worker, and its alert worker at once.
        port, master = self.backends[-1]
        for pid in [master.pid, *cluster.gunicorn_workers(master.pid), self.alert_workers[-1].pid]:
            os.kill(pid, signal.SIGKILL)
        master.wait(timeout=10)
        self.alert_workers[-1].wait(timeout=10)
        return {"what": f"server on port {port} (master {master.pid} and its workers)", "pid": master.pid}

    def delivered(self, url: str, mark: str, wait: float = 60) -> dict:
        """Once the outbox of this run's entries is empty (or `wait` s): alerts delivered, and
        delivered twice (one recipient given one entry's alert more than once)."""
        if self.mail is None:
            return {}
        ours = "SELECT id FROM entries WHERE narrative LIKE :mark"
        engine = create_engine(url)
        deadline, settled = time.monotonic() + wait, 0
        try:
            # Nothing due any more, twice running (a row being sent by a live process is done in
            # a moment; one claimed by the killed server stays "sending" until the claim expires).
            while settled < 2:
                with engine.connect() as conn:
                    statuses = dict(
                        conn.execute(
                            text(f"SELECT status, count(*) FROM alerts WHERE entry_id IN ({ours}) GROUP BY status"),  # nosec B608
                            {"mark": f"%[{mark}]%"},
                        ).all()
                    )
                    entries = set(conn.scalars(text(ours), {"mark": f"%[{mark}]%"}))
                settled = settled + 1 if not statuses.get("pending") else 0
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
        finally:
            engine.dispose()
        with self.mail.lock:
            counted = Counter(d for d in self.mail.deliveries if d[1] in entries)
        return {
            "queued": sum(statuses.values()),
            "statuses": statuses,
            "delivered": sum(counted.values()),
            "delivered_twice": sum(1 for n in counted.values() if n > 1),
        }

    def stop(self) -> None:
        cluster.stop(self.nginx)
        for process in self.alert_workers:
            cluster.stop(process)
        for _, process in self.backends:
            cluster.stop(process, timeout=60)
        cluster.stop(self.redis)
        if self.mail is not None:
            self.mail.stop()


def run(
    url: str, users: int, duration: float, kill_after: float | None, port: int, password: str, servers: int = 1
) -> dict:
    world = load_world(url)
    before = count_entries(url)
    stats = Stats()
    workdir = Path(tempfile.mkdtemp(prefix="cpoms-load-"))
    serving = Servers(url, servers, port, workdir)
    killed: dict = {}
    try:
        stop, started = threading.Event(), threading.Barrier(users + 1)
        threads = [
            threading.Thread(
                target=simulated_user, args=(n, serving.port, world, password, stats, stop, started), daemon=True
            )
            for n in range(users)
        ]
        for thread in threads:
            thread.start()
        started.wait(timeout=300)
        began = time.monotonic()
        if kill_after is not None:
            time.sleep(kill_after)
            killed = serving.kill()
            killed.update(at_s=round(time.monotonic() - began, 1), monotonic=time.monotonic())
        time.sleep(max(0.0, duration - (time.monotonic() - began)))
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        elapsed = time.monotonic() - began
        mail = serving.delivered(url, world.mark)
    finally:
        serving.stop()
    after = count_entries(url)
    kept = count_entries(url, stats.saved)
    # A broken connection is expected only from a response in flight when the worker or server
    # was killed on purpose (nginx moves a request whose server died before answering, but one
    # whose answer had begun is cut off), and each was answered when sent again.
    unexpected_lost = [what for at, what in stats.lost if not killed or not 0 <= at - killed["monotonic"] < 5]
    pages = [
        {
            "page": label,
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
        }
        for label, times in sorted(stats.times.items())
    ]
    return {
        "database": url.split(":", 1)[0],
        "servers": servers,
        "users": users,
        "duration_s": round(elapsed, 1),
        "requests": sum(p["requests"] for p in pages),
        "pages": pages,
        "errors": stats.errors[:50],
        "error_count": len(stats.errors) + len(unexpected_lost),
        "lost_connections": len(stats.lost),
        "answered_when_sent_again": stats.retried,
        "killed": {k: v for k, v in killed.items() if k != "monotonic"},
        "entries": {
            "before": before,
            "after": after,
            "saved_responses": len(stats.saved),
            "saved_and_found": kept,
            "saves_without_response": stats.unanswered_saves,
            "saves_refused": len(stats.refused_saves),
            "answered_already_saved": stats.already_saved,
            **twice_stored(url, world.mark),
        },
        "shared_sign_in_limit": serving.limit_check,
        "alert_emails": mail,
        "moved_by_nginx": cluster.moved_requests(workdir) if servers > 1 else {},
        "logs": str(workdir),
    }


def report(result: dict) -> str:
    where = (
        "gunicorn (2 workers)"
        if result["servers"] == 1
        else f"{result['servers']} gunicorn servers (2 workers each) behind nginx, on one Redis"
    )
    lines = [
        f"{result['users']} users for {result['duration_s']} s against {where}: "
        f"{result['requests']} requests, {result['requests'] / result['duration_s']:.0f}/s, "
        f"{result['error_count']} errors",
        f"{'page':<28} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}",
    ]
    lines += [
        f"{p['page']:<28} {p['requests']:>8} {p['p50_ms']:>8.1f} {p['p95_ms']:>8.1f} {p['max_ms']:>8.1f}"
        for p in result["pages"]
    ]
    e = result["entries"]
    if result["killed"]:
        lines.append(
            f"kill -9 of the {result['killed']['what']} at {result['killed']['at_s']} s: "
            f"{result['lost_connections']} connections broken, {result['answered_when_sent_again']} "
            "answered when sent again"
        )
    lines.append(
        f"entries: {e['saved_responses']} responses said saved, {e['saved_and_found']} of them found; "
        f"{e['after'] - e['before']} new rows; {e['saves_without_response']} saves had no response, "
        f'{e["saves_refused"]} were answered with an error, {e["answered_already_saved"]} "already saved"; '
        f"{e['entries_stored_twice']} stored twice; "
        f"alerts: {e['alerts_queued']} queued, {e['alerts_queued_twice']} queued twice"
    )
    if result["moved_by_nginx"]:
        moved = ", ".join(f"{n} {method}" for method, n in sorted(result["moved_by_nginx"].items()))
        lines.append(f"moved by nginx to the live server: {moved} (logs in {result['logs']})")
    if result["alert_emails"]:
        m = result["alert_emails"]
        lines.append(
            f"alert emails: {m['delivered']} delivered for {m['queued']} queued ({m['statuses']}), "
            f"{m['delivered_twice']} delivered twice"
        )
    if result["shared_sign_in_limit"]:
        check = result["shared_sign_in_limit"]
        lines.append(
            f"sign-in limit {check['limit']} a minute across {check['servers']} servers: {check['accepted']} reset "
            f"posts accepted, then {check['refused']} refused ({'shared' if check['shared'] else 'NOT SHARED'})"
        )
    lines += result["errors"][:10]
    return "\n".join(lines)


def failed(result: dict) -> bool:
    e = result["entries"]
    lost_entries = e["saved_responses"] - e["saved_and_found"]
    # Every save that was answered is kept; a save cut off by the kill may or may not have committed.
    unexplained = (e["after"] - e["before"]) - e["saved_responses"] - e["saves_without_response"] - e["saves_refused"]
    shared = not result["shared_sign_in_limit"] or result["shared_sign_in_limit"]["shared"]
    mail = result["alert_emails"]
    return bool(
        result["error_count"]
        or lost_entries
        or unexplained > 0
        or e["entries_stored_twice"]
        or e["alerts_queued_twice"]
        or (mail and mail["delivered_twice"])
        or not shared
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL")
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30, help="seconds of load after every user signed in")
    parser.add_argument(
        "--kill-after",
        type=float,
        help="kill -9 one gunicorn worker (with --servers 2: a whole server) this many seconds in",
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="gunicorn servers; 2 or more run behind nginx on one Redis"
    )
    parser.add_argument("--port", type=int, default=8765, help="the one server's port (with --servers 1)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    if args.servers > 1 and (missing := cluster.missing_tool(cluster.REDIS_SERVER, cluster.NGINX)):
        raise SystemExit(f"--servers {args.servers} needs redis-server and nginx: {missing}")
    if args.servers > 1 and importlib.util.find_spec("aiosmtpd") is None:
        raise SystemExit(f"--servers {args.servers} sends the alerts to aiosmtpd: pip install -r requirements-dev.txt")
    result = run(args.database, args.users, args.duration, args.kill_after, args.port, args.password, args.servers)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 1 if failed(result) else 0


if __name__ == "__main__":
    raise SystemExit(main())
