"""`/openapi.json` and the server agree: schemathesis generates requests from the document
(valid and invalid ones) and checks every answer against it, on both databases: no 5xx, only
documented statuses, content types, headers and bodies."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from doorpost.config import Settings
from doorpost.http.openapi import document
from doorpost.service.access_api import AccessApi
from doorpost.service.organizations import Organizations
from doorpost.store.database import Database
from tests.conftest import LiveServer, user_body

DOCUMENT = document(None, Settings(database_url="sqlite://").limits)
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def bearer(db: Database, server: LiveServer) -> Iterator[dict[str, str]]:
    """A token of an organization with a few users and a group, so reads find things."""
    orgs = Organizations(db)
    slug = f"contract-{uuid.uuid4().hex[:8]}"
    orgs.create(slug, slug=slug, licensed=True, sso_configured=True)
    orgs.enable_scim(slug)
    headers = {"Authorization": f"Bearer {orgs.create_token(slug, 'contract').token}",
               "X-Access-Key": f"Bearer {AccessApi(db).create_key(slug, 'contract')[1]}"}
    with httpx.Client(base_url=server.scim_url, headers=headers) as client:
        ids = [client.post("/Users", json=user_body(f"c{i}@example.com")).json()["id"]
               for i in range(3)]
        client.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "Contract", "members": [
                                         {"value": i} for i in ids]})
    yield headers


def test_the_served_document_is_the_generated_one(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    served: dict[str, Any] = r.json()
    assert served["openapi"] == "3.1.0"
    assert served["paths"] == DOCUMENT["paths"]
    user = served["components"]["schemas"]["User"]["properties"]
    assert "password" not in user  # returned: never
    assert "password" in served["components"]["schemas"]["UserInput"]["properties"]
    assert "id" not in served["components"]["schemas"]["UserInput"]["properties"]  # readOnly


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case: Any, server: LiveServer,
                                            bearer: dict[str, str]) -> None:
    headers = {"Authorization": bearer["X-Access-Key"]} if case.path.startswith("/api/") \
        else {"Authorization": bearer["Authorization"]}
    if isinstance(case.query, dict) and "wait" in case.query:
        case.query["wait"] = 0  # the long-poll's hold is tested in test_webhooks.py
    case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)
