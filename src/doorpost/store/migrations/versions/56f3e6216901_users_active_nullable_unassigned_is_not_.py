"""users.active nullable: unassigned is not false

Revision ID: 56f3e6216901
Revises: cd0de0f996c5
Create Date: 2026-11-29 12:03:46.384931
"""
from alembic import op
import sqlalchemy as sa


revision = '56f3e6216901'
down_revision = 'cd0de0f996c5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('active',
               existing_type=sa.BOOLEAN(),
               nullable=True)
    # Users whose document never had `active` were stored as true; they are unassigned.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE users SET active = NULL WHERE NOT (doc ? 'active')")
    else:
        op.execute("UPDATE users SET active = NULL WHERE json_type(doc, '$.active') IS NULL")



def downgrade() -> None:
    op.execute("UPDATE users SET active = TRUE WHERE active IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('active',
               existing_type=sa.BOOLEAN(),
               nullable=False)

