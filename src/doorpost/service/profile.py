"""A person's SCIM document as an owner reads it: labeled fields, not JSON.

Labels are data (one table); attributes without one get their name spelled out
("costCenter" → "Cost center"). Extension attributes are shown by their own names, without
the schema URN. The manager links to the manager's page. The raw document stays available
to whoever asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
HIDDEN = {"schemas", "meta", "id", "password", "groups", "active"}  # shown elsewhere
LABELS = {
    "userName": "User name", "displayName": "Display name", "nickName": "Nickname",
    "title": "Job title", "userType": "User type", "preferredLanguage": "Preferred language",
    "locale": "Locale", "timezone": "Time zone", "profileUrl": "Profile",
    "externalId": "Identity provider's id",
    "name.formatted": "Full name", "name.givenName": "Given name",
    "name.familyName": "Family name", "name.middleName": "Middle name",
    "name.honorificPrefix": "Title before the name", "name.honorificSuffix": "After the name",
    "emails": "Email", "phoneNumbers": "Phone", "addresses": "Address", "ims": "Chat",
    "photos": "Photo", "entitlements": "Entitlements", "roles": "Roles",
    "x509Certificates": "Certificates",
    "employeeNumber": "Employee number", "costCenter": "Cost center",
    "organization": "Organization", "division": "Division", "department": "Department",
    "manager": "Manager",
}
ORDER = list(LABELS)


@dataclass(frozen=True)
class Field:
    label: str
    text: str
    link: str | None = None  # a member id to link to (the manager)


def label(path: str) -> str:
    if path in LABELS:
        return LABELS[path]
    last = path.rsplit(".", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", last).lower()
    return words[:1].upper() + words[1:]


def readable(value: Any) -> str:
    """A value as text for people: `yes`, `a@x (work, primary)`, an address on one line."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(readable(v) for v in value)
    if isinstance(value, dict):
        main = value.get("value") or value.get("formatted") or ", ".join(
            str(value[k]) for k in ("streetAddress", "locality", "region", "postalCode",
                                    "country") if value.get(k))
        tags = [str(value["type"])] if value.get("type") else []
        tags += ["primary"] if value.get("primary") is True else []
        if main:
            return f"{main} ({', '.join(tags)})" if tags else str(main)
        return ", ".join(f"{label(k)}: {readable(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def profile(doc: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[Field]:
    """The document's fields in a reading order; `names` names people by id (managers)."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if key in HIDDEN:
            continue
        if key.startswith("urn:") and isinstance(value, dict):
            for sub, sub_value in value.items():
                flat.setdefault(sub, sub_value)
        elif key == "name" and isinstance(value, dict):
            for sub, sub_value in value.items():
                flat[f"name.{sub}"] = sub_value
        else:
            flat[key] = value
    fields = []
    for path in sorted(flat, key=lambda p: (ORDER.index(p) if p in ORDER else len(ORDER), p)):
        value = flat[path]
        if value in (None, "", [], {}):
            continue
        if path == "manager" and isinstance(value, dict):
            manager_id = str(value.get("value") or "")
            shown = (names or {}).get(manager_id) or value.get("displayName") or manager_id
            fields.append(Field(label(path), str(shown), manager_id or None))
            continue
        fields.append(Field(label(path), readable(value)))
    return fields


def manager_id(doc: Mapping[str, Any]) -> str | None:
    manager = (doc.get(ENTERPRISE) or {}).get("manager")
    return str(manager["value"]) if isinstance(manager, dict) and manager.get("value") else None
