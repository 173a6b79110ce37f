"""Errors of the administrative use cases (organizations, tokens): shown to an operator."""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlalchemy import Connection

from doorpost.store.database import Database
from doorpost.store.errors import Refused


class AdminError(Exception):
    """A request an operator made that cannot be carried out; the message says why."""


class NotFoundError(AdminError):
    """The organization or token named does not exist."""


class NotPermittedError(AdminError):
    """The organization's license or setup does not allow this (the console answers 403)."""


@contextlib.contextmanager
def admin_write(db: Database) -> Iterator[Connection]:
    """`db.write()` for an operator's use case: what the store refuses (a name taken by a
    concurrent request, past the use case's own check) is an `AdminError` with the store's
    reason, shown on the form, never a SCIM error and never a 500."""
    try:
        with db.write() as conn:
            yield conn
    except Refused as exc:
        raise AdminError(exc.detail) from exc
