"""`User.password` (writeOnly, returned never): kept only as a salted scrypt digest."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

SCHEME = "scrypt$"


def hash_password(password: str) -> str:
    """A new salted digest of `password`, always: callers hash what a client sent, whatever
    it looks like (a value shaped like a digest is still a cleartext password)."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return SCHEME + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


@dataclass
class StoredPassword:
    """Keeps a stored password digest out of the PATCH engine's reach.

    The engine sees an unguessable placeholder in its place. Afterwards the placeholder
    means "unchanged" (the digest goes back), no password means it was removed, and any
    other value can only have come from the request: cleartext, hashed now. So a password
    is hashed because of where it came from, never because of what it looks like."""

    working: dict[str, Any]
    placeholder: str | None
    digest: Any = None

    @classmethod
    def take(cls, doc: dict[str, Any]) -> StoredPassword:
        working = dict(doc)
        if "password" not in working:
            return cls(working, None)
        placeholder = secrets.token_urlsafe(32)
        digest = working["password"]
        working["password"] = placeholder
        return cls(working, placeholder, digest)

    def restore(self, doc: dict[str, Any]) -> dict[str, Any]:
        value = doc.get("password")
        if value is None:
            return doc
        if self.placeholder is not None and value == self.placeholder:
            doc["password"] = self.digest
        elif isinstance(value, str):
            doc["password"] = hash_password(value)
        return doc
