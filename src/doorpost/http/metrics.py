"""Prometheus metrics (`prometheus-client`), served at `/metrics`.

With several worker processes each one counts in its own files under
`PROMETHEUS_MULTIPROC_DIR` (`doorpost serve --workers N` sets it), and a scrape of any worker
adds them all up. The variable must be set before this module is first imported: the client
chooses its storage then.

Labels stay bounded: routes are templates (`/scim/v2/Users/{id}`), and a path the service
does not serve is counted as `unmatched`, so a scanner cannot mint new series.
"""

from __future__ import annotations

import os
from typing import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter("doorpost_http_requests", "HTTP requests answered.",
                   ["route", "method", "status", "dialect"])
LATENCY = Histogram("doorpost_http_request_duration_seconds",
                    "Time to answer, by route template.", ["route", "method"],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
POOL_IN_USE = Gauge("doorpost_db_pool_connections_in_use",
                    "Database connections checked out of the pool.",
                    multiprocess_mode="livesum")
ACTIVITY_QUEUED = Gauge("doorpost_activity_queue_depth",
                        "Activity records of reads waiting to be written.",
                        multiprocess_mode="livesum")
ACTIVITY_DROPPED = Counter("doorpost_activity_dropped_records",
                           "Activity records of reads not kept (queue full or unwritable).")
RATE_LIMITED = Counter("doorpost_rate_limited_requests",
                       "Requests refused with 429, by limit.", ["limit"])

SCIM_HEADS = {"users": "Users", "groups": "Groups", ".search": ".search",
              "serviceproviderconfig": "ServiceProviderConfig",
              "resourcetypes": "ResourceTypes", "schemas": "Schemas"}
CONSOLE_SECTIONS = {"", "login", "logout", "set-password", "sso-scim", "sso", "scim", "tokens",
                    "activity", "activity.csv", "members", "groups", "static", "doors",
                    "api-keys", "places", "access", "access.csv", "webhooks", "owners",
                    "choose", "switch", "forgot"}
SERVICE_ROUTES = {"/", "/healthz", "/readyz", "/livez", "/metrics", "/openapi.json",
                  "/api/v1/doors", "/api/v1/access/decisions", "/api/v1/access/events",
                  "/api/v1/events",
                  "/me", "/me/sign-in", "/me/logout"}
SAML_ENDPOINTS = {"metadata", "login", "acs"}


def route_label(path: str) -> str:
    """The bounded route template of a path (ids become `{id}`)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "scim" and parts[1].lower() == "v2":
        rest = parts[2:]
        if not rest:
            return "/scim/v2"
        head = SCIM_HEADS.get(rest[0].lower())
        if head is None or len(rest) > 3:
            return "unmatched"
        tail = [".search" if p.lower() == ".search" else "{id}" for p in rest[1:2]]
        return "/".join(["/scim/v2", head, *tail])
    if parts[:1] == ["admin"]:
        section = parts[1] if len(parts) > 1 else ""
        if section not in CONSOLE_SECTIONS:
            return "unmatched"
        return "/admin" + (f"/{section}" if section else "") + ("/{id}" if len(parts) > 2
                                                                 else "")
    if len(parts) == 3 and parts[0] == "saml" and parts[2] in SAML_ENDPOINTS:
        return f"/saml/{{org}}/{parts[2]}"
    if len(parts) == 5 and parts[:3] == ["api", "v1", "orgs"] and parts[4] == "jwks.json":
        return "/api/v1/orgs/{slug}/jwks.json"
    if len(parts) == 4 and parts[:2] == ["me", "doors"] and parts[3] == "unlock":
        return "/me/doors/{id}/unlock"
    path = "/" + "/".join(parts)
    return path if path in SERVICE_ROUTES else "unmatched"


def observe(path: str, method: str, status: int, seconds: float, dialect: str | None) -> None:
    route = route_label(path)
    method = method if method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                  "OPTIONS") else "other"
    REQUESTS.labels(route, method, str(status), dialect or "").inc()
    LATENCY.labels(route, method).observe(seconds)


def exposition(gauges: Callable[[], None] | None = None) -> tuple[bytes, str]:
    """The text format of every worker's metrics (this one's gauges refreshed first)."""
    if gauges is not None:
        gauges()
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (its counters stay in the sums)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
