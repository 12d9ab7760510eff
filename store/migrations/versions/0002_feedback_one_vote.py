"""feedback: one vote per answer and sender (a second vote replaces the first)

Revision ID: 0002_feedback
Revises: 0001
Create Date: 2026-12-05 05:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0002_feedback"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_feedback_message_id_sender_hash", ["message_id", "sender_hash"])


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint("uq_feedback_message_id_sender_hash", type_="unique")
