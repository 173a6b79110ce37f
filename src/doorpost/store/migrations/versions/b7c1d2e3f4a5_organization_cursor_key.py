"""organization cursor key (signs RFC 9865 cursors per organization)

Revision ID: b7c1d2e3f4a5
Revises: af41d85d18f0
Create Date: 2026-11-29 11:05:00
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = 'b7c1d2e3f4a5'
down_revision = 'af41d85d18f0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cursor_key', sa.String(length=64), nullable=True))
    orgs = sa.table('organizations', sa.column('id', sa.Integer),
                    sa.column('cursor_key', sa.String))
    conn = op.get_bind()
    for (org_id,) in conn.execute(sa.select(orgs.c.id)).fetchall():
        conn.execute(orgs.update().where(orgs.c.id == org_id)
                     .values(cursor_key=secrets.token_hex(32)))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('cursor_key', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('cursor_key')
