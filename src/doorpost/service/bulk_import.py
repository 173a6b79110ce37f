"""Bulk import of users: the fast way to load a large organization, with the same checks.

Each record goes through the same edge normalizations and validation as `POST /Users`
(`Reading.normalize_resource`, `parse_resource`), and userName uniqueness is checked against
the organization and within the file. Valid records are written in batches, one transaction
per batch; invalid ones are reported by line and skipped.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Iterable

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.dialects import RFC, Reading
from doorpost.scim.errors import ScimError
from doorpost.scim.resource import parse_resource
from doorpost.service.errors import NotFoundError
from doorpost.service.scim import prepare_document
from doorpost.store.database import Database
from doorpost.scim.text import fold
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.orgs import OrgStore

BATCH = 1000


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_users(db: Database, slug: str, lines: Iterable[str]) -> ImportReport:
    """Import SCIM User objects, one JSON object per line."""
    with db.read() as conn:
        org = OrgStore(conn).by_slug(slug)
    if org is None:
        raise NotFoundError(f"No organization with slug '{slug}'.")
    report = ImportReport()
    batch: list[tuple[int, str, dict[str, object]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            body, _ = Reading(RFC).normalize_resource(json.loads(line), USER_TYPE)
            doc = parse_resource(body, USER_TYPE).doc
        except ValueError as exc:
            report.errors.append((number, f"not JSON: {exc}"))
            continue
        except ScimError as exc:
            report.errors.append((number, exc.detail))
            continue
        prepare_document(USER_TYPE, doc, creating=True)
        batch.append((number, str(uuid.uuid4()), doc))
        if len(batch) >= BATCH:
            _write(db, org.id, batch, report)
            batch = []
    if batch:
        _write(db, org.id, batch, report)
    return report


def _write(db: Database, org_id: int, batch: list[tuple[int, str, dict[str, object]]],
           report: ImportReport) -> None:
    seen: set[str] = set()
    rows = []
    for number, id_, doc in batch:
        name = fold(str(doc["userName"]))
        if name in seen:
            report.errors.append((number, f"userName '{doc['userName']}' appears twice in "
                                          "the file"))
            continue
        seen.add(name)
        rows.append((number, id_, doc))
    with db.write() as conn:
        written = Directory(conn, org_id, db.backend).insert_users(
            [(id_, doc) for _, id_, doc in rows], now_us())
    for number, id_, doc in rows:
        if id_ not in written:
            report.errors.append((number, f"userName '{doc['userName']}' is already taken "
                                          "in this organization"))
    report.errors.sort()
    report.created += len(written)
