"""duties taken, inbox read, attachments

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:24:01

What issue 12 stores beside the law's records: an officer taking a duty ("mine"), an officer
having read an inbox message, and the scanned papers attached to records (their bytes once per
SHA-256). The indexes serve the duties' read by kind and status, an election's candidacies in
nomination order, the appeals register's decisions by kind, and an officer's inbox.
"""
from alembic import op
import sqlalchemy as sa

import registrar.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_file'))
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('record', sa.String(length=60), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=120), nullable=False),
    sa.Column('uploaded_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('audit_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['sha256'], ['stored_file.sha256'], name=op.f('fk_attachment_sha256_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_attachment_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('duty_taken',
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=80), nullable=False),
    sa.Column('taken_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], name=op.f('fk_duty_taken_deadline_id_deadline')),
    sa.PrimaryKeyConstraint('deadline_id', name=op.f('pk_duty_taken'))
    )
    with op.batch_alter_table('duty_taken', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_taken_login'), ['login'], unique=False)

    op.create_table('inbox_read',
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=80), nullable=False),
    sa.Column('read_at', registrar.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_inbox_read_outbox_id_outbox')),
    sa.PrimaryKeyConstraint('outbox_id', 'login', name=op.f('pk_inbox_read'))
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_kind_status', ['kind', 'status', 'due_at'], unique=False)
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.create_index('ix_candidacy_election_nominated', ['election_id', 'nominated_at', 'id'], unique=False)
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_kind_recorded', ['kind', 'recorded_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_recipient', ['recipient', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_recipient')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_kind_recorded')
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.drop_index('ix_candidacy_election_nominated')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_kind_status')

    op.drop_table('inbox_read')
    with op.batch_alter_table('duty_taken', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_taken_login'))

    op.drop_table('duty_taken')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_subject')
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))

    op.drop_table('attachment')
    op.drop_table('stored_file')
