"""initial schema: question log, feedback, curated answers, staff, leads

Revision ID: 0001
Revises:
Create Date: 2026-12-05 04:49:39.010902
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faq_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('source_article', sa.String(length=512), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entry'))
    )
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_entry_updated_at'), ['updated_at'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sender_hash', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_message_id'), ['message_id'], unique=False)

    op.create_table('lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sender_hash', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('industry', sa.String(length=200), nullable=False),
    sa.Column('needs', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('contact_kind', sa.String(length=16), nullable=False),
    sa.Column('preferred_time', sa.String(length=200), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('notify_status', sa.String(length=16), nullable=False),
    sa.Column('notify_attempts', sa.Integer(), nullable=False),
    sa.Column('notify_error', sa.Text(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_notify_status'), ['notify_status'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    op.create_table('faq_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entry.id'], name=op.f('fk_faq_question_entry_id_faq_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_question'))
    )
    with op.batch_alter_table('faq_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_question_entry_id'), ['entry_id'], unique=False)

    op.create_table('question_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sender_hash', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('faq_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['faq_id'], ['faq_entry.id'], name=op.f('fk_question_log_faq_id_faq_entry'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_log')),
    sa.UniqueConstraint('message_id', name=op.f('uq_question_log_message_id'))
    )
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_log_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_log_outcome'), ['outcome'], unique=False)
        batch_op.create_index('ix_question_log_outcome_status', ['outcome', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_log_sender_hash'), ['sender_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_log_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_log_status'))
        batch_op.drop_index(batch_op.f('ix_question_log_sender_hash'))
        batch_op.drop_index('ix_question_log_outcome_status')
        batch_op.drop_index(batch_op.f('ix_question_log_outcome'))
        batch_op.drop_index(batch_op.f('ix_question_log_asked_at'))

    op.drop_table('question_log')
    with op.batch_alter_table('faq_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_question_entry_id'))

    op.drop_table('faq_question')
    op.drop_table('staff_user')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_notify_status'))
        batch_op.drop_index(batch_op.f('ix_lead_created_at'))

    op.drop_table('lead')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_message_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_entry_updated_at'))

    op.drop_table('faq_entry')
