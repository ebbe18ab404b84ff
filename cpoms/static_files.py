"""The stylesheet, scripts and images a page names, kept by the browser: url_for("static")
adds the file's content hash (?v=...), and a request carrying the current hash is
cached for a year. A release that changes a file changes its hash, hence its URL, so a
tablet never runs an old script against a new page. Without this every page load asked
again for each of its six or more files (a 304 each), through nginx to gunicorn.

A URL without the hash, or with an old one (a page kept from before a release, an
address typed by hand), is served as before: the browser checks it each time."""

from __future__ import annotations

import hashlib
import os
from stat import S_ISREG

from flask import Flask, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600


def install(app: Flask) -> None:
    versions: dict[str, tuple[tuple[int, int], str]] = {}  # filename -> ((mtime, size), hash)

    def version(filename: str) -> str | None:
        path = safe_join(app.static_folder, filename)
        try:
            stat = os.stat(path) if path else None
        except (OSError, ValueError):  # no such file; a name with a NUL in it
            stat = None
        if stat is None or not S_ISREG(stat.st_mode):  # a folder has no version (and is a 404)
            return None
        seen = (stat.st_mtime_ns, stat.st_size)
        known = versions.get(filename)
        if known is None or known[0] != seen:  # read again only when the file changed
            with open(path, "rb") as file:
                known = versions[filename] = (seen, hashlib.sha256(file.read()).hexdigest()[:16])
        return known[1]

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            current = version(values.get("filename", ""))
            if current:
                values["v"] = current

    def max_age(filename: str | None) -> int | None:
        current = version(filename) if filename else None
        return YEAR if current and request.args.get("v") == current else None

    app.get_send_file_max_age = max_age  # read by Flask's send_static_file
