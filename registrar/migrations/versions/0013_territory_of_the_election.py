"""the territory of the election

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 01:25:00

An election is held over the territorial units in force on the day it is announced (issue 14):
like its rules, it keeps the territory file's text and SHA-256 as they were then, so that a later
edit of the file (new voter counts, a region formed) changes nothing of it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('territory_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('territory_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.drop_column('territory_text')
        batch_op.drop_column('territory_sha256')
