"""owner console: owners, sessions, login failures, sso connections, activity changes

Revision ID: cd0de0f996c5
Revises: b7c1d2e3f4a5
Create Date: 2026-11-29 11:08:44.856036
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'cd0de0f996c5'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('email_ci', sa.String(length=320), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'email_ci', 'time_us', name=op.f('pk_login_failures'))
    )
    op.create_table('owners',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_ci', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('setup_digest', sa.String(length=64), nullable=True),
    sa.Column('setup_expires_us', sa.BigInteger(), nullable=True),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_owners_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_owners')),
    sa.UniqueConstraint('email_ci', name=op.f('uq_owners_email_ci'))
    )
    op.create_table('sso_connections',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('metadata_url', sa.Text(), nullable=True),
    sa.Column('metadata_xml', sa.Text(), nullable=False),
    sa.Column('idp_entity_id', sa.Text(), nullable=False),
    sa.Column('idp_sso_url', sa.Text(), nullable=False),
    sa.Column('idp_certificate', sa.Text(), nullable=False),
    sa.Column('updated_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_connections_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_sso_connections'))
    )
    op.create_table('owner_sessions',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('expires_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'owner_id'], ['owners.org_id', 'owners.id'], name=op.f('fk_owner_sessions_org_id_owner_id_owners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'digest', name=op.f('pk_owner_sessions'))
    )
    with op.batch_alter_table('scim_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scim_requests_org_id_resource_id_time_us'), ['org_id', 'resource_id', 'time_us'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scim_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_requests_org_id_resource_id_time_us'))
        batch_op.drop_column('error')
        batch_op.drop_column('changes')

    op.drop_table('owner_sessions')
    op.drop_table('sso_connections')
    op.drop_table('owners')
    op.drop_table('login_failures')
