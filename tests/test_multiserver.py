"""Several app servers on one database: the sign-in limits are counted once for all
of them (Redis, RATELIMIT_STORAGE_URI), not per process; behind nginx, one of them
killed, nothing is lost or saved twice. Real programs: Debian's redis-server and
nginx, and gunicorn servers (two workers each), on free ports. Without redis-server
or nginx those tests skip, saying so; CI (CPOMS_REQUIRE_SERVERS=1) fails instead."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from bench import cluster, load
from bench.generate import Generator
from bench.load import Client, Stats
from cpoms.extensions import db

from conftest import free_port

PASSWORD = "bench-password-long"


def needs(*tools: str):
    missing = cluster.missing_tool(*tools)
    if missing and os.environ.get("CPOMS_REQUIRE_SERVERS") == "1":
        raise RuntimeError(f"CPOMS_REQUIRE_SERVERS=1 but {missing}")
    return pytest.mark.skipif(bool(missing), reason=missing or "")


no_redis = needs(cluster.REDIS_SERVER)

UNKNOWN = "nobody@ashgrove.example.org"


@pytest.fixture
def redis_url(tmp_path):
    process, url = cluster.start_redis(tmp_path)
    yield url
    cluster.stop(process)


def two_servers(app, tmp_path, storage: str):
    env = {
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_STORAGE_URI": storage,
        "SIGN_IN_RATE_LIMIT": "6 per minute",
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
    }
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            servers.append((port, cluster.start_gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], port, tmp_path, env)))
    except BaseException:
        for _, process in servers:
            cluster.stop(process)
        raise
    return servers


def forgot_posts(servers, count: int) -> list[int]:
    """The password-reset post from one address, to each server in turn (as a balancer
    would spread them), each from a client that fetched the form from that server."""
    clients = []
    for port, _ in servers:
        client = Client(port, Stats())
        client.request("form", "GET", "/login/forgot")
        clients.append(client)
    statuses = []
    for n in range(count):
        client = clients[n % len(clients)]
        status, _, _ = client.request(
            "forgot", "POST", "/login/forgot", {"csrf_token": client.token, "email": UNKNOWN}, expect=(303, 429)
        )
        statuses.append(status)
    return statuses


@no_redis
def test_the_sign_in_limit_holds_across_two_servers(app, world, tmp_path, redis_url):
    servers = two_servers(app, tmp_path, redis_url)
    try:
        statuses = forgot_posts(servers, 10)
    finally:
        for _, process in servers:
            cluster.stop(process)
    # Six in the minute, whichever server (and worker) took them; then every server refuses.
    assert statuses == [303] * 6 + [429] * 4


@needs(cluster.REDIS_SERVER, cluster.NGINX)
def test_two_servers_behind_nginx_lose_nothing_when_one_is_killed(app, monkeypatch):
    """bench/load.py --servers 2, small: people keep working through nginx while one app
    server is killed mid-load (CI runs it at full size: 100 users for 20 s)."""
    with app.app_context():
        db.session.remove()
        Generator(
            schools=2, pupils=60, entries=300, seed=5, password=PASSWORD, batch=500, echo=lambda *a, **k: None
        ).run()
        db.session.remove()
    monkeypatch.setattr(load, "CLUSTER_SIGN_IN_LIMIT", 40)  # over these 12 users' sign-ins, and quicker to reach
    result = load.run(
        app.config["SQLALCHEMY_DATABASE_URI"], users=12, duration=6, kill_after=2, port=0, password=PASSWORD, servers=2
    )
    print("\n" + load.report(result))
    assert not load.failed(result), load.report(result)
    assert result["killed"]["at_s"] >= 2 and result["error_count"] == 0 and result["lost_connections"] == 0
    assert result["entries"]["saved_responses"] > 0 and result["entries"]["entries_stored_twice"] == 0
    assert result["shared_sign_in_limit"]["shared"]
    assert result["alert_emails"]["delivered_twice"] == 0
    cluster.clean(Path(result["logs"]))


# --- what deploy/ gives an operator ---------------------------------------------------------

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_deployed_nginx_proxies_as_the_tested_one_does():
    """The load test's nginx runs deploy/nginx-several-servers.conf's proxying rules, line for line."""
    deployed = {line.strip() for line in (DEPLOY / "nginx-several-servers.conf").read_text().splitlines()}
    assert {line.strip() for line in cluster.PROXY_LOCATION.splitlines()} <= deployed
    assert "upstream cpoms {" in deployed


def test_every_unit_that_makes_the_disk_read_only_says_where_it_may_write():
    for unit in DEPLOY.glob("*.service"):
        text = unit.read_text()
        if "ProtectSystem=strict" in text:
            assert "ReadWritePaths=" in text, unit.name


@pytest.fixture
def config_overrides():
    # The in-process app of this module (the other tests run their own servers, configured apart).
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        "SIGN_IN_RATE_LIMIT": "3 per minute",
    }


def test_with_redis_down_sign_in_still_works_and_is_still_limited(app, client):
    """Redis unreachable: each process counts on its own (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)
    rather than every sign-in failing; the per-account lock is in the database regardless."""
    statuses = [client.post("/login/forgot", data={"email": UNKNOWN}).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


def test_a_response_the_kill_cut_off_is_sent_again_and_a_second_break_is_an_error():
    """What nginx cannot hide: a server killed after it began to answer. The simulated person
    sends the same form again (Save again); a request that breaks twice is an error."""
    listener = socket.create_server(("127.0.0.1", 0))
    bodies: list[bytes] = []
    cut_off = [True, False, True, True]  # the first answer cut off, the second whole; then two cut off

    def serve():
        for cut in cut_off:
            connection, _ = listener.accept()
            with connection, connection.makefile("rb") as request:
                head = list(iter(request.readline, b"\r\n"))
                bodies.append(request.read(next(int(h.split(b":")[1]) for h in head if b"Length" in h)))
                if cut:  # the headers of a 303 and part of its body, then the server is gone
                    connection.sendall(
                        b"HTTP/1.1 303 SEE OTHER\r\nLocation: /entries/7\r\nContent-Length: 99\r\n\r\nRedir"
                    )
                else:
                    connection.sendall(b"HTTP/1.1 303 SEE OTHER\r\nLocation: /entries/7\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    stats = Stats()
    client = Client(listener.getsockname()[1], stats)
    status, headers, _ = client.request("create an entry", "POST", "/log", {"submission_key": "k1"}, expect=(303,))
    assert (status, headers["Location"], stats.retried, stats.errors) == (303, "/entries/7", 1, [])
    assert bodies == [b"submission_key=k1"] * 2  # the same one-time key: a committed first try is "already saved"
    with pytest.raises(load.Lost):
        client.request("create an entry", "POST", "/log", {"submission_key": "k2"}, expect=(303,))
    assert stats.errors == ["create an entry POST /log: no answer, twice"] and len(stats.lost) == 3
    thread.join(timeout=5)
    listener.close()
