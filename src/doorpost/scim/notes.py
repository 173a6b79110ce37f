"""Normalization notes: what Doorpost reinterpreted in a request, and why.

Every rewrite of a non-canonical request (a dialect rule at the edge, or a tolerance inside
the PATCH engine) appends one `Note`. The HTTP layer stores them with the request, so an
operator can always see why a change happened.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """One normalization that fired: `rule` is a stable id, `detail` says what changed."""

    rule: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail}
