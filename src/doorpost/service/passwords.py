"""`User.password` (writeOnly, returned never): kept only as a salted scrypt digest."""

from __future__ import annotations

import base64
import hashlib
import secrets

SCHEME = "scrypt$"


def hash_password(password: str) -> str:
    if password.startswith(SCHEME):
        return password
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return SCHEME + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()
