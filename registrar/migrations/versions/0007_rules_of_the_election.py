"""an election keeps the rules it was announced under

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:10:00

The text of the election kind's rules file, its SHA-256 and its title, on the election row.
Elections announced before this revision get the file in force when the migration runs: the
only version of their rules still to be had.
"""
from alembic import op
import sqlalchemy as sa

from registrar import rules_in_force


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_title', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('rules_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rules_text', sa.Text(), nullable=True))

    election = sa.table('election', sa.column('kind', sa.String), sa.column('rules_title', sa.String),
                        sa.column('rules_sha256', sa.String), sa.column('rules_text', sa.Text))
    connection = op.get_bind()
    for (kind,) in connection.execute(sa.select(election.c.kind).distinct()).all():
        version = rules_in_force.in_force(kind)  # a kind without a rules file stops the upgrade, naming it
        connection.execute(election.update().where(election.c.kind == kind).values(**rules_in_force.stored(version)))

    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.alter_column('rules_title', existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column('rules_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('rules_text', existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.drop_column('rules_text')
        batch_op.drop_column('rules_sha256')
        batch_op.drop_column('rules_title')
