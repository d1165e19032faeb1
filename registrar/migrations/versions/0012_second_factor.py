"""second factor

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:30:00

An officer's optional second factor (issue 13): the TOTP secret in force, one being set up until
its first code confirms it, and the time step of the last code accepted, so that no code is
accepted twice (RFC 6238 section 5.2). All empty: every account logs in with its password alone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('second_factor_pending', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('second_factor_step', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('second_factor_step')
        batch_op.drop_column('second_factor_pending')
        batch_op.drop_column('second_factor_secret')
