"""Each trust's Ed25519 signing key, kept in files outside the database.

SIGNING_KEY_DIR/trust-<id>/ holds the current private key (<fingerprint>.key, PKCS#8
PEM, mode 0600), every public key the trust has signed with (<fingerprint>.pub.pem),
and keys.json: each fingerprint with when it was made and, once rotated, retired.
A rotated key's private half is deleted; its public half stays so old packs verify.

A key's fingerprint is the SHA-256 of its public key as DER SubjectPublicKeyInfo, so
`openssl pkey -pubin -in signing-key.pem -outform DER | sha256sum` prints it too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

INDEX = "keys.json"


class KeyProblem(Exception):
    """The key directory cannot be used (unreadable, wrong permissions)."""


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    pem: bytes
    created_at: str
    retired_at: str | None

    @property
    def current(self) -> bool:
        return self.retired_at is None

    @property
    def spaced(self) -> str:
        return spaced(self.fingerprint)


def spaced(fingerprint: str) -> str:
    """A fingerprint in groups of four, to read aloud over the phone."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def root() -> Path:
    return Path(current_app.config["SIGNING_KEY_DIR"])


def _directory(trust_id: int) -> Path:
    path = root() / f"trust-{int(trust_id)}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(directory: Path):
    """One process at a time makes or rotates a trust's key (two first uses at once make one key)."""
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def _index(directory: Path) -> list[dict]:
    try:
        return json.loads((directory / INDEX).read_text())
    except FileNotFoundError:
        return []


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _new_key(directory: Path, keys: list[dict]) -> list[dict]:
    private = Ed25519PrivateKey.generate()
    print_ = fingerprint(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(directory / f"{print_}.key", pem, 0o600)
    _write(directory / f"{print_}.pub.pem", public_pem(private.public_key()), 0o644)
    keys = [*keys, {"fingerprint": print_, "created_at": _now(), "retired_at": None}]
    _write(directory / INDEX, json.dumps(keys, indent=2).encode(), 0o600)
    return keys


def _current(keys: list[dict]) -> dict | None:
    return next((k for k in reversed(keys) if k["retired_at"] is None), None)


def signing_key(trust_id: int) -> tuple[Ed25519PrivateKey, str]:
    """The trust's current private key and its fingerprint, made on first use."""
    directory = _directory(trust_id)
    with _locked(directory):
        keys = _index(directory)
        if _current(keys) is None:
            keys = _new_key(directory, keys)
        print_ = _current(keys)["fingerprint"]
    path = directory / f"{print_}.key"
    if path.stat().st_mode & 0o077:
        raise KeyProblem(f"{path} can be read by others than the app: chmod 600 it")
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 key")
    return private, print_


def rotate(trust_id: int) -> tuple[str, str | None]:
    """A new current key; the old one retired (public half kept, private half deleted).
    Returns (new fingerprint, retired fingerprint or None)."""
    directory = _directory(trust_id)
    with _locked(directory):
        keys = _index(directory)
        old = _current(keys)
        if old is not None:
            old["retired_at"] = _now()
        keys = _new_key(directory, keys)
        if old is not None:
            (directory / f"{old['fingerprint']}.key").unlink(missing_ok=True)
        return keys[-1]["fingerprint"], old["fingerprint"] if old else None


def public_keys(trust_id: int) -> list[PublicKey]:
    """Every key the trust has signed with, newest first."""
    directory = root() / f"trust-{int(trust_id)}"
    found = []
    for key in reversed(_index(directory) if directory.is_dir() else []):
        path = directory / f"{key['fingerprint']}.pub.pem"
        pem = path.read_bytes() if path.exists() else b""
        found.append(PublicKey(key["fingerprint"], pem, key["created_at"], key["retired_at"]))
    return found


def own_fingerprints() -> dict[str, int]:
    """Every key this installation's trusts have signed with: fingerprint -> trust id."""
    base = root()
    found: dict[str, int] = {}
    if not base.is_dir():
        return found
    for directory in base.glob("trust-*"):
        try:
            trust_id = int(directory.name.removeprefix("trust-"))
        except ValueError:
            continue
        for key in _index(directory):
            found[key["fingerprint"]] = trust_id
    return found
