"""SCIM bearer tokens: minted with 256 bits of randomness, stored only as SHA-256 digests.

A token looks like `dp_scim_<43 url-safe characters>`; the fixed prefix lets secret scanners
recognise a leaked one. The plaintext exists only in the answer to "create": it is never
stored or logged. Verification hashes whatever was presented and looks the digest up through
a unique index, so an unknown token costs the same work as a known one; the final comparison
is constant-time. A digest of a 256-bit random value needs no salt or slow hash: there is
nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PREFIX = "dp_scim_"
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 4


_IN_TEXT = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_\-]*")


def redacted(text: str) -> str:
    """`text` with every token-shaped string replaced: a client that put its token in the
    URL must not find it in the audit trail or its CSV export."""
    return _IN_TEXT.sub(TOKEN_PREFIX + "[redacted]", text) if TOKEN_PREFIX in text else text


def mint() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """What an owner sees to tell tokens apart: `dp_scim_AbCd`."""
    return token[:DISPLAY_PREFIX_LENGTH]


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
