"""Discovery (RFC 7644 §4, RFC 7643 §5-7): ServiceProviderConfig, ResourceTypes, Schemas.

Generated from the schema data and the `Limits` the server enforces, so what a client reads
here is what the server does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorpost.scim.definitions import RESOURCE_TYPES, SCHEMAS

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


@dataclass(frozen=True)
class Limits:
    """The limits the server enforces; advertised as they are."""

    max_page_size: int = 1000
    default_page_size: int = 100
    max_body_bytes: int = 1_048_576
    cursor_timeout_s: int = 3600


def service_provider_config(base_url: str, limits: Limits) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/doorpost/doorpost#readme",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": limits.max_body_bytes},
        "filter": {"supported": True, "maxResults": limits.max_page_size},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": limits.default_page_size,
            "maxPageSize": limits.max_page_size,
            "cursorTimeout": limits.cursor_timeout_s,
        },
        "etag": {"supported": True},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A Doorpost SCIM token (dp_scim_…) sent as 'Authorization: Bearer'. "
                           f"Request bodies are limited to {limits.max_body_bytes} bytes (413).",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig",
                 "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_types(base_url: str) -> list[dict[str, Any]]:
    return [rt.to_scim(base_url) for rt in RESOURCE_TYPES]


def schemas(base_url: str) -> list[dict[str, Any]]:
    return [s.to_scim(base_url) for s in SCHEMAS]
