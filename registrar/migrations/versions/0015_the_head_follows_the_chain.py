"""the head follows the chain (SQLite)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00

On SQLite the database itself moves the audit chain's head onto each event appended, so an
action appends its event in one statement, not two (issue 15: the statements of an action).
SQLite has one writer at a time, taken at BEGIN, so the head an action read is still the tip
when its event is inserted. On PostgreSQL the head is locked, the event hashed onto it and the
head moved in the action's one closing statement (registrar.action_statements), and appends
elsewhere move it by statement: no trigger there.
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_event "
            "BEGIN UPDATE audit_head SET last_seq = NEW.seq, last_hash = NEW.hash WHERE id = 1; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_event_moves_head")
