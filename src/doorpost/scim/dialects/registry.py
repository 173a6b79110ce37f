"""All dialects by name: the one registry the HTTP edge and the CLI consult."""

from __future__ import annotations

from doorpost.scim.dialects.base import RFC, Dialect

DIALECTS: dict[str, Dialect] = {RFC.name: RFC}
