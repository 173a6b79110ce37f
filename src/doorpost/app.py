"""The composition root: settings → database → services → ASGI application.

The only module that wires adapters together; `uvicorn doorpost.app:create_app --factory`
serves what it builds.
"""

from __future__ import annotations

import hashlib
import logging
import os

from starlette.requests import Request

from doorpost.config import Settings
from doorpost.http import metrics
from doorpost.http.access_api import build_access_api
from doorpost.http.app import build_http_app
from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.http.rate_limits import RateLimits
from doorpost.http import openapi
from doorpost.http.scim_api import ScimApi
from doorpost.scim.dialects import Reading, choose
from doorpost.console.app import build_console, console_templates
from doorpost.console.sso_pages import build_sso_pages
from doorpost.service.members import Members
from doorpost.service.sign_in import SsoSignIn
from doorpost.service.activity import ActivityLog, ActivityQueries
from doorpost.service.directory_view import DirectoryView
from doorpost.service.organizations import Organizations
from doorpost.service.owners import Owners
from doorpost.service.sso import Sso
from doorpost.service.auth import Caller
from doorpost.service.delivery import Deliverer, WorkerThread
from doorpost.service.mail import sender_from
from doorpost.service.webhooks import Webhooks
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


def create_app(settings: Settings | None = None, database: Database | None = None) -> object:
    """The ASGI app. `database` may be given (tests hold its pool to exhaust it)."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _json_lines(logging.getLogger("doorpost.access"), settings.log_level.upper())
    db = database or Database(settings.database_url, pool_size=settings.pool_size,
                              pool_timeout=settings.pool_timeout)
    service = ScimService(db, settings.limits)
    activity = ActivityLog(db, settings.activity_retention_days,
                           flush_seconds=settings.activity_flush_seconds,
                           queue_max=settings.activity_queue_max,
                           on_drop=metrics.ACTIVITY_DROPPED.inc)
    rate_limits = RateLimits(settings.rate_limit_org, settings.rate_limit_bad_token,
                             settings.rate_limit_storage,
                             hashlib.sha256(settings.database_url.encode()).hexdigest()[:16])
    scim = ScimApi(db, service, settings.public_url, choose_dialect, activity.record,
                   rate_limits)
    owners, members = Owners(db), Members(db)
    sign_in = SsoSignIn(db, owners, members)
    access_api = AccessApi(db)
    console = build_console(Organizations(db), owners, Sso(db), ActivityQueries(db),
                            DirectoryView(db), settings.public_url, sign_in, Doors(db),
                            access_api, Webhooks(db, settings.webhook_allow_insecure),
                            sender_from(settings.smtp_url, settings.mail_from))
    pages = [*build_sso_pages(sign_in, members, console_templates(), settings.public_url),
             *build_access_api(access_api)]

    startup, shutdown = [], [activity.close, lambda: metrics.worker_exited(os.getpid())]
    if settings.worker == "embedded":  # webhooks are delivered by every worker process
        worker = WorkerThread(deliverer(settings, db))
        startup.append(worker.start)
        shutdown.insert(0, worker.close)

    def gauges() -> None:
        metrics.POOL_IN_USE.set(db.connections_in_use())
        metrics.ACTIVITY_QUEUED.set(activity.depth)

    return build_http_app(db, scim, console,
                          on_startup=startup, on_shutdown=shutdown,
                          readiness=lambda: behind_head(db.engine), gauges=gauges,
                          openapi=openapi.document(settings.public_url, settings.limits),
                          pages=pages)


def deliverer(settings: Settings, db: Database) -> Deliverer:
    """The webhook worker as the settings configure it (`serve` and `doorpost worker`)."""
    return Deliverer(db, settings.webhook_retry_schedule, settings.webhook_allow_insecure,
                     settings.public_url, lease_us=settings.webhook_lease_seconds * 1_000_000,
                     retention_days=settings.event_retention_days)
