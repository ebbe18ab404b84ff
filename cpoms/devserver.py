"""`make run`: the web server and the alert worker as one command, both stopped by one Ctrl+C.

    python -m cpoms.devserver [--host 127.0.0.1] [--port 5000]

With no MAIL_SERVER in the environment, both run with MAIL_BACKEND=mailbox: every
email goes to the local mailbox (instance/mailbox/, read at /mailbox). A MAIL_SERVER
in the environment is used instead, as in production.

If either process stops, the other is stopped too, and the launcher exits with its
code: a web server that could not take its port does not leave a worker running.
"""

from __future__ import annotations

import argparse
import os
import signal

# Runs this interpreter's flask with fixed arguments, no shell.
import subprocess  # nosec B404
import sys
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 5.0


def environment(base: dict[str, str], url: str) -> dict[str, str]:
    env = {**base, "CPOMS_DEV_URL": url}
    env["MAIL_BACKEND"] = "smtp" if env.get("MAIL_SERVER") else "mailbox"
    return env


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the launcher itself is killed (kill -9), never orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def commands(host: str, port: int, interval: float) -> dict[str, list[str]]:
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    return {
        "web server": [*flask, "run", "--host", host, "--port", str(port)],
        "alert worker": [*flask, "send-alerts", "--watch", "--interval", str(interval)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cpoms.devserver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between the worker's passes")
    args = parser.parse_args(argv)

    url = f"http://{args.host}:{args.port}"
    env = environment(dict(os.environ), url)
    print(f"Serving on {url}  (stop with Ctrl+C: it stops the alert worker too)", flush=True)
    if env.get("MAIL_BACKEND") == "mailbox":
        print(
            f"No MAIL_SERVER is configured: every email goes to the local mailbox, {url}/mailbox "
            "(saved as .eml files in instance/mailbox/).",
            flush=True,
        )
    else:
        print(f"Emails go to the mail server {env['MAIL_SERVER']}.", flush=True)

    stopping: list[int] = []

    def stop(signum, frame):
        stopping.append(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    children = {
        name: subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)  # nosec B603
        for name, command in commands(args.host, args.port, args.interval).items()
    }
    code = 0
    while not stopping:
        ended = [(name, child.returncode) for name, child in children.items() if child.poll() is not None]
        if ended:
            name, code = ended[0]
            print(f"The {name} stopped (exit code {code}): stopping the rest.", file=sys.stderr, flush=True)
            code = code or 1
            break
        time.sleep(0.2)
    return _stop_all(children, code)


def _stop_all(children: dict[str, subprocess.Popen], code: int) -> int:
    """SIGINT (what Ctrl+C gives) to each still running, then SIGKILL after a grace period."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return code


if __name__ == "__main__":
    sys.exit(main())
