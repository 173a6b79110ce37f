"""Identity-provider dialects: requests normalized into canonical RFC 7644 at the edge.

A `Dialect` rewrites a request body or query before the core reads it, and chooses the PATCH
engine's tolerances. Every rewrite that fires leaves a `Note`. The RFC dialect is the
identity: it rewrites nothing.
"""

from doorpost.scim.dialects.base import RFC, Dialect

__all__ = ["RFC", "Dialect"]
