"""the audit event's hash is no longer unique-indexed

The chain (seq, prev_hash) is what `registrar audit verify` checks; nothing looks an event up
by its hash, and the index, on random values, made each append touch a random page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_event_hash', type_='unique')


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_audit_event_hash', ['hash'])
