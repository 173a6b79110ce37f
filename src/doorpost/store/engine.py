"""Engines for the two supported databases, each set up the way Doorpost relies on.

SQLite (embedded default): WAL so readers never wait for the writer; foreign keys on;
`case_sensitive_like` so `LIKE` honours `caseExact` (case-insensitive matching is done with
`lower()` explicitly); and `BEGIN IMMEDIATE` for write transactions, so two writers queue on
the lock instead of failing half-way with "database is locked".
PostgreSQL (production): psycopg 3, `READ COMMITTED`, rows locked with `FOR UPDATE` by writers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and pick the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 8, pool_timeout: float = 2.0) -> Engine:
    """`pool_timeout`: how long a request may wait for a free connection before it is
    answered 503 (`Database.Busy`); no connection is held while a client reads, so a
    pool that stays exhausted that long means the database itself is the bottleneck."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=4,
                               pool_timeout=pool_timeout,
                               connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout (two per request). A
    # connection broken by a database restart fails one request (a SCIM 500 the identity
    # provider retries) and is then discarded by the pool.
    return create_engine(url, pool_size=pool_size, max_overflow=4, pool_recycle=1800,
                         pool_timeout=pool_timeout)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "case_sensitive_like=ON", "busy_timeout=30000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("doorpost_autocommit"):
            return  # one statement: SQLite's implicit transaction is enough
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("doorpost_write") else "BEGIN")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and for `:memory:`)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def default_sqlite_url(data_dir: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'doorpost.sqlite3'}"
