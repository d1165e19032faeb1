"""what the public record does not say

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:00:00

The archive's past elections are loaded from the public record (issue 14), which does not give
every fact a live registration records: an association's registration number and day, a
nominee's years of public service, the day and the votes of the congress that nominated. Those columns may
now be empty; a live action still requires them (registrar.schemas.from_the_record).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_OPTIONAL = {
    'association': (('registration_number', sa.String(length=40)), ('registered_on', sa.Date())),
    'person': (('birth_date', sa.Date()), ('citizen_by_birth', sa.Boolean()), ('education_level', sa.String(length=40)),
               ('public_service_months', sa.Integer())),
    'nomination_decision': (('meeting_on', sa.Date()), ('members', sa.Integer()), ('present', sa.Integer()), ('votes_for', sa.Integer()),
                            ('minutes_number', sa.String(length=60))),
}


def upgrade() -> None:
    for table, columns in _OPTIONAL.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.alter_column(name, existing_type=type_, nullable=True)


def downgrade() -> None:
    for table, columns in _OPTIONAL.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.alter_column(name, existing_type=type_, nullable=False)
