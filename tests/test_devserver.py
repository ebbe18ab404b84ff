"""`make run`'s launcher (cpoms/devserver.py): the web server and the alert worker as
one command, in real processes on a free port; one Ctrl+C stops both, and neither is
left running when the other stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev_env(tmp_path_factory) -> dict[str, str]:
    """A fresh instance folder and SQLite database, migrated, and no mail server."""
    instance = tmp_path_factory.mktemp("instance")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "APP_BASE_URL"))}
    env.update(
        CPOMS_INSTANCE_DIR=str(instance), DATABASE_URL=f"sqlite:///{instance / 'dev.sqlite3'}", PYTHONUNBUFFERED="1"
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def wait_for(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a local test server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def launch(env, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cpoms.devserver", "--port", str(port), "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # its own group, as a terminal's foreground job


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.mark.parametrize("ctrl_c", ["to the launcher", "to the whole job, as a terminal sends it"])
def test_one_ctrl_c_stops_the_web_server_and_the_worker(dev_env, ctrl_c):
    port = free_port()
    launcher = launch(dev_env, port)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/mailbox")), "the web server did not start"
        children = children_of(launcher.pid)
        assert len(children) == 2 and all(running(pid) for pid in children)
        commands = {Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in children}
        assert any("send-alerts --watch" in c for c in commands) and any(" run " in c for c in commands)

        if ctrl_c == "to the launcher":
            launcher.send_signal(signal.SIGINT)
        else:
            os.killpg(launcher.pid, signal.SIGINT)
        launcher.wait(timeout=15)
        assert wait_for(lambda: not any(running(pid) for pid in children), timeout=5), "a child was left running"
        assert not _group_alive(launcher.pid)
        assert not answers(f"http://127.0.0.1:{port}/mailbox")
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
        output, _ = launcher.communicate(timeout=10)  # and closes the pipe
    assert f"http://127.0.0.1:{port}/mailbox" in output  # where the emails are


def test_a_web_server_that_cannot_start_takes_the_worker_down_with_it(dev_env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        launcher = launch(dev_env, port)
        try:
            assert launcher.wait(timeout=30) != 0
        finally:
            if launcher.poll() is None:
                os.killpg(launcher.pid, signal.SIGKILL)
            output, _ = launcher.communicate(timeout=10)
    assert "The web server stopped" in output
    assert wait_for(lambda: not _group_alive(launcher.pid), timeout=5), "the worker was left running"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
