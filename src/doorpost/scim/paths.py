"""PATCH paths (RFC 7644 §3.5.2): `attrPath`, `valuePath[.subAttr]`, or an extension URN.

Examples: `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager`,
`emails[type eq "work"].value`, `members[value eq "2819c223"]`. A URN-qualified path is split
at the URN we know (its last colon), never at the `.` inside `2.0`.
"""

from __future__ import annotations

from dataclasses import dataclass

from doorpost.scim.errors import InvalidFilter, InvalidPath
from doorpost.scim.filter import Filter, parse_element_filter
from doorpost.scim.schema import Attribute, ResolvedPath, ResourceType, Schema


@dataclass(frozen=True)
class PatchPath:
    """A parsed PATCH target.

    - `extension` alone: the whole extension object (`path` = its URN);
    - `attr` (with `attr.sub` for `name.givenName`): an attribute or sub-attribute;
    - `attr` + `filter` (+ `sub`): elements of a multi-valued attribute, or one sub-attribute
      of each selected element.
    """

    text: str
    attr: ResolvedPath | None = None
    filter: Filter | None = None
    sub: Attribute | None = None
    extension: Schema | None = None


def parse_patch_path(text: str, rt: ResourceType) -> PatchPath:
    """Parse and bind `text`; raises InvalidPath."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPath("The 'path' must be a non-empty string.")
    text = text.strip()
    ext = rt.schema_for(text)
    if ext is not None:
        if ext is rt.core:
            raise InvalidPath(f"'{text}' names the core schema; name an attribute instead.")
        return PatchPath(text, extension=ext)
    bracket = text.find("[")
    if bracket < 0:
        resolved = rt.resolve(text)
        if resolved is None:
            raise InvalidPath(f"'{text}' is not an attribute of {rt.name}.")
        return PatchPath(text, attr=resolved)
    close = _closing_bracket(text, bracket)
    resolved = rt.resolve(text[:bracket])
    if resolved is None or resolved.sub is not None:
        raise InvalidPath(f"'{text[:bracket]}' is not an attribute of {rt.name}.")
    if not (resolved.attr.multi_valued and resolved.attr.is_complex):
        raise InvalidPath(f"'{resolved.attr.name}' is not multi-valued: it takes no filter.")
    try:
        element_filter = parse_element_filter(text[bracket + 1 : close], resolved, rt)
    except InvalidFilter as exc:
        raise InvalidPath(f"Bad value filter in path '{text}': {exc.detail}") from exc
    rest = text[close + 1 :]
    sub = None
    if rest:
        if not rest.startswith(".") or len(rest) < 2:
            raise InvalidPath(f"Unexpected '{rest}' after the value filter in '{text}'.")
        sub = resolved.attr.sub(rest[1:])
        if sub is None:
            raise InvalidPath(f"'{rest[1:]}' is not a sub-attribute of '{resolved.attr.name}'.")
    return PatchPath(text, attr=resolved, filter=element_filter, sub=sub)


def _closing_bracket(text: str, start: int) -> int:
    in_string = False
    escaped = False
    for i in range(start + 1, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "]":
            return i
    raise InvalidPath(f"Unclosed '[' in path '{text}'.")
