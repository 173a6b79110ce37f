"""initial schema

Revision ID: 1a371e10911c
Revises: 
Create Date: 2026-11-29 10:37:20.889524
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '1a371e10911c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('licensed', sa.Boolean(), nullable=False),
    sa.Column('sso_configured', sa.Boolean(), nullable=False),
    sa.Column('scim_enabled', sa.Boolean(), nullable=False),
    sa.Column('dialect', sa.String(length=32), nullable=True),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organizations_slug'))
    )
    op.create_table('groups',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('display_name_ci', sa.Text(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('modified_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_groups_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_groups')),
    sa.UniqueConstraint('org_id', 'display_name_ci', name=op.f('uq_groups_org_id_display_name_ci'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_org_id_created_us_id'), ['org_id', 'created_us', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_groups_org_id_external_id'), ['org_id', 'external_id'], unique=False)

    op.create_table('scim_requests',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('token_id', sa.String(length=36), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('latency_us', sa.BigInteger(), nullable=False),
    sa.Column('dialect', sa.String(length=32), nullable=True),
    sa.Column('resource_type', sa.String(length=16), nullable=True),
    sa.Column('resource_id', sa.String(length=36), nullable=True),
    sa.Column('notes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_requests_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_scim_requests'))
    )
    with op.batch_alter_table('scim_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_requests_org_id_time_us'), ['org_id', 'time_us'], unique=False)

    op.create_table('scim_tokens',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=24), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('last_used_us', sa.BigInteger(), nullable=True),
    sa.Column('revoked_us', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_tokens_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_scim_tokens_digest'))
    )
    op.create_table('users',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_name', sa.Text(), nullable=False),
    sa.Column('user_name_ci', sa.Text(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('modified_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_users_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_users')),
    sa.UniqueConstraint('org_id', 'user_name_ci', name=op.f('uq_users_org_id_user_name_ci'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_org_id_created_us_id'), ['org_id', 'created_us', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_org_id_external_id'), ['org_id', 'external_id'], unique=False)

    op.create_table('memberships',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'group_id'], ['groups.org_id', 'groups.id'], name=op.f('fk_memberships_org_id_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id', 'user_id'], ['users.org_id', 'users.id'], name=op.f('fk_memberships_org_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'group_id', 'user_id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_org_id_user_id_group_id'), ['org_id', 'user_id', 'group_id'], unique=False)

    op.create_table('user_emails',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type_ci', sa.Text(), nullable=True),
    sa.Column('value_ci', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'user_id'], ['users.org_id', 'users.id'], name=op.f('fk_user_emails_org_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'user_id', 'position', name=op.f('pk_user_emails'))
    )
    with op.batch_alter_table('user_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_emails_org_id_value_ci'), ['org_id', 'value_ci'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_emails_org_id_value_ci'))

    op.drop_table('user_emails')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_org_id_user_id_group_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_org_id_external_id'))
        batch_op.drop_index(batch_op.f('ix_users_org_id_created_us_id'))

    op.drop_table('users')
    op.drop_table('scim_tokens')
    with op.batch_alter_table('scim_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_requests_org_id_time_us'))

    op.drop_table('scim_requests')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_org_id_external_id'))
        batch_op.drop_index(batch_op.f('ix_groups_org_id_created_us_id'))

    op.drop_table('groups')
    op.drop_table('organizations')
