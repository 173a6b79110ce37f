"""Discovery endpoints tell the truth: generated from the same data the server enforces."""

from __future__ import annotations

from scim2_models import ResourceType as RtModel
from scim2_models import Schema as SchemaModel
from scim2_models import ServiceProviderConfig

from doorpost.scim.definitions import SCHEMAS
from tests.conftest import LiveServer, Tenant

import httpx


def test_service_provider_config(tenant: Tenant, server: LiveServer) -> None:
    body = httpx.get(server.scim_url + "/ServiceProviderConfig").json()  # no token needed
    spc = ServiceProviderConfig.model_validate(body)  # independent oracle
    limits = server.settings.limits
    assert spc.patch.supported and spc.filter.supported and spc.sort.supported
    assert spc.etag.supported and not spc.bulk.supported
    assert spc.filter.max_results == limits.max_page_size
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["meta"]["location"].endswith("/ServiceProviderConfig")


def test_schemas_match_the_enforced_definitions(tenant: Tenant) -> None:
    listed = tenant.client.get("/Schemas").json()
    assert listed["totalResults"] == 3 == len(listed["Resources"])
    by_id = {s["id"]: s for s in listed["Resources"]}
    for schema in SCHEMAS:
        served = by_id[schema.id]
        SchemaModel.model_validate(served)
        assert [a["name"] for a in served["attributes"]] == [a.name for a in schema.attributes]
        one = tenant.client.get(f"/Schemas/{schema.id}")
        assert one.status_code == 200 and one.json() == served
    user = by_id["urn:ietf:params:scim:schemas:core:2.0:User"]
    user_name = next(a for a in user["attributes"] if a["name"] == "userName")
    assert user_name["uniqueness"] == "server" and user_name["caseExact"] is False
    password = next(a for a in user["attributes"] if a["name"] == "password")
    assert password["returned"] == "never"


def test_resource_types(tenant: Tenant) -> None:
    listed = tenant.client.get("/ResourceTypes").json()
    assert {r["name"] for r in listed["Resources"]} == {"User", "Group"}
    user = tenant.client.get("/ResourceTypes/User").json()
    RtModel.model_validate(user)
    assert user["endpoint"] == "/Users"
    assert user["schemaExtensions"] == [{
        "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}]
    assert tenant.client.get("/ResourceTypes/Door").status_code == 404
