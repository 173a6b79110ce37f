"""What CLI commands share: settings and the services built from them."""

from __future__ import annotations

import functools
from typing import Callable, ParamSpec, TypeVar

from doorpost.cli.output import fail
from doorpost.config import ConfigError, Settings
from doorpost.service.errors import AdminError
from doorpost.service.organizations import Organizations
from doorpost.store.database import Database
from doorpost.store.engine import sqlite_path

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        fail(str(exc))
        raise


def database() -> Database:
    """The configured database, which must exist already: only `doorpost db upgrade` (and
    `make serve`) creates one, so a command run in the wrong directory does not leave an
    empty database behind."""
    url = settings().database_url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        fail(f"no database at {path}; run `doorpost db upgrade` to create it, or set "
             "DOORPOST_DATABASE_URL / DOORPOST_DATA_DIR")
    return Database(url, pool_size=1)


def organizations() -> Organizations:
    return Organizations(database())


def tenant_url(host: str = "127.0.0.1", port: int = 8000) -> str:
    public = settings().public_url
    return f"{public or f'http://{host}:{port}'}/scim/v2"


def admin_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn an AdminError into a one-line message and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except AdminError as exc:
            fail(str(exc))
            raise
    return wrapper
