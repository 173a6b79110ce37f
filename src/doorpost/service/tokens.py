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


_IN_TEXT = re.compile(r"(dp_scim_|dp_key_)[A-Za-z0-9_\-]*")


def redacted(text: str) -> str:
    """`text` with every secret-shaped string (SCIM token, API key) replaced: a client that
    put one in the URL must not find it in the audit trail or its CSV export."""
    return _IN_TEXT.sub(r"\1[redacted]", text) if "dp_" in text else text


def mint(prefix: str = TOKEN_PREFIX) -> str:
    """A new secret: `prefix` + 256 random bits (SCIM tokens; `dp_key_` for API keys)."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


PREFIXES = (TOKEN_PREFIX, "dp_key_")


def display_prefix(token: str) -> str:
    """What an owner sees to tell secrets apart: `dp_scim_AbCd`, `dp_key_AbCd` (the random
    part may itself hold `_`, so the known prefix decides where it starts)."""
    for prefix in PREFIXES:
        if token.startswith(prefix):
            return token[:len(prefix) + 4]
    return token[:DISPLAY_PREFIX_LENGTH]


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
