"""The SCIM API as an OpenAPI 3.1 document, generated from the schema data `/Schemas` serves.

Resource bodies are JSON Schemas derived attribute by attribute from `definitions`, so the
document cannot drift from what the server validates and returns. Responses stay open
(`additionalProperties`): extension URNs and attributes a later schema adds are allowed.
Every status an operation can answer is listed, each error as the RFC 7644 §3.12 body.
"""

from __future__ import annotations

from typing import Any

from doorpost.scim.definitions import RESOURCE_TYPES
from doorpost.scim.discovery import Limits
from doorpost.scim.errors import ERROR_SCHEMA
from doorpost.scim.schema import (
    BOOLEAN,
    COMPLEX,
    DATETIME,
    Attribute,
    ResourceType,
)

SCIM_JSON = "application/scim+json"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
JSON_TYPES = {BOOLEAN: "boolean", "integer": "integer", "decimal": "number"}


def attribute_schema(attr: Attribute, *, returned: bool) -> dict[str, Any]:
    """One attribute as JSON Schema (RFC 7643 §2.3 types)."""
    if attr.type == COMPLEX:
        one: dict[str, Any] = {"type": "object", "properties": {
            s.name: attribute_schema(s, returned=returned) for s in attr.sub_attributes
            if not (returned and s.returned == "never")}}
    else:
        one = {"type": JSON_TYPES.get(attr.type, "string")}
        if attr.type == DATETIME and returned:
            one["format"] = "date-time"
    if attr.description:
        one["description"] = attr.description
    return {"type": "array", "items": one} if attr.multi_valued else one


def resource_schema(rt: ResourceType, *, returned: bool) -> dict[str, Any]:
    """A resource as returned (`returned=True`) or as a POST/PUT body."""
    attrs = [*(rt.common.attributes if rt.common else ()), *rt.core.attributes]
    props: dict[str, Any] = {"schemas": {"type": "array", "items": {"type": "string"}}}
    for a in attrs:
        if returned and a.returned == "never":
            continue
        if not returned and a.mutability == "readOnly":
            continue
        props[a.name] = attribute_schema(a, returned=returned)
    for ext in rt.extensions:
        props[ext.id] = {"type": "object", "properties": {
            a.name: attribute_schema(a, returned=returned) for a in ext.attributes
            if not (returned and a.returned == "never")}}
    required = ["schemas", "id"] if returned else ["schemas", *(
        a.name for a in rt.core.attributes if a.required)]
    return {"type": "object", "properties": props, "required": required,
            "description": rt.description}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {SCIM_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


ERRORS = {
    "400": "The request is invalid (see `scimType`).",
    "401": "Missing or invalid bearer token, or SCIM is off for the organization.",
    "404": "No such resource.",
    "409": "A unique attribute is taken.",
    "412": "`If-Match` names an older version.",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not `application/scim+json` or `application/json`.",
    "429": "A rate limit was reached; see `Retry-After`.",
    "500": "An internal error (logged, never detailed).",
    "503": "The server cannot take the request now; see `Retry-After`.",
}
READ_ERRORS = ("400", "401", "404", "429", "500", "503")
WRITE_ERRORS = tuple(ERRORS)


def _responses(ok: dict[str, Any], errors: tuple[str, ...]) -> dict[str, Any]:
    return {**ok, **{code: _error(ERRORS[code]) for code in errors}}


def _body(ref: str) -> dict[str, Any]:
    schema = {"$ref": ref}
    return {"required": True, "content": {SCIM_JSON: {"schema": schema},
                                          "application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
            "description": description}


PROJECTION = [
    _query("attributes", {"type": "string"}, "Comma-separated attributes to return."),
    _query("excludedAttributes", {"type": "string"}, "Comma-separated attributes to omit."),
]


def _list_parameters(limits: Limits) -> list[dict[str, Any]]:
    return [
        _query("filter", {"type": "string"}, "RFC 7644 §3.4.2.2 filter."),
        _query("startIndex", {"type": "integer", "minimum": 1}, "1-based index of the page."),
        _query("count", {"type": "integer", "minimum": 0, "maximum": limits.max_page_size},
               f"Page size (default {limits.default_page_size})."),
        _query("sortBy", {"type": "string"}, "Attribute to sort by."),
        _query("sortOrder", {"type": "string", "enum": ["ascending", "descending"]},
               "Sort direction."),
        _query("cursor", {"type": "string"}, "RFC 9865 cursor (empty for the first page)."),
        *PROJECTION,
    ]


def _resource_paths(rt: ResourceType, limits: Limits) -> dict[str, Any]:
    name = rt.name
    one = {"$ref": f"#/components/schemas/{name}"}
    one_body = {SCIM_JSON: {"schema": one}}
    etag = {"ETag": {"schema": {"type": "string"}, "description": "The version."}}
    located = {**etag, "Location": {"schema": {"type": "string"}}}
    listed = {"200": {"description": f"A page of {rt.endpoint}.", "content": {
        SCIM_JSON: {"schema": {"$ref": f"#/components/schemas/{name}List"}}}}}
    by_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    if_match = _header("If-Match", "Write only if the resource still has this version.")
    return {
        f"/scim/v2/{rt.endpoint}": {
            "get": {"operationId": f"list{rt.endpoint}", "summary": f"List {rt.endpoint}",
                    "parameters": _list_parameters(limits),
                    "responses": _responses(listed, READ_ERRORS)},
            "post": {"operationId": f"create{name}", "summary": f"Create a {name}",
                     "parameters": PROJECTION,
                     "requestBody": _body(f"#/components/schemas/{name}Input"),
                     "responses": _responses({"201": {
                         "description": "Created.", "headers": located,
                         "content": one_body}}, WRITE_ERRORS)},
        },
        f"/scim/v2/{rt.endpoint}/.search": {
            "post": {"operationId": f"search{rt.endpoint}", "summary": f"Search {rt.endpoint}",
                     "requestBody": _body("#/components/schemas/SearchRequest"),
                     "responses": _responses(listed, ("413", "415", *READ_ERRORS))},
        },
        f"/scim/v2/{rt.endpoint}/{{id}}": {
            "parameters": [by_id],
            "get": {"operationId": f"get{name}", "summary": f"Read a {name}",
                    "parameters": [*PROJECTION, _header(
                        "If-None-Match", "Answer 304 if the resource still has this version.")],
                    "responses": _responses({
                        "200": {"description": "The resource.", "headers": located,
                                "content": one_body},
                        "304": {"description": "Not modified."}}, READ_ERRORS)},
            "put": {"operationId": f"replace{name}", "summary": f"Replace a {name}",
                    "parameters": [*PROJECTION, if_match],
                    "requestBody": _body(f"#/components/schemas/{name}Input"),
                    "responses": _responses({"200": {
                        "description": "Replaced.", "headers": located, "content": one_body}},
                        WRITE_ERRORS)},
            "patch": {"operationId": f"patch{name}", "summary": f"Modify a {name}",
                      "parameters": [*PROJECTION, if_match],
                      "requestBody": _body("#/components/schemas/PatchOp"),
                      "responses": _responses({
                          "200": {"description": "Modified; the resource.", "headers": located,
                                  "content": one_body},
                          "204": {"description": "Modified.", "headers": etag}},
                          WRITE_ERRORS)},
            "delete": {"operationId": f"delete{name}", "summary": f"Delete a {name}",
                       "parameters": [if_match],
                       "responses": _responses({"204": {"description": "Deleted."}},
                                               ("400", "401", "404", "412", "429", "500",
                                                "503"))},
        },
    }


def _discovery_paths() -> dict[str, Any]:
    anything = {SCIM_JSON: {"schema": {"type": "object"}}}
    paths: dict[str, Any] = {}
    for name, item in (("ServiceProviderConfig", None), ("ResourceTypes", "name"),
                       ("Schemas", "id")):
        paths[f"/scim/v2/{name}"] = {"get": {
            "operationId": f"get{name}", "summary": f"Discovery: {name}", "security": [],
            "responses": {"200": {"description": name, "content": anything}}}}
        if item:
            paths[f"/scim/v2/{name}/{{{item}}}"] = {"get": {
                "operationId": f"get{name}Item", "summary": f"Discovery: one of {name}",
                "security": [], "parameters": [{"name": item, "in": "path", "required": True,
                                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": name, "content": anything},
                              "404": _error("Unknown.")}}}
    return paths


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {"type": "object", "required": ["schemas", "status"], "properties": {
            "schemas": {"type": "array", "items": {"const": ERROR_SCHEMA}},
            "status": {"type": "string"}, "scimType": {"type": "string"},
            "detail": {"type": "string"}}},
        "PatchOp": {"type": "object", "required": ["schemas", "Operations"], "properties": {
            "schemas": {"type": "array", "items": {"type": "string"},
                        "examples": [[PATCH_OP_URN]]},
            "Operations": {"type": "array", "items": {
                "type": "object", "required": ["op"], "properties": {
                    "op": {"type": "string", "examples": ["add", "remove", "replace"]},
                    "path": {"type": "string"}, "value": {}}}}}},
        "SearchRequest": {"type": "object", "properties": {
            "schemas": {"type": "array", "items": {"type": "string"},
                        "examples": [[SEARCH_URN]]},
            "filter": {"type": "string"}, "startIndex": {"type": "integer"},
            "count": {"type": "integer"}, "sortBy": {"type": "string"},
            "sortOrder": {"type": "string"},
            "attributes": {"type": "array", "items": {"type": "string"}},
            "excludedAttributes": {"type": "array", "items": {"type": "string"}}}},
    }
    for rt in RESOURCE_TYPES:
        schemas[rt.name] = resource_schema(rt, returned=True)
        schemas[f"{rt.name}Input"] = resource_schema(rt, returned=False)
        schemas[f"{rt.name}List"] = {"type": "object", "required": ["schemas", "Resources"],
                                     "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "totalResults": {"type": "integer"}, "itemsPerPage": {"type": "integer"},
            "startIndex": {"type": "integer"}, "nextCursor": {"type": "string"},
            "previousCursor": {"type": "string"},
            "Resources": {"type": "array", "items": {"$ref": f"#/components/schemas/{rt.name}"}}}}
    return {"schemas": schemas, "securitySchemes": {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "The organization's SCIM token (console: SSO & SCIM → Generate Token)."}}}


def scim_paths(limits: Limits) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rt in RESOURCE_TYPES:
        paths.update(_resource_paths(rt, limits))
    paths["/scim/v2/.search"] = {"post": {
        "operationId": "searchAll", "summary": "Search Users and Groups together",
        "requestBody": _body("#/components/schemas/SearchRequest"),
        "responses": _responses({"200": {"description": "A page of Users and Groups.",
                                         "content": {SCIM_JSON: {"schema": {
                                             "type": "object", "required": ["Resources"]}}}}},
                                ("413", "415", *READ_ERRORS))}}
    paths.update(_discovery_paths())
    return paths


def scim_components() -> dict[str, Any]:
    return _components()
