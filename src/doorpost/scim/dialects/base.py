"""Dialects: who the client is, and how its requests are read.

A `Dialect` describes one client family: how to recognise it (User-Agent markers, query flags)
and the PATCH policy it gets. A `Reading` is the dialect chosen for one request, and how it
was chosen. Two policies per dialect keep one promise: *detection never changes the meaning
of a request that is already valid RFC 7644*. `detected_policy` may only turn RFC errors into
the outcome the client means; `pinned_policy` may also reinterpret valid requests, and applies
only when an operator pinned the dialect for the organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from doorpost.scim.dialects import tolerant
from doorpost.scim.notes import Note
from doorpost.scim.patch import PatchPolicy
from doorpost.scim.schema import ResourceType


@dataclass(frozen=True)
class Dialect:
    name: str
    description: str
    detected_policy: PatchPolicy = field(default_factory=PatchPolicy)
    pinned_policy: PatchPolicy | None = None
    user_agent_markers: tuple[str, ...] = ()
    query_flags: tuple[str, ...] = ()
    shape_rules: frozenset[str] = frozenset()  # notes that reveal this client by request shape

    def recognises(self, user_agent: str, query_keys: set[str]) -> str | None:
        """How this dialect recognises the request ("flag", "user-agent"), or None."""
        if any(flag.lower() in query_keys for flag in self.query_flags):
            return "flag"
        agent = user_agent.lower()
        if any(marker in agent for marker in self.user_agent_markers):
            return "user-agent"
        return None


@dataclass
class Reading:
    """The dialect used for one request: normalizes bodies and picks the PATCH policy."""

    dialect: Dialect
    how: str = "default"  # pinned | flag | user-agent | shape | default
    shape_dialect: Dialect | None = None  # who to become when a request's shape gives it away

    @property
    def name(self) -> str:
        return self.dialect.name

    @property
    def label(self) -> str:
        return f"{self.dialect.name} ({self.how})"

    @property
    def policy(self) -> PatchPolicy:
        if self.how == "pinned" and self.dialect.pinned_policy is not None:
            return self.dialect.pinned_policy
        return self.dialect.detected_policy

    def _by_shape(self, notes: list[Note]) -> None:
        target = self.shape_dialect
        if self.how != "default" or target is None:
            return
        fired = {n.rule for n in notes} & target.shape_rules
        if fired:
            self.dialect, self.how = target, "shape"
            notes.append(Note("dialect-by-shape", f"request shape ({', '.join(sorted(fired))}) "
                              f"identifies {target.name}"))

    def normalize_resource(self, body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
        body, notes = tolerant.normalize_resource(body, rt)
        self._by_shape(notes)
        return body, notes

    def normalize_patch(self, body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
        body, notes = tolerant.normalize_patch(body, rt)
        self._by_shape(notes)
        return body, notes

    def normalize_query(self, params: dict[str, Any], rt: ResourceType
                        ) -> tuple[dict[str, Any], list[Note]]:
        return tolerant.normalize_query(params, rt)


RFC = Dialect("rfc", "Strict RFC 7643/7644: no client detected or pinned.")
