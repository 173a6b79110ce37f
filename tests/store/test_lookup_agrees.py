"""An identity provider's lookup (`userName eq "x"`, `externalId eq`, `id eq`, a group's
`displayName eq`) reads through a statement built once per column (`Directory.page`); every
other filter through the general translation (`list_statements`). A property test proves
the two read the same rows in the same order, on both databases, with text that folds in
every awkward way."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings, strategies as st

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.filter import Compare
from doorpost.scim.listing import ListQuery
from doorpost.scim.render import Projection
from doorpost.scim.text import fold
from doorpost.service.organizations import Organizations
from doorpost.store.database import Database
from doorpost.store.directory import Directory, _stored

TEXT = st.text(alphabet="aAbBéÉßẞzZ İı-1\"\\", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(TEXT, min_size=1, max_size=6, unique_by=fold),
       external=st.lists(st.one_of(st.none(), TEXT), min_size=6, max_size=6),
       asked=TEXT, pick=st.integers(0, 5), attr=st.sampled_from(
           ["userName", "externalId", "id", "displayName"]),
       start=st.integers(1, 3), count=st.integers(1, 3))
def test_the_lookup_reads_what_the_general_translation_reads(
        db: Database, names: list[str], external: list[str | None], asked: str, pick: int,
        attr: str, start: int, count: int) -> None:
    slug = f"lookup-{uuid.uuid4().hex[:8]}"
    org = Organizations(db).create(slug, slug=slug)
    rt = GROUP_TYPE if attr == "displayName" else USER_TYPE
    ids = [str(uuid.uuid4()) for _ in names]
    with db.write() as conn:
        directory = Directory(conn, org.id, db.backend)
        for i, (id_, name) in enumerate(zip(ids, names)):
            doc = {rt.unique: name, **({"externalId": external[i]} if external[i] else {})}
            directory.insert(rt, id_, doc, i)
    known = {"userName": names, "displayName": names, "id": ids,
             "externalId": [e for e in external if e]}[attr]
    # sometimes a stored value (in another case), sometimes anything
    value = known[pick % len(known)].swapcase() if known and pick % 2 else asked
    path = rt.resolve(attr)
    assert path is not None
    query = ListQuery(Compare(path, "eq", value), start, count, None, False, Projection())
    with db.read() as conn:
        directory = Directory(conn, org.id, db.backend)
        total, fast = directory.page(rt, query)
        general = [_stored(r) for r in conn.execute(directory.list_statements(rt, query)[1])]
        counted = conn.execute(directory.list_statements(rt, query)[0]).scalar_one()
    assert [s.meta.id for s in fast] == [s.meta.id for s in general]
    assert fast == general and total == counted
