"""RFC 9865 cursors: opaque, signed, bound to the organization and the query, expiring.

A cursor is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`. The key is the
organization's own cursor key, so a cursor minted for one organization fails verification in
every other; the payload names the query it belongs to (resource type + filter), so it cannot
be replayed against another query; and it carries its issue time, so it expires. A forged or
altered cursor is `invalidCursor`, an old one `expiredCursor` (RFC 9865 §3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from doorpost.scim.errors import ExpiredCursor, InvalidCursor


@dataclass(frozen=True)
class Position:
    """Where a page starts: after (forward) or before (backward) a keyset position."""

    key: tuple[int, str]
    forward: bool


def fingerprint(resource_type: str, filter_text: str | None) -> str:
    raw = json.dumps([resource_type, filter_text or ""], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: bytes, query: str, position: Position, now_s: int) -> str:
    payload = _b64(json.dumps({"q": query, "k": list(position.key),
                               "f": position.forward, "t": now_s},
                              separators=(",", ":")).encode())
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def decode(key: bytes, query: str, cursor: str, now_s: int, timeout_s: int) -> Position:
    """Verify and open a cursor for this organization's `key` and this `query`."""
    try:
        payload, mac = cursor.split(".")
        expected = hmac.new(key, payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise ValueError("signature")
        data: Any = json.loads(_unb64(payload))
        created, id_ = data["k"]
        position = Position((int(created), str(id_)), bool(data["f"]))
        issued, for_query = int(data["t"]), str(data["q"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one this server issued for this "
                            "organization.") from exc
    if for_query != query:
        raise InvalidCursor("The cursor belongs to a different query (filter or resource "
                            "type); start again without a cursor value.")
    if now_s - issued > timeout_s:
        raise ExpiredCursor(f"The cursor expired ({timeout_s} s); start again with cursor=.")
    return position
