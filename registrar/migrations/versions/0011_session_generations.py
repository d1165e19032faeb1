"""session generations

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 22:20:00

Logging out and a new password end the sessions made before (issue 13): each account counts
its session generations, and a session of an earlier one is refused.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
