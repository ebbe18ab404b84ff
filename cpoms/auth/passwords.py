"""What makes a password acceptable: long, not a common one, not the person's own
name or email address (NCSC guidance: length over complexity rules)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_LIST = Path(__file__).resolve().parent.parent / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password cannot be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. Three or four unrelated words are easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "That password is too common and easy to guess. Choose another."
    squashed = _squash(password)
    own = [_squash(email), _squash(email.split("@")[0]), _squash(name), *map(_squash, name.split())]
    if any(len(part) >= 4 and part in squashed for part in own):
        return "Do not use your own name or email address in your password."
    return None
