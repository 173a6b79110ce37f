"""places, suspensions, the change feed (outbox) and webhooks

Places that doors belong to; an owner's suspension of a member; `change_events`, the outbox
every change is appended to in its own transaction, with a gapless sequence per
organization (`organizations.event_seq`); the keys that sign Security Event Tokens; webhook
endpoints with their cursor and lease, the delivery log, and requested replays.

Revision ID: 4be411a32609
Revises: bf38ab81fda5
Create Date: 2026-12-02 04:05:17.202510
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '4be411a32609'
down_revision = 'bf38ab81fda5'
branch_labels = None
depends_on = None

DOC = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table('change_events',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('data', DOC, nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_change_events_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'seq', name=op.f('pk_change_events'))
    )
    op.create_table('event_keys',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=32), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_event_keys_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kid', name=op.f('pk_event_keys'))
    )
    op.create_table('member_suspensions',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('at_us', sa.BigInteger(), nullable=False),
    sa.Column('by', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_member_suspensions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'user_id', name=op.f('pk_member_suspensions'))
    )
    op.create_table('places',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_places_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_places')),
    sa.UniqueConstraint('org_id', 'name', name=op.f('uq_places_org_id_name'))
    )
    op.create_table('webhooks',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('events', DOC, nullable=False),
    sa.Column('secret', sa.String(length=80), nullable=False),
    sa.Column('allow_insecure', sa.Boolean(), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.Column('disabled_us', sa.BigInteger(), nullable=True),
    sa.Column('cursor_seq', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_us', sa.BigInteger(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until_us', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_webhooks_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_webhooks'))
    )
    op.create_table('webhook_attempts',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('time_us', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'webhook_id'], ['webhooks.org_id', 'webhooks.id'], name=op.f('fk_webhook_attempts_org_id_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'webhook_id', 'seq', 'attempt', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_org_id_webhook_id_time_us'), ['org_id', 'webhook_id', 'time_us'], unique=False)

    op.create_table('webhook_replays',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('requested_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'webhook_id'], ['webhooks.org_id', 'webhooks.id'], name=op.f('fk_webhook_replays_org_id_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'webhook_id', 'seq', name=op.f('pk_webhook_replays'))
    )
    with op.batch_alter_table('doors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_doors_org_id_place_id'), ['org_id', 'place_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_seq', sa.BigInteger(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('event_seq')

    with op.batch_alter_table('doors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doors_org_id_place_id'))
        batch_op.drop_column('place_id')

    op.drop_table('webhook_replays')
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_org_id_webhook_id_time_us'))

    op.drop_table('webhook_attempts')
    op.drop_table('webhooks')
    op.drop_table('places')
    op.drop_table('member_suspensions')
    op.drop_table('event_keys')
    op.drop_table('change_events')
