"""Filter grammar (RFC 7644 §3.4.2.2): text → an AST bound to the resource type's schema.

The parser is a small recursive descent over RFC 7644 Figure 1 (precedence: `not`, `and`,
`or`; parentheses; value paths `emails[type eq "work" and value co "@x"]`). Every attribute
is resolved against the schema while parsing, and every comparison is type-checked against
the attribute's type, so what reaches the database translator is already known to be
executable. Anything else raises `InvalidFilter`: a filter is never dropped or widened.

Accepted beyond the RFC grammar, because identity providers send it and its meaning is
unambiguous: `emails[type eq "work"].value eq "x"` (Entra's match query) is read as
`emails[type eq "work" and value eq "x"]`, i.e. both conditions on the same element.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from doorpost.scim.errors import InvalidFilter
from doorpost.scim.schema import (
    BINARY,
    BOOLEAN,
    DATETIME,
    DECIMAL,
    INTEGER,
    Attribute,
    ResolvedPath,
    ResourceType,
)
from doorpost.scim.values import comparable, parse_datetime

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
ORDER_OPS = frozenset({"gt", "ge", "lt", "le"})
SUBSTRING_OPS = frozenset({"co", "sw", "ew"})
MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32


@dataclass(frozen=True)
class Compare:
    """`path op value`; `value` is already typed (str, bool, int, Decimal, datetime)."""

    path: ResolvedPath
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    """`path pr`."""

    path: ResolvedPath


@dataclass(frozen=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


@dataclass(frozen=True)
class ValuePath:
    """`attr[filter]`: true when one element of the multi-valued `attr` matches `filter`.

    Paths inside `filter` are bound with `attr` as their parent and the element's
    sub-attribute as `sub`.
    """

    path: ResolvedPath
    filter: Filter


Filter = Union[Compare, Present, And, Or, Not, ValuePath]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w:])
    | (?P<word>[A-Za-z$_][\w:.\-$]*)
    | (?P<punct>[()\[\].])
    )""",
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InvalidFilter(f"Unexpected character at position {pos + 1} of the filter.")
        kind = m.lastgroup or "punct"
        tokens.append(_Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str, resource_type: ResourceType) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise InvalidFilter(f"Filter longer than {MAX_FILTER_LENGTH} characters.")
        self.tokens = _tokenize(text)
        self.i = 0
        self.rt = resource_type
        self.depth = 0

    # -- token helpers -------------------------------------------------------------
    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def peek_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.lower() in words

    def peek_punct(self, char: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "punct" and tok.text == char

    def take(self) -> _Token:
        tok = self.peek()
        if tok is None:
            raise InvalidFilter("The filter ends too early.")
        self.i += 1
        return tok

    def expect_punct(self, char: str) -> None:
        tok = self.take()
        if tok.kind != "punct" or tok.text != char:
            raise InvalidFilter(f"Expected '{char}' at position {tok.pos + 1}, found '{tok.text}'.")

    # -- grammar -------------------------------------------------------------------
    def parse(self) -> Filter:
        if not self.tokens:
            raise InvalidFilter("The filter is empty.")
        result = self.parse_or(None)
        tok = self.peek()
        if tok is not None:
            raise InvalidFilter(f"Unexpected '{tok.text}' at position {tok.pos + 1}.")
        return result

    def parse_or(self, parent: ResolvedPath | None) -> Filter:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter("The filter is nested too deeply.")
        items = [self.parse_and(parent)]
        while self.peek_word("or"):
            self.take()
            items.append(self.parse_and(parent))
        self.depth -= 1
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self, parent: ResolvedPath | None) -> Filter:
        items = [self.parse_unary(parent)]
        while self.peek_word("and"):
            self.take()
            items.append(self.parse_unary(parent))
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self, parent: ResolvedPath | None) -> Filter:
        if self.peek_word("not"):
            self.take()
            if not self.peek_punct("("):
                raise InvalidFilter("'not' must be followed by a parenthesized filter.")
            return Not(self.parse_unary(parent))
        if self.peek_punct("("):
            self.take()
            inner = self.parse_or(parent)
            self.expect_punct(")")
            return inner
        return self.parse_attribute_expression(parent)

    def parse_attribute_expression(self, parent: ResolvedPath | None) -> Filter:
        tok = self.take()
        if tok.kind != "word":
            raise InvalidFilter(f"Expected an attribute name at position {tok.pos + 1}.")
        path = self.resolve(tok.text, parent)
        if self.peek_punct("["):
            if parent is not None:
                raise InvalidFilter("Value paths cannot be nested.")
            return self.parse_value_path(path)
        return self.parse_comparison(path)

    def parse_value_path(self, path: ResolvedPath) -> Filter:
        if not (path.attr.multi_valued and path.attr.is_complex) or path.sub is not None:
            raise InvalidFilter(f"'{path.dotted}' is not a multi-valued complex attribute.")
        self.take()  # "["
        inner = self.parse_or(path)
        self.expect_punct("]")
        if self.peek_punct("."):
            # Entra: emails[type eq "work"].value eq "x"  ->  emails[type eq "work" and value eq "x"]
            self.take()
            tok = self.take()
            sub = path.attr.sub(tok.text) if tok.kind == "word" else None
            if sub is None:
                raise InvalidFilter(f"Unknown sub-attribute '{tok.text}' of '{path.attr.name}'.")
            element = ResolvedPath(path.schema, path.extension, path.attr, sub)
            inner = And((inner, self.parse_comparison(element)))
        return ValuePath(path, inner)

    def parse_comparison(self, path: ResolvedPath) -> Filter:
        tok = self.take()
        op = tok.text.lower()
        if tok.kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise InvalidFilter(f"Unknown operator '{tok.text}' at position {tok.pos + 1}.")
        if op == "pr":  # `name pr`: a complex attribute is present when any part of it is
            return Present(path)
        path = _default_sub(path)
        raw = self.parse_literal()
        return _typed_compare(path, op, raw)

    def parse_literal(self) -> Any:
        tok = self.take()
        if tok.kind == "string":
            try:
                value = json.loads(tok.text)
            except ValueError as exc:
                raise InvalidFilter(f"Malformed string at position {tok.pos + 1}.") from exc
            if "\x00" in value:
                raise InvalidFilter("Filter values must not contain NUL characters.")
            return value
        if tok.kind == "number":
            return Decimal(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
        if tok.kind == "word" and tok.text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok.text.lower()]
        raise InvalidFilter(f"Expected a value at position {tok.pos + 1}, found '{tok.text}'.")

    def resolve(self, text: str, parent: ResolvedPath | None) -> ResolvedPath:
        if parent is not None:
            sub_name = text
            # `emails[emails.type eq "work"]` is tolerated; so is a fully qualified name.
            prefix = parent.attr.name.lower() + "."
            if sub_name.lower().startswith(prefix):
                sub_name = sub_name[len(prefix):]
            sub = parent.attr.sub(sub_name)
            if sub is None:
                raise InvalidFilter(f"Unknown sub-attribute '{text}' of '{parent.attr.name}'.")
            return ResolvedPath(parent.schema, parent.extension, parent.attr, sub)
        resolved = self.rt.resolve(text)
        if resolved is None:
            raise InvalidFilter(f"Unknown attribute '{text}' for {self.rt.name} filters.")
        if resolved.target.returned == "never":
            raise InvalidFilter(f"'{resolved.dotted}' cannot be used in a filter.")
        return resolved


def _default_sub(path: ResolvedPath) -> ResolvedPath:
    """A complex attribute compared without a sub-attribute means its `value` (RFC 7644 §3.4.2.2)."""
    if path.sub is None and path.attr.is_complex:
        value = path.attr.sub("value")
        if value is None:
            raise InvalidFilter(f"'{path.attr.name}' is complex: name one of its sub-attributes.")
        return ResolvedPath(path.schema, path.extension, path.attr, value)
    return path


def _typed_compare(path: ResolvedPath, op: str, raw: Any) -> Filter:
    """Check `op` and the literal against the attribute's type; return the typed node."""
    attr: Attribute = path.target
    name = path.dotted
    if raw is None:
        if op == "eq":
            return Not(Present(path))
        if op == "ne":
            return Present(path)
        raise InvalidFilter(f"'{op}' cannot compare with null.")
    if attr.type == BOOLEAN:
        if op not in ("eq", "ne") or not isinstance(raw, bool):
            raise InvalidFilter(f"'{name}' is boolean: only 'eq'/'ne' with true or false apply.")
        return Compare(path, op, raw)
    if attr.type in (INTEGER, DECIMAL):
        if op in SUBSTRING_OPS or isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
            raise InvalidFilter(f"'{name}' is numeric: compare it with a number.")
        if attr.type == INTEGER and isinstance(raw, Decimal):
            raise InvalidFilter(f"'{name}' is an integer.")
        return Compare(path, op, raw)
    if not isinstance(raw, str):
        raise InvalidFilter(f"'{name}' is a {attr.type}: compare it with a quoted string.")
    if attr.type == BINARY and op in ORDER_OPS:
        raise InvalidFilter(f"'{name}' is binary: ordering comparisons do not apply.")
    if attr.type == DATETIME:
        parsed = parse_datetime(raw)
        if parsed is None:
            raise InvalidFilter(f"'{raw}' is not an xsd:dateTime value for '{name}'.")
        if op in SUBSTRING_OPS:
            raise InvalidFilter(f"'{name}' is a dateTime: '{op}' does not apply.")
        return Compare(path, op, parsed)
    return Compare(path, op, raw)


@functools.lru_cache(maxsize=4096)
def parse_filter(text: str, resource_type: ResourceType) -> Filter:
    """Parse and bind a filter for `resource_type`; raises InvalidFilter.

    Cached: the AST is immutable, and identity providers repeat the same filter shapes."""
    return _Parser(text, resource_type).parse()


def parse_element_filter(text: str, parent: ResolvedPath, resource_type: ResourceType) -> Filter:
    """Parse the filter inside `attr[...]` of a PATCH path, bound to the element."""
    parser = _Parser(text, resource_type)
    result = parser.parse_or(parent)
    if parser.peek() is not None:
        raise InvalidFilter(f"Unexpected '{parser.peek().text}' in value filter.")  # type: ignore[union-attr]
    return result


# -- evaluation on in-memory values (PATCH value filters) --------------------------------

def matches(node: Filter, element: dict[str, Any]) -> bool:
    """Evaluate an element-bound filter (from a PATCH value path) against one element."""
    if isinstance(node, And):
        return all(matches(i, element) for i in node.items)
    if isinstance(node, Or):
        return any(matches(i, element) for i in node.items)
    if isinstance(node, Not):
        return not matches(node.item, element)
    if isinstance(node, Present):
        return _present(_element_value(node.path, element))
    if isinstance(node, Compare):
        return _compare(node, _element_value(node.path, element))
    raise InvalidFilter("Value paths cannot be nested.")


def _element_value(path: ResolvedPath, element: dict[str, Any]) -> Any:
    key = path.sub.name if path.sub else "value"
    return element.get(key)


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _compare(node: Compare, actual: Any) -> bool:
    """Two-valued, as in SQL (`store/filter_sql.compare`): a comparison with an unassigned
    value is false, so `ne` is true for it. Both sides go through `values.comparable`."""
    attr = node.path.target
    left, right = comparable(attr, actual), comparable(attr, node.value)
    if left is None:
        return node.op == "ne"
    try:
        return _apply(node.op, left, right)
    except TypeError:
        return False


def _apply(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "co":
        return bool(expected in actual)
    if op == "sw":
        return bool(actual.startswith(expected))
    if op == "ew":
        return bool(actual.endswith(expected))
    return bool({"gt": actual > expected, "ge": actual >= expected,
                 "lt": actual < expected, "le": actual <= expected}[op])
