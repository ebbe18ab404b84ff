"""The uploaded file's name, made safe to show: it is display text only, never a path."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120


def display_name(raw: str | None) -> str:
    """The last part of whatever path was sent, without control or direction-changing
    characters (a right-to-left override can make "gpj.exe" read as "exe.jpg"), trimmed."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 2].rstrip(" .") + "…." + ext
        else:
            name = name[: MAX_NAME - 1] + "…"
    return name


def has_path(raw: str | None) -> bool:
    """A name with a folder in it (or a NUL, which ends a name early in C code)."""
    return any(ch in (raw or "") for ch in "/\\\x00")


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def ascii_fallback(name: str) -> str:
    """For the old `filename=` parameter of Content-Disposition: plain ASCII, no quotes."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9 ._()-]", "_", folded)).strip(" .")
    return folded or "attachment"
