"""The benchmark's figures in the docs, written only from `make bench`'s results.

    python -m bench.figures           # rewrite the generated parts from docs/bench/*.json
    python -m bench.figures --check   # exit 1 if a generated part is not what they give

`make bench` (bench/run.py --figures) stores its results as docs/bench/<database>.json,
then rewrites, from every stored file, the parts of README.md and docs/performance.md
between the markers `<!-- bench…:begin … -->` and `<!-- bench…:end -->`. Each database
has its own file and its own part of docs/performance.md; the README's summary has one
column per database. Running it on SQLite leaves PostgreSQL's figures as they were, and
the other way round. Each begin marker carries a hash of the JSON it was written from,
and tests/test_bench.py rewrites the parts from the stored JSON and compares: a figure
typed by hand, or a stored file changed without rewriting, fails the test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess  # nosec B404: git, with fixed arguments
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
STORE = "docs/bench"
README = "README.md"
PERFORMANCE = "docs/performance.md"
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
VERDICTS = {"met": "met", "margin": "over target, within the margin", "MISSED": "**MISSED**"}
SUMMARY = {"margin": " (margin)", "MISSED": " **MISSED**"}


# --- what the run records about where it ran --------------------------------------


def _first_line(path: str, prefix: str) -> str | None:
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(":" if ":" in line else "=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def machine(connection) -> dict:
    """CPU, cores, memory, system, Python and database server of this run."""
    memory = _first_line("/proc/meminfo", "MemTotal")
    if connection.dialect.name == "postgresql":
        database = "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar().split()[0]
    else:
        database = "SQLite " + connection.execute(text("SELECT sqlite_version()")).scalar()
    return {
        "cpu": _first_line("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.split()[0]) / 1024**2, 1) if memory else None,
        "os": _first_line("/etc/os-release", "PRETTY_NAME") or platform.platform(),
        "python": platform.python_version(),
        "database": database,
        "load_average": round(os.getloadavg()[0], 2),
    }


def commit(root: Path = ROOT) -> str:
    """The short commit, with " dirty" when tracked files differ from it (the files this
    module writes do not count: a run on one database leaves them changed for the next)."""
    written = [f":(exclude){path}" for path in (STORE, README, PERFORMANCE)]
    try:
        head = _git(root, "rev-parse", "--short", "HEAD")
        changed = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", *written)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} dirty" if changed else head


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)  # nosec B603 B607
    return done.stdout.strip()


# --- the generated text -----------------------------------------------------------


def digest(*raw: str) -> str:
    return hashlib.sha256("".join(raw).encode()).hexdigest()[:16]


def _when(report: dict) -> str:
    return datetime.fromisoformat(report["measured_at"]).strftime("%Y-%m-%d %H:%M UTC")


def _data(report: dict) -> str:
    sizes = report["sizes"]
    return (
        f"{sizes['entries']:,} entries, {sizes['follow_ups']:,} follow-ups, {sizes['pupils']:,} pupils "
        f"(the busiest pupil has {report['busiest_pupil_entries']:,} entries)"
    )


def _ms(value) -> str:
    return "" if value is None else f"{value:,.1f}"


def _target(value) -> str:
    return "" if value is None else f"{value:,g}"


def performance_part(report: dict) -> str:
    """The database's part of docs/performance.md: where, when, on what, and every page."""
    m, rule = report["machine"], report["rule"]
    lines = [
        f"### {DATABASES[report['database']]}",
        "",
        f"Measured {_when(report)} at commit `{report['commit']}`: {_data(report)}; "
        f"{report['iterations']} requests a page unless the page sets fewer.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}, "
        f"{m['database']}; load average {m['load_average']:g} when the run began.",
        f"Limit = target × {1 + rule['margin']:g} × load (load counted between 1 and {rule['max_load']:g}); "
        f"a page over its limit was measured again up to {rule['retries']} time(s).",
        "",
        "| page | n | p50 ms | p95 ms | queries | target p95 | load | limit | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        judged = VERDICTS.get(r["verdict"], "")
        if r.get("attempts"):
            judged += f" ({r['attempts']} runs)"
        lines.append(
            f"| {r['page']} | {r['n']} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {r['queries']} "
            f"| {_target(r['target_p95_ms'])} | {r['load']:.2f} | {_target(r['limit_ms'])} | {judged} |"
        )
    judged = [r for r in report["results"] if r["verdict"]]
    missed = [r["page"] for r in judged if r["verdict"] == "MISSED"]
    lines += [
        "",
        f"{len(judged) - len(missed)} of {len(judged)} pages with a target within their limit"
        + (f"; missed: {', '.join(missed)}." if missed else "."),
    ]
    return "\n".join(lines)


def readme_part(reports: list[dict]) -> str:
    """The README's summary: each page's p95 on each database, and where each came from."""
    pages: list[str] = []
    targets: dict[str, float | None] = {}
    for report in reports:
        for r in report["results"]:
            if r["page"] not in targets:
                pages.append(r["page"])
            targets[r["page"]] = r["target_p95_ms"]
    p95 = {(report["database"], r["page"]): r for report in reports for r in report["results"]}
    names = [DATABASES[report["database"]] for report in reports]
    lines = [
        "Server time per page, p95 in milliseconds, from the last `make bench` on each database "
        "(margin: over the target, within the margin a loaded machine is allowed; "
        "[the rule, the machine, every figure](docs/performance.md#latest-figures)):",
        "",
        "| page | target | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for name in pages:
        cells = []
        for report in reports:
            r = p95.get((report["database"], name))
            cells.append("" if r is None else _ms(r["p95_ms"]) + SUMMARY.get(r["verdict"], ""))
        lines.append(f"| {name} | {_target(targets[name])} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "; ".join(
            f"{DATABASES[r['database']]}: {r['sizes']['entries']:,} entries, {_when(r)}, `{r['commit']}`, "
            f"load average {r['machine']['load_average']:g}"
            for r in reports
        )
        + "."
    )
    return "\n".join(lines)


# --- the parts between the markers ------------------------------------------------


def _marker(tag: str) -> re.Pattern:
    return re.compile(rf"<!-- {re.escape(tag)}:begin[^>]*-->\n.*?<!-- {re.escape(tag)}:end -->", re.DOTALL)


def replace_part(document: str, tag: str, body: str, source: str, hashed: str) -> str:
    found = _marker(tag).findall(document)
    if len(found) != 1:
        raise ValueError(f"expected one <!-- {tag}:begin --> … <!-- {tag}:end --> pair, found {len(found)}")
    part = (
        f"<!-- {tag}:begin sha256={hashed} written by make bench from {source}; do not edit -->\n"
        f"{body}\n<!-- {tag}:end -->"
    )
    return _marker(tag).sub(lambda _: part, document)


def stored(root: Path = ROOT) -> list[tuple[str, dict]]:
    """The stored results, SQLite first: (the file's text, its report)."""
    found = []
    for database in DATABASES:
        path = root / STORE / f"{database}.json"
        if path.exists():
            raw = path.read_text()
            found.append((raw, json.loads(raw)))
    return found


def rewritten(root: Path = ROOT) -> dict[Path, str]:
    """Every generated document as the stored results make it."""
    results = stored(root)
    if not results:
        return {}
    performance = (root / PERFORMANCE).read_text()
    for raw, report in results:
        database = report["database"]
        performance = replace_part(
            performance, f"bench:{database}", performance_part(report), f"{STORE}/{database}.json", digest(raw)
        )
    readme = replace_part(
        (root / README).read_text(),
        "bench",
        readme_part([report for _, report in results]),
        " and ".join(f"{STORE}/{report['database']}.json" for _, report in results),
        digest(*(raw for raw, _ in results)),
    )
    return {root / PERFORMANCE: performance, root / README: readme}


def stale(root: Path = ROOT) -> list[Path]:
    """The documents whose generated parts are not what the stored results give."""
    return [path for path, content in rewritten(root).items() if path.read_text() != content]


def rewrite(root: Path = ROOT) -> list[Path]:
    changed = []
    for path, content in rewritten(root).items():
        if path.read_text() != content:
            path.write_text(content)
            changed.append(path)
    return changed


def publish(report: dict, root: Path = ROOT) -> list[Path]:
    """Store this run's results as its database's file, then rewrite the generated parts."""
    if report["database"] not in DATABASES:
        raise ValueError(f"no place in the docs for {report['database']}")
    path = root / STORE / f"{report['database']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return [path, *rewrite(root)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a generated part is stale")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for path in found:
            print(f"{path}: not what docs/bench/*.json give (run python -m bench.figures)", file=sys.stderr)
        return 1 if found else 0
    for path in rewrite():
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
