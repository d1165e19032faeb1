"""the registration core: elections, associations, candidacies, records, deadlines, audit, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 12:06:46.376794
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('association',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('liquidated_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_association')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_association_registration_number'))
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=40), nullable=True),
    sa.Column('to_state', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.bulk_insert(
        sa.table('audit_head', sa.column('id', sa.Integer()), sa.column('last_seq', sa.BigInteger()),
                 sa.column('last_hash', sa.String())),
        [{'id': 1, 'last_seq': 0, 'last_hash': '0' * 64}],
    )
    op.create_table('deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('rule', sa.String(length=8), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_local', sa.String(length=40), nullable=False),
    sa.Column('computed_from', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline')),
    sa.UniqueConstraint('key', name=op.f('uq_deadline_key'))
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_pending_due', ['due_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_deadline_subject', ['subject_type', 'subject_id', 'status'], unique=False)

    op.create_table('election',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('announced_on', sa.Date(), nullable=False),
    sa.Column('election_day', sa.Date(), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=False),
    sa.Column('registered_voters', sa.BigInteger(), nullable=True),
    sa.Column('voters_counted_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_key', sa.String(length=200), nullable=False),
    sa.Column('event_seq', sa.BigInteger(), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('delivery_key', name=op.f('uq_outbox_delivery_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['status', 'id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('citizen_by_birth', sa.Boolean(), nullable=False),
    sa.Column('resident_since', sa.Date(), nullable=True),
    sa.Column('education_level', sa.String(length=40), nullable=False),
    sa.Column('public_service_months', sa.Integer(), nullable=False),
    sa.Column('legally_incompetent', sa.Boolean(), nullable=False),
    sa.Column('detained_by_court_order', sa.Boolean(), nullable=False),
    sa.Column('unexpunged_criminal_record', sa.Boolean(), nullable=False),
    sa.Column('presidential_terms_served', sa.Integer(), nullable=False),
    sa.Column('married', sa.Boolean(), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.Column('place_of_work', sa.String(length=300), nullable=False),
    sa.Column('place_of_residence', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    op.create_table('association_name',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_association_name_association_id_association')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_association_name')),
    sa.UniqueConstraint('association_id', 'valid_from', name=op.f('uq_association_name_association_id'))
    )
    op.create_table('calendar_resolution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.String(length=64), nullable=False),
    sa.Column('milestone', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('adopted_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], name=op.f('fk_calendar_resolution_election_id_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_resolution'))
    )
    with op.batch_alter_table('calendar_resolution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_resolution_election_id'), ['election_id'], unique=False)

    op.create_table('candidacy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.String(length=64), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('appealed_from', sa.String(length=40), nullable=True),
    sa.Column('decided_from', sa.String(length=40), nullable=True),
    sa.Column('nominated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_candidacy_association_id_association')),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], name=op.f('fk_candidacy_election_id_election')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_candidacy_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidacy'))
    )
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.create_index('ix_candidacy_election_association', ['election_id', 'association_id'], unique=False)
        batch_op.create_index('ix_candidacy_election_state', ['election_id', 'state'], unique=False)

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('against', sa.String(length=40), nullable=False),
    sa.Column('case_number', sa.String(length=60), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_appeal_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_candidacy_id'), ['candidacy_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_certificate_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_candidacy_id'), ['candidacy_id'], unique=False)

    op.create_table('contribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('receipt_number', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_contribution_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution')),
    sa.UniqueConstraint('candidacy_id', name=op.f('uq_contribution_candidacy_id'))
    )
    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('grounds', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_decision_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_candidacy_id'), ['candidacy_id'], unique=False)

    op.create_table('declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('filer', sa.String(length=20), nullable=False),
    sa.Column('valued_as_of', sa.Date(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('revenue_office', sa.String(length=200), nullable=False),
    sa.Column('receipt_number', sa.String(length=60), nullable=False),
    sa.Column('verification', sa.String(length=20), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_declaration_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration')),
    sa.UniqueConstraint('candidacy_id', 'filer', name=op.f('uq_declaration_candidacy_id'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_document_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('candidacy_id', 'kind', name=op.f('uq_document_candidacy_id'))
    )
    op.create_table('information_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_information_request_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_request'))
    )
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_request_candidacy_id'), ['candidacy_id'], unique=False)

    op.create_table('language_conclusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('linguists', sa.Integer(), nullable=False),
    sa.Column('fluent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_language_conclusion_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_language_conclusion')),
    sa.UniqueConstraint('candidacy_id', name=op.f('uq_language_conclusion_candidacy_id'))
    )
    op.create_table('medical_conclusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('institution', sa.String(length=300), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('fit', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_medical_conclusion_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_conclusion')),
    sa.UniqueConstraint('candidacy_id', name=op.f('uq_medical_conclusion_candidacy_id'))
    )
    op.create_table('nomination_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=200), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('votes_for', sa.Integer(), nullable=False),
    sa.Column('minutes_number', sa.String(length=60), nullable=False),
    sa.CheckConstraint('present <= members', name=op.f('ck_nomination_decision_present_within_members')),
    sa.CheckConstraint('votes_for <= present', name=op.f('ck_nomination_decision_votes_within_present')),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_nomination_decision_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nomination_decision')),
    sa.UniqueConstraint('candidacy_id', name=op.f('uq_nomination_decision_candidacy_id'))
    )
    op.create_table('signature_protocol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidacy_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=False),
    sa.Column('commission', sa.String(length=300), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidacy_id'], ['candidacy.id'], name=op.f('fk_signature_protocol_candidacy_id_candidacy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_protocol')),
    sa.UniqueConstraint('candidacy_id', 'region', name=op.f('uq_signature_protocol_candidacy_id'))
    )



def downgrade() -> None:
    
    op.drop_table('signature_protocol')
    op.drop_table('nomination_decision')
    op.drop_table('medical_conclusion')
    op.drop_table('language_conclusion')
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_information_request_candidacy_id'))

    op.drop_table('information_request')
    op.drop_table('document')
    op.drop_table('declaration')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_candidacy_id'))

    op.drop_table('decision')
    op.drop_table('contribution')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_candidacy_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_candidacy_id'))

    op.drop_table('appeal')
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.drop_index('ix_candidacy_election_state')
        batch_op.drop_index('ix_candidacy_election_association')

    op.drop_table('candidacy')
    with op.batch_alter_table('calendar_resolution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_resolution_election_id'))

    op.drop_table('calendar_resolution')
    op.drop_table('association_name')
    op.drop_table('person')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('election')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_subject')
        batch_op.drop_index('ix_deadline_pending_due', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.drop_table('deadline')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_subject')

    op.drop_table('audit_event')
    op.drop_table('association')

