"""Identity-provider dialects: requests normalized into canonical RFC 7644 at the edge.

`tolerant` rewrites shapes RFC 7644 rejects into what every client means (always on, each
rewrite recorded as a `Note`); `registry` holds the dialects, their PATCH policies and the
choice of one per request; `base` defines `Dialect` and the per-request `Reading`.
"""

from doorpost.scim.dialects.base import RFC, Dialect, Reading
from doorpost.scim.dialects.registry import DIALECTS, choose

__all__ = ["DIALECTS", "RFC", "Dialect", "Reading", "choose"]
