"""names in languages, territorial officers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:10:00

An election's title and an association's name in each language of the pages (kk, ru, en), and
the territorial unit a territorial commission's officer acts for.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_by_language', sa.JSON(), nullable=True))
    with op.batch_alter_table('association_name', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_by_language', sa.JSON(), nullable=True))
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('unit')
    with op.batch_alter_table('association_name', schema=None) as batch_op:
        batch_op.drop_column('name_by_language')
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.drop_column('title_by_language')
