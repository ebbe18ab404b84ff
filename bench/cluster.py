"""Several app servers on one machine, as a trust runs them on several: gunicorn
servers sharing one database and one Redis, behind nginx. Used by the load test
(bench/load.py --servers 2) and tests/test_multiserver.py. Each part is a real
program started in the foreground of a temporary directory and stopped by the
caller; nothing here is installed or left behind."""

from __future__ import annotations

import email
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "/usr/bin/redis-server"
NGINX = "/usr/sbin/nginx"


def missing_tool(*paths: str) -> str | None:
    """Why this cannot run here (a tool Debian installs is absent), or None."""
    for path in paths:
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install {Path(path).name})"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(args: list[str], log: Path, **kwargs) -> subprocess.Popen:
    with open(log, "w") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, **kwargs)


def _wait_for(port: int, process: subprocess.Popen, what: str, log: Path, probe=None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if probe is None:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{what} did not start on port {port}: {log.read_text()[-2000:] if log.exists() else ''}")


def stop(process: subprocess.Popen | None, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """Debian's redis-server on a free loopback port, no persistence; returns it and its URL."""
    port = free_port()
    log = workdir / "redis.log"
    process = _spawn(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], log, cwd=workdir
    )
    _wait_for(port, process, "redis-server", log)
    return process, f"redis://127.0.0.1:{port}/0"


def start_gunicorn(url: str, port: int, workdir: Path, env: dict | None = None, workers: int = 2) -> subprocess.Popen:
    """One app server: gunicorn with sync workers on a loopback port, ready when /login answers."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "CPOMS_INSTANCE_DIR": str(workdir),
        "SECRET_KEY": "load-test-only",
        "MAIL_SERVER": "",
        "HTMX_CDN_URL": "",
        **(env or {}),
    }
    log = workdir / f"gunicorn-{port}.log"
    process = _spawn(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "app:app",
        ],
        log,
        cwd=ROOT,
        env=environment,
    )

    def answers() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/login")
            return connection.getresponse().status == 200 and len(gunicorn_workers(process.pid)) == workers
        finally:
            connection.close()

    _wait_for(port, process, "gunicorn", log, probe=answers, seconds=60)
    return process


def gunicorn_workers(master: int) -> list[int]:
    workers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                workers.append(int(entry))
    return sorted(workers)


def nginx_config(workdir: Path, port: int, upstreams: list[int]) -> str:
    """deploy/nginx-several-servers.conf's upstream and location, on plain HTTP, with
    every path nginx writes kept inside workdir (it runs unprivileged, in the foreground)."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstreams)
    return f"""worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    upstream cpoms {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 30m;
        location / {{
{PROXY_LOCATION}
        }}
    }}
}}
"""


# The proxying rules, the same text as in deploy/nginx-several-servers.conf (a test checks).
PROXY_LOCATION = """            proxy_pass http://cpoms;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;"""


def start_alert_worker(url: str, workdir: Path, env: dict, name: str) -> subprocess.Popen:
    """`flask send-alerts --watch`, as deploy/cpoms-alerts.service runs it beside each server."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "CPOMS_INSTANCE_DIR": str(workdir),
        "SECRET_KEY": "load-test-only",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    return _spawn(
        [sys.executable, "-m", "flask", "--app", "app", "send-alerts", "--watch", "--interval", "1"],
        workdir / f"alerts-{name}.log",
        cwd=ROOT,
        env=environment,
    )


class MailSink:
    """A real SMTP server (aiosmtpd, a development requirement) that keeps who got a link to
    which entry: an alert delivered twice is the same pair twice."""

    def __init__(self, base_url: str):
        from aiosmtpd.controller import Controller

        self.base_url, self.port = base_url, free_port()
        self.deliveries: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        text = " ".join(
            part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace")
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
        found = re.search(re.escape(self.base_url) + r"/entries/(\d+)", text)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.deliveries.append((recipient, int(found.group(1)) if found else 0))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


def moved_requests(workdir: Path) -> dict[str, int]:
    """Requests nginx sent to a server that failed them (connection refused or cut) and so passed
    to the next one, by method: its error log names each failed attempt ([error], then a [warn]
    that the server is set aside), by the client connection's number."""
    attempts: dict[str, str] = {}
    log = workdir / "nginx-error.log"
    for line in log.read_text().splitlines() if log.exists() else []:
        if "[error]" in line and "upstream" in line and 'request: "' in line:
            connection = line.split(" *", 1)[1].split(" ", 1)[0]
            attempts[connection] = line.split('request: "', 1)[1].split(" ", 1)[0]
    moved: dict[str, int] = {}
    for method in attempts.values():
        moved[method] = moved.get(method, 0) + 1
    return moved


def start_nginx(workdir: Path, upstreams: list[int]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if os.geteuid() == 0:
        # Started by root (CI), nginx's workers run as nobody: they must reach the temporary
        # folders nginx makes for them here (a large response or upload is buffered to disk).
        workdir.chmod(0o711)
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(workdir, port, upstreams))
    log = workdir / "nginx-error.log"
    process = _spawn([NGINX, "-c", str(conf), "-p", str(workdir), "-e", str(log)], workdir / "nginx.out", cwd=workdir)
    _wait_for(port, process, "nginx", log)
    return process, port


def clean(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
