"""Settings, read from environment variables once at start-up.

| variable | default | meaning |
|---|---|---|
| DOORPOST_DATABASE_URL | sqlite file in DOORPOST_DATA_DIR | SQLAlchemy URL; `postgresql://…` in production |
| DOORPOST_DATA_DIR | ./data | where the embedded SQLite database lives |
| DOORPOST_PUBLIC_URL | (from each request) | external base URL, e.g. https://doors.example.com |
| DOORPOST_MAX_PAGE_SIZE | 1000 | most resources in one list response |
| DOORPOST_DEFAULT_PAGE_SIZE | 100 | list page size when the client sends no `count` |
| DOORPOST_MAX_BODY_BYTES | 1048576 | largest request body accepted (413 beyond) |
| DOORPOST_DB_POOL_SIZE | 8 | database connections per worker |
| DOORPOST_DB_POOL_TIMEOUT | 2 | seconds a request waits for a free connection before a 503 |
| DOORPOST_LOG_LEVEL | info | logging level |
| DOORPOST_ACTIVITY_RETENTION_DAYS | 90 | how long the provisioning activity log is kept |
| DOORPOST_ACTIVITY_FLUSH_SECONDS | 0.25 | how late records of reads may be written (writes' records commit with them) |
| DOORPOST_ACTIVITY_QUEUE_MAX | 10000 | records of reads held while the database is away; beyond, dropped and counted |
| DOORPOST_RATE_LIMIT_ORG | 6000/minute | SCIM requests per organization (Entra's gallery bar is 25/s); then 429 |
| DOORPOST_RATE_LIMIT_BAD_TOKEN | 60/minute | requests with a wrong token per client address; then 429 |
| DOORPOST_RATE_LIMIT_STORAGE | memory:// | where the counters live: `memory://` per worker, `redis://host:6379` shared |
| DOORPOST_WEBHOOK_ALLOW_INSECURE | 0 | 1: webhooks added with `--allow-insecure` may use http and private or loopback addresses (development, tests) |
| DOORPOST_WEBHOOK_RETRY_SCHEDULE | 5,300,1800,7200,18000,36000,36000 | seconds before each retry of a failed delivery (27.6 h in all); then the event is dead-lettered |
| DOORPOST_WEBHOOK_LEASE_SECONDS | 30 | how long a worker holds an endpoint (keep it above the 10 s request timeout); after a crash, another worker resumes it this much later |
| DOORPOST_EVENT_RETENTION_DAYS | 30 | how long change events every webhook has settled stay for the pull feed and replays |
| DOORPOST_SMTP_URL | (none) | `smtp://user:pass@host:587` (STARTTLS) or `smtps://…:465`: owner invitations and resets go by email; unset, links are written to the log |
| DOORPOST_MAIL_FROM | doorpost@localhost | the sender address of those emails |
| DOORPOST_WORKER | embedded | `embedded`: `serve` delivers webhooks in each worker process; `off`: only `doorpost worker` does |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from doorpost.scim.discovery import Limits
from doorpost.store.engine import default_sqlite_url

ENVIRONMENT_VARIABLES = (
    "DOORPOST_DATABASE_URL", "DOORPOST_DATA_DIR", "DOORPOST_PUBLIC_URL",
    "DOORPOST_MAX_PAGE_SIZE", "DOORPOST_DEFAULT_PAGE_SIZE", "DOORPOST_MAX_BODY_BYTES",
    "DOORPOST_DB_POOL_SIZE", "DOORPOST_DB_POOL_TIMEOUT", "DOORPOST_LOG_LEVEL", "DOORPOST_ACTIVITY_RETENTION_DAYS",
    "DOORPOST_ACTIVITY_FLUSH_SECONDS", "DOORPOST_ACTIVITY_QUEUE_MAX", "DOORPOST_RATE_LIMIT_ORG",
    "DOORPOST_RATE_LIMIT_BAD_TOKEN", "DOORPOST_RATE_LIMIT_STORAGE",
    "DOORPOST_WEBHOOK_ALLOW_INSECURE", "DOORPOST_WEBHOOK_RETRY_SCHEDULE", "DOORPOST_WORKER",
    "DOORPOST_WEBHOOK_LEASE_SECONDS", "DOORPOST_EVENT_RETENTION_DAYS", "DOORPOST_SMTP_URL",
    "DOORPOST_MAIL_FROM",
)
DEFAULT_RETRY_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class ConfigError(ValueError):
    """An environment variable holds a value Doorpost cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}.") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}.")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}.") from exc
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds.")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate such as `6000/minute` (the `limits` notation; checked when the app starts)."""
    raw = (env.get(name) or default).strip()
    count, _, per = raw.partition("/")
    if not (count.isascii() and count.isdigit() and int(count) > 0 and per.strip()):
        raise ConfigError(f"{name} must look like '6000/minute', not {raw!r}.")
    return raw


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "0").strip().lower()
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"{name} must be 1 or 0, not {raw!r}.")
    return raw in ("1", "true", "yes")


def _schedule(env: Mapping[str, str], name: str) -> tuple[float, ...]:
    raw = (env.get(name) or "").strip()
    if not raw:
        return DEFAULT_RETRY_SCHEDULE
    try:
        steps = tuple(float(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be seconds separated by commas, not {raw!r}.") from exc
    if not steps or any(not 0 <= s <= 172_800 for s in steps):
        raise ConfigError(f"{name}: each delay must be between 0 and 172800 seconds.")
    return steps


def _smtp(raw: str | None) -> str | None:
    url = (raw or "").strip()
    if url and not (url.startswith(("smtp://", "smtps://")) and len(url) > 8):
        raise ConfigError("DOORPOST_SMTP_URL must look like smtp://user:pass@host:587 or "
                          "smtps://user:pass@host:465.")
    return url or None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (env.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")
    return raw


@dataclass(frozen=True)
class Settings:
    database_url: str
    public_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    pool_size: int = 8
    log_level: str = "info"
    activity_retention_days: int = 90
    activity_flush_seconds: float = 0.25
    activity_queue_max: int = 10_000
    rate_limit_org: str = "6000/minute"
    rate_limit_bad_token: str = "60/minute"
    rate_limit_storage: str = "memory://"
    pool_timeout: float = 2.0
    webhook_allow_insecure: bool = False
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    worker: str = "embedded"
    webhook_lease_seconds: int = 30
    event_retention_days: int = 30
    smtp_url: str | None = None
    mail_from: str = "doorpost@localhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = env.get("DOORPOST_DATA_DIR") or "data"
        url = env.get("DOORPOST_DATABASE_URL") or default_sqlite_url(data_dir)
        max_page = _int(env, "DOORPOST_MAX_PAGE_SIZE", 1000)
        limits = Limits(
            max_page_size=max_page,
            default_page_size=min(_int(env, "DOORPOST_DEFAULT_PAGE_SIZE", 100), max_page),
            max_body_bytes=_int(env, "DOORPOST_MAX_BODY_BYTES", 1_048_576),
        )
        public = (env.get("DOORPOST_PUBLIC_URL") or "").strip().rstrip("/") or None
        if public is not None and not (public.startswith(("https://", "http://"))
                                       and "?" not in public and "#" not in public):
            raise ConfigError("DOORPOST_PUBLIC_URL must be the external base URL, such as "
                              f"https://doors.example.com, not {public!r}.")
        return cls(url, public, limits, _int(env, "DOORPOST_DB_POOL_SIZE", 8),
                   env.get("DOORPOST_LOG_LEVEL", "info"),
                   _int(env, "DOORPOST_ACTIVITY_RETENTION_DAYS", 90),
                   _float(env, "DOORPOST_ACTIVITY_FLUSH_SECONDS", 0.25),
                   _int(env, "DOORPOST_ACTIVITY_QUEUE_MAX", 10_000),
                   _rate(env, "DOORPOST_RATE_LIMIT_ORG", "6000/minute"),
                   _rate(env, "DOORPOST_RATE_LIMIT_BAD_TOKEN", "60/minute"),
                   env.get("DOORPOST_RATE_LIMIT_STORAGE") or "memory://",
                   _float(env, "DOORPOST_DB_POOL_TIMEOUT", 2.0),
                   _flag(env, "DOORPOST_WEBHOOK_ALLOW_INSECURE"),
                   _schedule(env, "DOORPOST_WEBHOOK_RETRY_SCHEDULE"),
                   _choice(env, "DOORPOST_WORKER", ("embedded", "off")),
                   _int(env, "DOORPOST_WEBHOOK_LEASE_SECONDS", 30, minimum=2),
                   _int(env, "DOORPOST_EVENT_RETENTION_DAYS", 30),
                   _smtp(env.get("DOORPOST_SMTP_URL")),
                   (env.get("DOORPOST_MAIL_FROM") or "doorpost@localhost").strip())
