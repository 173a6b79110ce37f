"""Session cookies, one rule for owners and members: `<org id>.<secret>`, 256 random bits,
stored only as the secret's SHA-256 digest; the organization id lets the lookup use the
primary key (org, digest)."""

from __future__ import annotations

import secrets

from doorpost.service.tokens import digest


def new_cookie(org_id: int) -> tuple[str, str]:
    """(the cookie value, the digest to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{org_id}.{secret}", digest(secret)


def parse_cookie(cookie: str | None) -> tuple[int, str] | None:
    """(organization id, digest of the secret), or None for anything malformed."""
    org, _, secret = (cookie or "").partition(".")
    if not (org.isascii() and org.isdigit() and len(org) < 12 and secret):
        return None
    return int(org), digest(secret)
