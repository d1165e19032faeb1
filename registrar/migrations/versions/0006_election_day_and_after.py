"""election day and after: protocols, results, decisions on the election

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 17:41:58

V3: the territorial commissions' protocols, in versions; V4/V5: the results of each round;
the decisions on the election as a whole (V4-V7); on the election row, the ballots of both
rounds, the second round's day and hours, and the election a re-run repeats (V6).
"""
from alembic import op
import sqlalchemy as sa

import registrar.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('protocol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('voters_on_list', sa.BigInteger(), nullable=False),
    sa.Column('ballots_issued', sa.BigInteger(), nullable=False),
    sa.Column('ballots_cast', sa.BigInteger(), nullable=False),
    sa.Column('invalid_ballots', sa.BigInteger(), nullable=False),
    sa.Column('votes', sa.JSON(), nullable=False),
    sa.Column('against_all', sa.BigInteger(), nullable=True),
    sa.Column('chair', sa.String(length=300), nullable=False),
    sa.Column('members_signed', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('void', sa.Boolean(), nullable=False),
    sa.Column('violations', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('submitted_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('superseded_at', registrar.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ballots_cast <= ballots_issued', name=op.f('ck_protocol_cast_within_issued')),
    sa.CheckConstraint('ballots_issued <= voters_on_list', name=op.f('ck_protocol_issued_within_list')),
    sa.CheckConstraint('invalid_ballots <= ballots_cast', name=op.f('ck_protocol_invalid_within_cast')),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], name=op.f('fk_protocol_election_id_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol')),
    sa.UniqueConstraint('election_id', 'round', 'unit', 'version', name=op.f('uq_protocol_election_id'))
    )
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.create_index('ix_protocol_current', ['election_id', 'round', 'superseded_at'], unique=False)

    op.create_table('election_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('recorded_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_election_decision_candidacy_id_candidacy')),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], name=op.f('fk_election_decision_election_id_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_decision'))
    )
    with op.batch_alter_table('election_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_election_decision_election_id'), ['election_id'], unique=False)

    op.create_table('election_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('winner_id', sa.Integer(), nullable=True),
    sa.Column('leaders', sa.JSON(), nullable=False),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('established_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], name=op.f('fk_election_result_election_id_election')),
    sa.ForeignKeyConstraint(['winner_id'], ['candidacy.id'], name=op.f('fk_election_result_winner_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_result')),
    sa.UniqueConstraint('election_id', 'round', name=op.f('uq_election_result_election_id'))
    )
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rerun_of', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ballot', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('second_round_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('second_round_opens_at', registrar.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('second_round_closes_at', registrar.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('second_round_ballot', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_election_rerun_of_election'), 'election', ['rerun_of'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_election_rerun_of_election'), type_='foreignkey')
        batch_op.drop_column('second_round_ballot')
        batch_op.drop_column('second_round_closes_at')
        batch_op.drop_column('second_round_opens_at')
        batch_op.drop_column('second_round_day')
        batch_op.drop_column('ballot')
        batch_op.drop_column('rerun_of')

    op.drop_table('election_result')
    with op.batch_alter_table('election_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_election_decision_election_id'))

    op.drop_table('election_decision')
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.drop_index('ix_protocol_current')

    op.drop_table('protocol')
