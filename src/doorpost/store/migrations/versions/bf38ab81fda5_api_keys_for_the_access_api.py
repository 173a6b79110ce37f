"""api keys for the access API

Per-organization keys for door controllers and readers, stored as SHA-256 digests like SCIM
tokens, revocable at once.

Revision ID: bf38ab81fda5
Revises: 80d92ab59a0c
Create Date: 2026-12-02 02:22:11.238404
"""
from alembic import op
import sqlalchemy as sa


revision = 'bf38ab81fda5'
down_revision = '80d92ab59a0c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=24), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('last_used_us', sa.BigInteger(), nullable=True),
    sa.Column('revoked_us', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_api_keys_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_keys_digest'))
    )


def downgrade() -> None:
    op.drop_table('api_keys')
