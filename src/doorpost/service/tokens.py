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
API_KEY_PREFIX = "dp_key_"
PREFIXES = (TOKEN_PREFIX, API_KEY_PREFIX)  # every kind of bearer secret Doorpost mints
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 4
LAST_USED_RESOLUTION_US = 60 * 1_000_000  # `last_used` is written at most once a minute


_IN_TEXT = re.compile("(" + "|".join(map(re.escape, PREFIXES)) + r")[A-Za-z0-9_\-]*")


def redacted(text: str) -> str:
    """`text` with every secret-shaped string (SCIM token, API key) replaced: a client that
    put one in the URL must not find it in the audit trail or its CSV export."""
    return _IN_TEXT.sub(r"\1[redacted]", text) if "dp_" in text else text


def presented(authorization: str | None) -> str:
    """The secret of an `Authorization: Bearer …` header; "" for anything else."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def use_worth_recording(last_used_us: int | None, now_us: int) -> bool:
    """Whether to write `last_used` now (reads must not all turn into writes)."""
    return last_used_us is None or now_us - last_used_us > LAST_USED_RESOLUTION_US


def mint(prefix: str = TOKEN_PREFIX) -> str:
    """A new secret: `prefix` (one of `PREFIXES`) + 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """What an owner sees to tell secrets apart: `dp_scim_AbCd`, `dp_key_AbCd` (the random
    part may itself hold `_`, so the known prefix decides where it starts)."""
    for prefix in PREFIXES:
        if token.startswith(prefix):
            return token[:len(prefix) + 4]
    return token[:DISPLAY_PREFIX_LENGTH]


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
