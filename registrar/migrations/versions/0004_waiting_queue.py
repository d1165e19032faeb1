"""the officers' queue: candidacies by state, the longest waiting first

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:20:00
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_candidacy_state_waiting', 'candidacy', ['state', 'state_since', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_candidacy_state_waiting', table_name='candidacy')
