"""folded text everywhere: doc_ci (the document as filters compare it), indexed values re-folded

One text folding (doorpost.scim.text.fold: Unicode case folding between NFD and NFC) replaces
`lower()`. The indexed columns and email rows are recomputed with it, and every user and
group gets `doc_ci`, its document with case-insensitive strings folded.

Revision ID: e1f0a1d2c3b4
Revises: 56f3e6216901
Create Date: 2026-12-01 21:40:00
"""
from typing import Any

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.text import fold
from doorpost.scim.values import folded_document

revision = 'e1f0a1d2c3b4'
down_revision = '56f3e6216901'
branch_labels = None
depends_on = None

DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BATCH = 1000


def upgrade() -> None:
    for table in ("users", "groups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('doc_ci', DOC, nullable=True))
    bind = op.get_bind()
    meta = sa.MetaData()
    users = sa.Table("users", meta, autoload_with=bind)
    groups = sa.Table("groups", meta, autoload_with=bind)
    emails = sa.Table("user_emails", meta, autoload_with=bind)
    for row in _rows(bind, users):
        doc: dict[str, Any] = row.doc
        bind.execute(users.update().where(users.c.org_id == row.org_id, users.c.id == row.id)
                     .values(doc_ci=folded_document(doc, USER_TYPE),
                             user_name_ci=fold(doc["userName"])))
        bind.execute(emails.delete().where(emails.c.org_id == row.org_id,
                                           emails.c.user_id == row.id))
        rows = [{"org_id": row.org_id, "user_id": row.id, "position": i,
                 "type_ci": fold(e["type"]) if e.get("type") else None,
                 "value_ci": fold(str(e["value"]))}
                for i, e in enumerate(doc.get("emails") or []) if e.get("value")]
        if rows:
            bind.execute(emails.insert(), rows)
    for row in _rows(bind, groups):
        bind.execute(groups.update().where(groups.c.org_id == row.org_id,
                                           groups.c.id == row.id)
                     .values(doc_ci=folded_document(row.doc, GROUP_TYPE),
                             display_name_ci=fold(row.doc["displayName"])))


def _rows(bind: Any, table: sa.Table) -> Any:
    """Every row, read in keyset batches so a large directory is never held at once."""
    last = (-1, "")
    while True:
        batch = bind.execute(sa.select(table.c.org_id, table.c.id, table.c.doc)
                             .where(sa.tuple_(table.c.org_id, table.c.id) > sa.tuple_(*last))
                             .order_by(table.c.org_id, table.c.id).limit(BATCH)).fetchall()
        if not batch:
            return
        yield from batch
        last = (batch[-1].org_id, batch[-1].id)


def downgrade() -> None:
    for table in ("users", "groups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('doc_ci')
