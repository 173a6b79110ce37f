"""doors and door grants

Revision ID: af41d85d18f0
Revises: 1a371e10911c
Create Date: 2026-11-29 10:47:52.620903
"""
from alembic import op
import sqlalchemy as sa


revision = 'af41d85d18f0'
down_revision = '1a371e10911c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('doors',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_doors_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_doors')),
    sa.UniqueConstraint('org_id', 'name', name=op.f('uq_doors_org_id_name'))
    )
    op.create_table('door_grants',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('door_id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'door_id'], ['doors.org_id', 'doors.id'], name=op.f('fk_door_grants_org_id_door_id_doors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id', 'group_id'], ['groups.org_id', 'groups.id'], name=op.f('fk_door_grants_org_id_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'door_id', 'group_id', name=op.f('pk_door_grants'))
    )
    with op.batch_alter_table('door_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_grants_org_id_group_id'), ['org_id', 'group_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('door_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_grants_org_id_group_id'))

    op.drop_table('door_grants')
    op.drop_table('doors')
