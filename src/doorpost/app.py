"""The composition root: settings → database → services → ASGI application.

The only module that wires adapters together; `uvicorn doorpost.app:create_app --factory`
serves what it builds.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from doorpost.config import Settings
from doorpost.http.app import build_http_app
from doorpost.http.scim_api import ScimApi
from doorpost.scim.dialects import Reading, choose
from doorpost.console.app import build_console
from doorpost.service.activity import ActivityLog, ActivityQueries
from doorpost.service.directory_view import DirectoryView
from doorpost.service.organizations import Organizations
from doorpost.service.owners import Owners
from doorpost.service.sso import Sso
from doorpost.service.auth import Caller
from doorpost.service.scim import ScimService
from doorpost.store.database import Database
from doorpost.store.migrate import behind_head


def choose_dialect(request: Request, caller: Caller) -> Reading:
    """The organization's pinned dialect, else what the request's User-Agent or flags show."""
    return choose(caller.org.dialect, request.headers.get("user-agent", ""),
                  set(request.query_params.keys()))


def _json_lines(logger: logging.Logger, level: str) -> None:
    """The access log is one JSON object per line on stderr, for log pipelines."""
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def create_app(settings: Settings | None = None) -> object:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _json_lines(logging.getLogger("doorpost.access"), settings.log_level.upper())
    db = Database(settings.database_url, pool_size=settings.pool_size)
    service = ScimService(db, settings.limits)
    activity = ActivityLog(db, settings.activity_retention_days)
    scim = ScimApi(db, service, settings.public_url, choose_dialect, activity.record)
    console = build_console(Organizations(db), Owners(db), Sso(db), ActivityQueries(db),
                            DirectoryView(db), settings.public_url)
    return build_http_app(db, scim, console, on_shutdown=[activity.close],
                          readiness=lambda: behind_head(db.engine))
