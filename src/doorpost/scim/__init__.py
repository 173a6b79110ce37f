"""The SCIM 2.0 protocol core: schemas, filters, PATCH, validation, rendering, discovery.

Pure Python: imports the standard library and itself only, never HTTP or storage code.
"""

from doorpost.scim.definitions import GROUP_TYPE, RESOURCE_TYPES, USER_TYPE
from doorpost.scim.errors import ScimError
from doorpost.scim.filter import Filter, parse_filter
from doorpost.scim.listing import ListQuery, parse_list_query
from doorpost.scim.notes import Note
from doorpost.scim.patch import MemberChange, PatchPolicy, apply_patch, parse_patch_request
from doorpost.scim.render import Meta, Projection, render
from doorpost.scim.resource import ParsedResource, parse_resource
from doorpost.scim.schema import ResourceType

__all__ = [
    "GROUP_TYPE", "RESOURCE_TYPES", "USER_TYPE", "Filter", "ListQuery", "Meta", "MemberChange",
    "Note", "ParsedResource", "PatchPolicy", "Projection", "ResourceType", "ScimError",
    "apply_patch", "parse_filter", "parse_list_query", "parse_patch_request", "parse_resource",
    "render",
]
