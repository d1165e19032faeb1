"""unanswered information requests

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00

The clerk's dashboard lists a D2 row the sweep has fired only while its information request is
unanswered (registrar.duties): it reads the fired rows from the requests still unanswered, found by
this index, instead of every fired D2 row an election ever had (issue 15, the dashboard flat in
the deadline table's size).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.create_index('ix_information_request_unanswered', ['candidacy_id'], unique=False,
                              postgresql_where=sa.text('answered_at IS NULL'), sqlite_where=sa.text('answered_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.drop_index('ix_information_request_unanswered', postgresql_where=sa.text('answered_at IS NULL'),
                            sqlite_where=sa.text('answered_at IS NULL'))
