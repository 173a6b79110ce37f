"""The PATCH engine (RFC 7644 §3.5.2): apply add / replace / remove to a document.

The engine works on a copy of the stored document and returns the new document, so a PATCH
is all-or-nothing: any failing operation raises and nothing is written (§3.5.2, atomicity).
The caller compares old and new to decide whether anything changed; a PATCH that changes
nothing must not bump `meta.version` (§3.5.2.1).

`Group.members` is never loaded: operations on it become `MemberChange`s that the store
applies as row inserts and deletes, so a one-member PATCH costs the same on any group size.

Tolerances for identity providers live in `PatchPolicy` (set by the dialect) and are recorded
as `Note`s whenever they change the outcome.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from doorpost.scim.errors import InvalidSyntax, InvalidValue, Mutability, NoTarget, InvalidPath
from doorpost.scim.filter import And, Compare, Filter, Or, matches
from doorpost.scim.multivalued import deduplicated, keep_one_primary, merge_into, same, without
from doorpost.scim.notes import Note
from doorpost.scim.paths import PatchPath, parse_patch_path
from doorpost.scim.resource import check_document, coerce_single, coerce_value, parse_members
from doorpost.scim.schema import Attribute, ResolvedPath, ResourceType

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("add", "replace", "remove")


@dataclass(frozen=True)
class Operation:
    op: str
    path: str | None
    value: Any
    has_value: bool


@dataclass(frozen=True)
class MemberChange:
    """A membership delta: `add`/`remove` listed ids, `remove_all`, or `remove_where` a filter."""

    kind: str
    ids: tuple[str, ...] = ()
    where: Filter | None = None


@dataclass(frozen=True)
class PatchPolicy:
    """Dialect switches. The defaults are strict RFC 7644."""

    # replace of `attr[filter].sub` that selects nothing creates the element (Entra)
    create_on_unmatched_replace: bool = False
    # replace of `members` means "add these" (clients that send partial lists)
    replace_members_adds: bool = False


@dataclass
class PatchResult:
    doc: dict[str, Any]
    member_changes: list[MemberChange] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def parse_patch_request(body: Any) -> list[Operation]:
    """Validate the PatchOp envelope (RFC 7644 §3.5.2); op names are case-insensitive."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A PATCH body must be a PatchOp JSON object.")
    lowered = {k.lower(): v for k, v in body.items()}
    schemas = lowered.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.lower() not in {
        s.lower() for s in schemas if isinstance(s, str)
    }:
        raise InvalidSyntax(f"A PATCH body must list '{PATCH_SCHEMA}' in 'schemas'.")
    raw_ops = lowered.get("operations")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise InvalidSyntax("A PATCH body needs a non-empty 'Operations' array.")
    ops: list[Operation] = []
    for i, raw in enumerate(raw_ops, start=1):
        if not isinstance(raw, dict):
            raise InvalidSyntax(f"Operation {i} must be a JSON object.")
        fields = {k.lower(): v for k, v in raw.items()}
        unknown = set(fields) - {"op", "path", "value"}
        if unknown:
            raise InvalidSyntax(f"Operation {i} has unknown member(s): {', '.join(sorted(unknown))}.")
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in OPS:
            raise InvalidSyntax(f"Operation {i}: 'op' must be one of add, replace, remove.")
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidPath(f"Operation {i}: 'path' must be a string.")
        ops.append(Operation(op.lower(), path, fields.get("value"), "value" in fields))
    return ops


def apply_patch(doc: dict[str, Any], ops: list[Operation], rt: ResourceType,
                policy: PatchPolicy = PatchPolicy(), resource_id: str | None = None
                ) -> PatchResult:
    """Apply `ops` to a copy of `doc`; raises a ScimError and leaves `doc` untouched on failure.

    `resource_id` lets a path-less value repeat the resource's own `id` (Okta does), which
    changes nothing; any other `id` is a write to a read-only attribute.
    """
    result = PatchResult(copy.deepcopy(doc))
    engine = _Engine(rt, policy, result, resource_id)
    for op in ops:
        engine.apply(op)
    check_document(result.doc, rt)
    return result


class _Engine:
    def __init__(self, rt: ResourceType, policy: PatchPolicy, result: PatchResult,
                 resource_id: str | None) -> None:
        self.rt = rt
        self.policy = policy
        self.result = result
        self.resource_id = resource_id

    @property
    def doc(self) -> dict[str, Any]:
        return self.result.doc

    def note(self, rule: str, detail: str) -> None:
        self.result.notes.append(Note(rule, detail))

    # -- dispatch ------------------------------------------------------------------
    def apply(self, op: Operation) -> None:
        if op.path is None or op.path == "":
            if op.op == "remove":
                raise NoTarget("A 'remove' operation needs a 'path'.")
            self.apply_pathless(op)
            return
        if op.op != "remove" and not op.has_value:
            raise InvalidValue(f"'{op.op}' of '{op.path}' needs a 'value'.")
        self.apply_path(op.op, parse_patch_path(op.path, self.rt), op.value, op.has_value)

    def apply_pathless(self, op: Operation) -> None:
        """`add`/`replace` without path: `value` is an object of attributes (RFC 7644 §3.5.2.1)."""
        if not isinstance(op.value, dict):
            raise InvalidValue(f"'{op.op}' without 'path' needs an object 'value'.")
        for key, value in op.value.items():
            if key.lower() == "schemas":
                continue
            if key.lower() == "id" and self.resource_id is not None and value == self.resource_id:
                self.note("pathless-own-id", f"'{op.op}' value repeats the resource's own id")
                continue
            ext = self.rt.schema_for(key)
            if ext is not None and ext is not self.rt.core:
                if not isinstance(value, dict):
                    raise InvalidValue(f"'{key}' must be an object of its attributes.")
                for sub_key, sub_value in value.items():
                    if sub_key.lower() != "schemas":
                        self.apply_path(op.op, parse_patch_path(f"{ext.id}:{sub_key}", self.rt),
                                        sub_value, True)
                continue
            if "." in key or key.lower().startswith("urn:"):
                # Entra (aadOptscim062020) keys the value object by attribute *paths*.
                self.note("pathless-key-as-path",
                          f"'{op.op}' value key '{key}' read as the path '{key}'")
            self.apply_path(op.op, parse_patch_path(key, self.rt), value, True)

    def apply_path(self, op: str, path: PatchPath, value: Any, has_value: bool) -> None:
        if path.extension is not None:
            self.apply_extension(op, path, value)
            return
        assert path.attr is not None
        attr = path.attr.attr
        if attr.mutability == "readOnly" or (path.attr.sub and path.attr.sub.mutability == "readOnly"):
            raise Mutability(f"'{path.text}' is read-only.")
        if attr.name == self.rt.written_relation:
            self.apply_members(op, path, value, has_value)
            return
        if path.filter is not None:
            self.apply_filtered(op, path, value)
            return
        holder = self.holder(path.attr, create=op != "remove")
        if holder is None:
            return
        if path.attr.sub is not None:
            self.apply_sub(op, path.attr, holder, value)
            return
        self.check_immutable(attr, holder)
        if op == "remove":
            if attr.multi_valued and has_value:
                self.remove_listed(attr, holder, value)
            else:
                holder.pop(attr.name, None)
            self.prune(path.attr)
            return
        if attr.multi_valued:
            items = value if isinstance(value, list) else [value]
            coerced = coerce_value(attr, items, path.text) or []
            if op == "replace":
                holder[attr.name] = coerced
                touched = coerced
            else:
                touched = merge_into(attr, holder.setdefault(attr.name, []), coerced)
            keep_one_primary(attr, holder[attr.name], touched)
            if not holder.get(attr.name):
                holder.pop(attr.name, None)
        elif attr.is_complex:
            merged = coerce_single(attr, value, path.text) or {}
            if value is None or value == {}:
                holder.pop(attr.name, None)
            else:
                target = holder.setdefault(attr.name, {})
                target.update(merged)
        else:
            coerced = coerce_single(attr, value, path.text)
            if coerced is None:
                holder.pop(attr.name, None)
            else:
                holder[attr.name] = coerced
        self.prune(path.attr)

    # -- pieces ----------------------------------------------------------------------
    def holder(self, path: ResolvedPath, *, create: bool) -> dict[str, Any] | None:
        """The dict that holds `path.attr`: the document, or its extension object."""
        if not path.extension:
            return self.doc
        holder: dict[str, Any] | None = (self.doc.setdefault(path.schema.id, {}) if create
                                          else self.doc.get(path.schema.id))
        return holder

    def prune(self, path: ResolvedPath) -> None:
        """Drop an extension object (or complex value) that became empty."""
        holder = self.holder(path, create=False)
        if holder is None:
            return
        value = holder.get(path.attr.name)
        if value in ({}, []):
            holder.pop(path.attr.name, None)
        if path.extension and not holder:
            self.doc.pop(path.schema.id, None)

    def check_immutable(self, attr: Attribute, holder: dict[str, Any]) -> None:
        """An immutable attribute may be added once, never changed (RFC 7643 §2.2)."""
        if attr.mutability == "immutable" and holder.get(attr.name) is not None:
            raise Mutability(f"'{attr.name}' is immutable once set.")

    def apply_extension(self, op: str, path: PatchPath, value: Any) -> None:
        ext = path.extension
        assert ext is not None
        if op == "remove":
            self.doc.pop(ext.id, None)
            return
        if not isinstance(value, dict):
            raise InvalidValue(f"'{ext.id}' must be an object of its attributes.")
        if op == "replace":
            self.doc.pop(ext.id, None)
        for key, sub_value in value.items():
            if key.lower() == "schemas":
                continue
            self.apply_path("add" if op == "replace" else op,
                            parse_patch_path(f"{ext.id}:{key}", self.rt), sub_value, True)

    def apply_sub(self, op: str, path: ResolvedPath, holder: dict[str, Any], value: Any) -> None:
        """`name.givenName`: a sub-attribute of a single-valued complex attribute."""
        attr, sub = path.attr, path.sub
        assert sub is not None
        if attr.multi_valued:
            raise InvalidPath(f"'{attr.name}' is multi-valued: select values with a filter, "
                              f"e.g. {attr.name}[type eq \"work\"].{sub.name}.")
        if op == "remove":
            complex_value = holder.get(attr.name)
            if isinstance(complex_value, dict):
                complex_value.pop(sub.name, None)
            self.prune(path)
            return
        coerced = coerce_value(sub, value, f"{attr.name}.{sub.name}")
        target = holder.setdefault(attr.name, {})
        if coerced is None:
            target.pop(sub.name, None)
        else:
            target[sub.name] = coerced
        self.prune(path)

    def apply_filtered(self, op: str, path: PatchPath, value: Any) -> None:
        """`emails[type eq "work"]` or `emails[type eq "work"].value`."""
        assert path.attr is not None and path.filter is not None
        attr = path.attr.attr
        holder = self.holder(path.attr, create=op != "remove")
        if holder is None:
            return
        elements: list[dict[str, Any]] = holder.get(attr.name) or []
        selected = [e for e in elements if matches(path.filter, e)]
        if path.sub is not None and path.sub.mutability == "readOnly":
            raise Mutability(f"'{path.text}' is read-only.")
        if op == "remove":
            if path.sub is None:
                holder[attr.name] = [e for e in elements if e not in selected]
            else:
                for element in selected:
                    element.pop(path.sub.name, None)
                holder[attr.name] = [e for e in elements if e]
            self.prune(path.attr)
            return
        if not selected:
            if op == "replace" and not self.policy.create_on_unmatched_replace:
                raise NoTarget(f"No value of '{attr.name}' matches the filter in '{path.text}'.")
            seed = _seed_from_filter(path.filter)
            if seed is None:
                raise NoTarget(f"No value matches '{path.text}', and the filter does not say "
                               "what to create (use only 'eq' and 'and').")
            if op == "replace":
                self.note("create-on-unmatched-filter",
                          f"'replace {path.text}' matched nothing; created {seed}")
            elements = holder.setdefault(attr.name, [])
            elements.append(seed)
            selected = [seed]
        for element in selected:
            if path.sub is not None:
                coerced = coerce_value(path.sub, value, f"{attr.name}.{path.sub.name}")
                if coerced is None:
                    element.pop(path.sub.name, None)
                else:
                    element[path.sub.name] = coerced
            else:
                replacement = coerce_single(attr, value, path.text) or {}
                if op == "replace":
                    element.clear()
                element.update(replacement)
        # Replacing several selected values with one object makes them the same value:
        # they become one. The values this operation wrote decide which one is primary.
        values = deduplicated(attr, [e for e in holder[attr.name] if e])
        written = [v for v in values if any(same(attr, v, s) for s in selected if s)]
        keep_one_primary(attr, values, written)
        holder[attr.name] = values
        self.prune(path.attr)

    def remove_listed(self, attr: Attribute, holder: dict[str, Any], value: Any) -> None:
        """`remove` with a value removes only the values listed (`multivalued.same`), never
        all of them: an empty list removes nothing."""
        items = value if isinstance(value, list) else [value] if value is not None else []
        # each listed value as given (not merged with the others: each names what it matches)
        listed = [v for v in (coerce_single(attr, i, attr.name) for i in items) if v is not None]
        current = holder.get(attr.name) or []
        holder[attr.name] = without(attr, current, listed)
        if not holder[attr.name]:
            holder.pop(attr.name, None)
        self.note("remove-with-value", f"'remove {attr.name}' with a value removed only the "
                  f"{len(listed)} listed value(s)")

    # -- members -------------------------------------------------------------------
    def apply_members(self, op: str, path: PatchPath, value: Any, has_value: bool) -> None:
        changes = self.result.member_changes
        if path.sub is not None or path.attr is None or path.attr.sub is not None:
            raise Mutability(f"'{path.text}': member values are immutable; add or remove members.")
        if path.filter is not None:
            if op != "remove":
                raise InvalidPath(f"'{op}' of '{path.text}': add members by value instead.")
            ids = _ids_from_filter(path.filter)
            changes.append(MemberChange("remove", ids) if ids is not None
                           else MemberChange("remove_where", where=path.filter))
            return
        if op == "remove":
            if has_value:  # only the listed members, so an empty list removes no one
                ids = tuple(parse_members(value))
                self.note("remove-with-value", f"'remove members' with a value removed only "
                          f"the {len(ids)} listed member(s)")
                if ids:
                    changes.append(MemberChange("remove", ids))
            else:
                changes.append(MemberChange("remove_all"))
            return
        ids = tuple(parse_members(value))
        if op == "replace":
            if self.policy.replace_members_adds:
                self.note("replace-members-as-add", f"'replace members' read as adding "
                          f"{len(ids)} member(s)")
            else:
                changes.append(MemberChange("remove_all"))
        if ids:
            changes.append(MemberChange("add", ids))


def _seed_from_filter(node: Filter) -> dict[str, Any] | None:
    """The element a filter of `eq` conditions describes: `type eq "work"` → {"type": "work"}."""
    items = node.items if isinstance(node, And) else (node,)
    seed: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Compare) or item.op != "eq" or item.path.sub is None:
            return None
        seed[item.path.sub.name] = item.value
    return seed


def _ids_from_filter(node: Filter) -> tuple[str, ...] | None:
    """`value eq "a"` or `value eq "a" or value eq "b"` → ("a", "b"); None for anything else."""
    items = node.items if isinstance(node, Or) else (node,)
    ids: list[str] = []
    for item in items:
        if not (isinstance(item, Compare) and item.op == "eq" and item.path.sub is not None
                and item.path.sub.name == "value" and isinstance(item.value, str)):
            return None
        ids.append(item.value)
    return tuple(ids)

