"""Configuration, read from the environment only: nothing secret lives in the repo."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CPOMS_INSTANCE_DIR", BASE_DIR / "instance"))
INSTANCE_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/.

    Generating it (rather than shipping a default) means no two schools share a key.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'cpoms.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "concern-log@localhost")
    # The first send happens inside the request that saved the entry: keep a
    # silent mail server from holding the teacher for long (the worker retries).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "5"))
    ALERT_MAX_ATTEMPTS = int(os.environ.get("ALERT_MAX_ATTEMPTS", "10"))
    # Waits between tries double from the base up to the maximum.
    ALERT_RETRY_BASE_SECONDS = float(os.environ.get("ALERT_RETRY_BASE_SECONDS", "60"))
    ALERT_RETRY_MAX_SECONDS = float(os.environ.get("ALERT_RETRY_MAX_SECONDS", "3600"))
    # Links in emails. Unset, they use the address the signed-in person who caused the
    # email reached the app at (recorded on the outbox row): set it in production.
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "")
    # "mailbox": with no MAIL_SERVER, every email is written to MAILBOX_DIR and listed at
    # /mailbox instead of sent. Only the dev launcher (`make run`, cpoms/devserver.py) sets it.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAILBOX_DIR = os.environ.get("MAILBOX_DIR", str(INSTANCE_DIR / "mailbox"))
    # The address the dev launcher serves on: printed with the demo accounts, and the links'
    # last resort when neither APP_BASE_URL nor any signed-in request has given one.
    DEV_SERVER_URL = os.environ.get("CPOMS_DEV_URL", "")
    # Alerts due this long without a try: the home page says the worker is not running.
    ALERT_STALE_MINUTES = int(os.environ.get("ALERT_STALE_MINUTES", "10"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # How many reverse proxies (nginx, a load balancer) stand in front of the app:
    # 0 trusts no X-Forwarded-* header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Server-side sessions (user_sessions): idle and absolute limits.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "15"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "10"))
    # A form token lives as long as a session can, not a fixed hour: a form left
    # open stays postable while the session is alive, and no longer.
    WTF_CSRF_TIME_LIMIT = SESSION_ABSOLUTE_HOURS * 3600
    DRAFT_HOURS = int(os.environ.get("DRAFT_HOURS", "24"))
    PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", "1"))

    # Sign-in throttling: per IP address (a school behind one NAT address shares
    # it, so keep it generous) and per account (on the user row).
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    # memory:// counts in each process; several servers (or gunicorn workers) share the
    # count only in a store they all reach: redis://host:6379/0 (docs/operations.md).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Redis unreachable: count in the process rather than refuse every sign-in (the
    # per-account lock is on the user row, in the database, whatever happens here).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "30 per minute;300 per hour")
    LOCKOUT_AFTER_FAILURES = int(os.environ.get("LOCKOUT_AFTER_FAILURES", "5"))
    LOCKOUT_MAX_MINUTES = int(os.environ.get("LOCKOUT_MAX_MINUTES", "60"))
    # Sign-in providers named by the operator (docs/operations.md); their secrets, like those of
    # providers a trust admin sets up in the app, only in OIDC_<SLUG>_CLIENT_SECRET.
    SIGN_IN_PROVIDERS = os.environ.get("SIGN_IN_PROVIDERS", "")
    # Werkzeug reads a urlencoded body whole, whatever its size: refuse (413) what no
    # form of ours can send. The longest (a follow-up: 40,000 characters, each up to
    # 12 bytes percent-encoded) stays under half of this.
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Attachments (cpoms/attachments/): stored in the database, each file up to this size;
    # only the routes that take files accept a body larger than MAX_CONTENT_LENGTH.
    # ATTACHMENT_DIR: where releases before migration 0028 kept the files (that upgrade moves them).
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments"))
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
    ATTACHMENT_MAX_FILES = int(os.environ.get("ATTACHMENT_MAX_FILES", "5"))

    # Child-protection file packs (cpoms/packs/, docs/cp-file-format.md): each trust's Ed25519
    # signing key lives in this directory, outside the database and its backups (mode 0700,
    # keys 0600); a pack received at /transfers/import may be up to PACK_MAX_BYTES.
    SIGNING_KEY_DIR = os.environ.get("SIGNING_KEY_DIR", str(INSTANCE_DIR / "signing-keys"))
    PACK_MAX_BYTES = int(os.environ.get("PACK_MAX_BYTES", str(100 * 1024 * 1024)))

    # The retention review lists pupils whose records reach date of birth + this many years.
    RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", "25"))
    # Concerns about adults: this many low-level concerns about one adult within this many
    # days are flagged to the case manager as a pattern.
    ADULT_PATTERN_COUNT = int(os.environ.get("ADULT_PATTERN_COUNT", "3"))
    ADULT_PATTERN_DAYS = int(os.environ.get("ADULT_PATTERN_DAYS", "365"))

    TIMEZONE = "Europe/London"
    HTMX_VERSION = "2.0.11"
    # Empty (HTMX_CDN_URL= in the environment) serves only the local copy: for an
    # intranet whose firewall drops, rather than refuses, traffic to the internet.
    HTMX_CDN_URL = os.environ.get("HTMX_CDN_URL", "https://unpkg.com/htmx.org@2.0.11/dist/htmx.min.js")
    HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    MAIL_SUPPRESS_SEND = False
    MAIL_SERVER = ""
    MAIL_BACKEND = "smtp"
    MAIL_TIMEOUT = 5.0
    RATELIMIT_ENABLED = False  # the throttling tests switch it on
