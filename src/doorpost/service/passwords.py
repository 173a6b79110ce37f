"""`User.password` (writeOnly, returned never): kept only as a salted scrypt digest."""

from __future__ import annotations

import base64
import hashlib
import secrets

SCHEME = "scrypt$"


def hash_password(password: str) -> str:
    """A new salted digest of `password`, always: callers hash what a client sent, whatever
    it looks like (a value shaped like a digest is still a cleartext password)."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return SCHEME + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()
