"""audit checkpoints

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:50:00

Signed checkpoints of the audit chain (its length and head hash at a moment, signed with a key
the database never holds): issue 13, an audit no database writer can rewrite.
"""
from alembic import op
import sqlalchemy as sa

import registrar.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoint'))
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoint')
