"""SCIM errors (RFC 7644 §3.12): one small tree, each class carries `status` and `scim_type`.

    ScimError (400 unless overridden)
    ├── InvalidSyntax      400 invalidSyntax   body is not JSON / not the expected shape
    ├── InvalidFilter      400 invalidFilter   filter cannot be parsed or executed
    ├── InvalidValue       400 invalidValue    wrong type, missing required value, unknown attribute
    ├── InvalidPath        400 invalidPath     PATCH path cannot be parsed or resolved
    ├── NoTarget           400 noTarget        PATCH target selects nothing
    ├── Mutability         400 mutability      write to a readOnly / immutable attribute
    ├── InvalidCursor      400 invalidCursor   RFC 9865 cursor forged, altered or foreign
    ├── ExpiredCursor      400 expiredCursor   RFC 9865 cursor older than cursorTimeout
    ├── Uniqueness         409 uniqueness      unique attribute already taken
    ├── Unauthorized       401                 missing / unknown / revoked token
    ├── NotFound           404
    ├── MethodNotAllowed   405
    ├── PreconditionFailed 412                 If-Match does not match the current version
    ├── PayloadTooLarge    413
    └── UnsupportedMediaType 415

The core raises these; the HTTP layer renders every one of them in one place.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """Base of every error a SCIM client may see."""

    status: int = 400
    scim_type: str | None = None
    retry_after_s: int | None = None  # sent as `Retry-After` when set

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def to_body(self) -> dict[str, Any]:
        """The RFC 7644 §3.12 error body (`status` is a string)."""
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class NoTarget(ScimError):
    scim_type = "noTarget"


class Mutability(ScimError):
    scim_type = "mutability"


class InvalidCursor(ScimError):
    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    scim_type = "expiredCursor"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Unauthorized(ScimError):
    status = 401


class NotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405


class PreconditionFailed(ScimError):
    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMediaType(ScimError):
    status = 415


class InternalError(ScimError):
    status = 500


class Unavailable(ScimError):
    """The server cannot take the request now; the client should retry (`Retry-After`)."""

    status = 503
    retry_after_s = 1


class TooManyRequests(ScimError):
    """A rate limit was reached; `Retry-After` says when the next request may pass."""

    status = 429

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)
