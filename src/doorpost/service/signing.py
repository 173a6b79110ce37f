"""How receivers know an event came from Doorpost.

- **Standard Webhooks** (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix
  seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed
  with the endpoint's secret `whsec_<base64 of 32 random bytes>`. The secret must be kept to
  sign, so it is stored as is (never logged, shown once); HMAC is the standard library's,
  and the tests check every signature with the `standardwebhooks` library, the receivers'.
- **Security Event Tokens** (RFC 8417, with RFC 9967's SCIM events): a JWS signed ES256 with
  the organization's own key (`joserfc`), pushed per RFC 8935. The public keys are served as
  a JWKS so receivers can verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def standard_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, msg_id, timestamp, body),
            "content-type": "application/json"}


def new_event_key() -> tuple[str, str]:
    """(kid, private key PEM) of a new P-256 key."""
    key = ECKey.generate_key("P-256", private=True)
    return uuid.uuid4().hex, key.as_pem(private=True).decode()


def public_jwks(keys: list[tuple[str, str]]) -> dict[str, Any]:
    out = []
    for kid, pem in keys:
        public = ECKey.import_key(pem).as_dict(private=False)
        out.append({**public, "kid": kid, "use": "sig", "alg": "ES256"})
    return {"keys": out}


def security_event_token(claims: dict[str, Any], kid: str, pem: str) -> str:
    return jwt.encode({"alg": "ES256", "kid": kid, "typ": "secevent+jwt"}, claims,
                      ECKey.import_key(pem))
