"""owners may own several organizations

An address was unique across all owners; now it is unique per organization, so one person
can own several organizations (with one password) and choose one after signing in.

Revision ID: a38c92f9376e
Revises: 4be411a32609
Create Date: 2026-12-02 05:01:48.553014
"""
from alembic import op


revision = 'a38c92f9376e'
down_revision = '4be411a32609'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_owners_email_ci'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_owners_email_ci_org_id'), ['email_ci', 'org_id'])



def downgrade() -> None:
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_owners_email_ci_org_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_owners_email_ci'), ['email_ci'])

