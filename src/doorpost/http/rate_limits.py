"""Request rate limits at the edge, on the `limits` library (sliding-window counters).

Two limits, both answered with a SCIM 429 and `Retry-After`:
- **per organization**: every authenticated SCIM request counts against its organization
  (`DOORPOST_RATE_LIMIT_ORG`, sized well above Entra's pace: its gallery bar is 25 req/s);
- **per client address, for wrong tokens**: a request whose token fails counts against its
  address (`DOORPOST_RATE_LIMIT_BAD_TOKEN`); past the limit, wrong tokens get 429 instead of
  401. A request with a *valid* token is never refused by this limit: identity providers
  send many customers' traffic from shared addresses, and one tenant's stale token must not
  lock out the others.

Counters live in `DOORPOST_RATE_LIMIT_STORAGE`: `memory://` counts per worker process (the
limit then applies per worker), `redis://host:6379` shares them across workers and hosts.
If the storage cannot be reached the request is served (a rate limit guards capacity, not
access) and the failure is logged.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from doorpost.http import metrics
from doorpost.scim.errors import TooManyRequests

log = logging.getLogger("doorpost.rate_limits")


class RateLimits:
    def __init__(self, per_org: str, bad_token: str, storage_uri: str = "memory://",
                 namespace: str = "") -> None:
        """`namespace` keeps deployments that share one Redis apart (the composition root
        passes a digest of the database URL: one database, one set of counters)."""
        self.namespace = namespace
        self.per_org: RateLimitItem = parse(per_org)
        self.bad_token: RateLimitItem = parse(bad_token)
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))

    def _hit(self, item: RateLimitItem, kind: str, key: str) -> int | None:
        """Count one request; the seconds to wait when it is over the limit, else None."""
        try:
            if self.limiter.hit(item, self.namespace, kind, key):
                return None
            reset = self.limiter.get_window_stats(item, self.namespace, kind, key).reset_time
        except Exception:  # noqa: BLE001 - the counter store is down: serve, and say so
            log.warning("rate-limit storage unreachable; %s not counted", kind, exc_info=True)
            return None
        metrics.RATE_LIMITED.labels(kind).inc()
        return max(1, math.ceil(reset - time.time()))

    def count_request(self, org_id: int) -> None:
        """An authenticated request of `org_id`: raise 429 when the organization is over."""
        wait = self._hit(self.per_org, "org", str(org_id))
        if wait is not None:
            raise TooManyRequests(f"This organization sent more than {self.per_org} SCIM "
                                  f"requests; retry after {wait} s.", wait)

    def count_bad_token(self, address: str) -> None:
        """A request from `address` whose token failed: raise 429 when the address is over."""
        wait = self._hit(self.bad_token, "bad_token", address)
        if wait is not None:
            raise TooManyRequests(f"Too many requests with a wrong token from this address; "
                                  f"retry after {wait} s.", wait)
