"""saml sign-in, member sessions, access events

The SAML service provider's key pair per organization, outstanding AuthnRequests (for
InResponseTo) and consumed assertion ids (the replay cache) in the database so every worker
shares them; member sessions; recorded access decisions; and when SSO was last verified.

Revision ID: 80d92ab59a0c
Revises: e1f0a1d2c3b4
Create Date: 2026-12-02 01:32:12.475929
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '80d92ab59a0c'
down_revision = 'e1f0a1d2c3b4'
branch_labels = None
depends_on = None

DOC = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table('access_events',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('door_id', sa.String(length=36), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_access_events_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_access_events'))
    )
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_events_org_id_time_us'), ['org_id', 'time_us'], unique=False)

    op.create_table('member_sessions',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('expires_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_member_sessions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'digest', name=op.f('pk_member_sessions'))
    )
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_sessions_org_id_user_id'), ['org_id', 'user_id'], unique=False)

    op.create_table('saml_assertions',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=256), nullable=False),
    sa.Column('expires_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_saml_assertions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_saml_assertions'))
    )
    op.create_table('saml_requests',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('expires_us', sa.BigInteger(), nullable=False),
    sa.Column('result', DOC, nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_saml_requests_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_saml_requests'))
    )
    op.create_table('saml_sp_keys',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key_pem', sa.Text(), nullable=False),
    sa.Column('cert_pem', sa.Text(), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_saml_sp_keys_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_saml_sp_keys'))
    )
    with op.batch_alter_table('sso_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_us', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('verified_detail', DOC, nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sso_connections', schema=None) as batch_op:
        batch_op.drop_column('verified_detail')
        batch_op.drop_column('verified_us')

    op.drop_table('saml_sp_keys')
    op.drop_table('saml_requests')
    op.drop_table('saml_assertions')
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_sessions_org_id_user_id'))

    op.drop_table('member_sessions')
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_events_org_id_time_us'))

    op.drop_table('access_events')
