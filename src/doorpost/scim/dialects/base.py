"""The dialect interface, and the RFC 7644 dialect that rewrites nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from doorpost.scim.notes import Note
from doorpost.scim.patch import PatchPolicy
from doorpost.scim.schema import ResourceType


@dataclass(frozen=True)
class Dialect:
    """How one client family speaks. Subclasses override the `normalize_*` hooks."""

    name: str = "rfc"
    description: str = "Strict RFC 7643/7644."
    policy: PatchPolicy = field(default_factory=PatchPolicy)

    def normalize_resource(self, body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
        """A POST/PUT body, before validation."""
        return body, []

    def normalize_patch(self, body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
        """A PatchOp body, before parsing."""
        return body, []

    def normalize_query(self, params: dict[str, Any], rt: ResourceType
                        ) -> tuple[dict[str, Any], list[Note]]:
        """List / search parameters, before parsing."""
        return params, []


RFC = Dialect()
