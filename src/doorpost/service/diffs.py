"""What a write changed, as an owner reads it: one line per attribute
(`name.givenName: "Ann" → "Anne"`, `department: "Navy" → "Computing"`), and the members a
group gained and lost, by name. Built from the activity record's before/after."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from doorpost.service.profile import readable


@dataclass(frozen=True)
class Line:
    path: str
    before: str | None  # None: the attribute had no value
    after: str | None


@dataclass
class Members:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    more_added: int = 0
    more_removed: int = 0
    everyone_removed: bool = False
    removed_by_filter: bool = False

    @property
    def summary(self) -> str:
        """`+3 −1`, the way the activity list shows it."""
        parts = []
        if self.added or self.more_added:
            parts.append(f"+{len(self.added) + self.more_added}")
        if self.removed or self.more_removed:
            parts.append(f"−{len(self.removed) + self.more_removed}")
        if self.everyone_removed:
            parts.append("all removed")
        if self.removed_by_filter:
            parts.append("removed by filter")
        return " ".join(parts)


def shown(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return readable(value)


def _flat(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = "" if key.startswith("urn:") else f"{prefix}{key}"
        if isinstance(value, dict) and key != "manager":
            out.update(_flat(value, f"{name}." if name else ""))
        else:
            out[name or key] = value
    return out


def attribute_lines(changes: Mapping[str, Any] | None) -> list[Line]:
    if not changes:
        return []
    before = _flat(changes.get("before") or {})
    after = _flat(changes.get("after") or {})
    lines = []
    for path in dict.fromkeys([*before, *after]):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if path == "password":
            lines.append(Line(path, "(set)" if old is not None else None, "(changed)"))
            continue
        lines.append(Line(path, None if old is None else shown(old),
                          None if new is None else shown(new)))
    return lines


def member_changes(changes: Mapping[str, Any] | None) -> Members:
    out = Members()
    for change in (changes or {}).get("members", []):
        kind, ids, more = change.get("change"), change.get("ids", []), change.get("more", 0)
        if kind == "add":
            out.added += ids
            out.more_added += more
        elif kind == "remove":
            out.removed += ids
            out.more_removed += more
        elif kind == "remove_all":
            out.everyone_removed = True
        elif kind == "remove_where":
            out.removed_by_filter = True
    return out
