"""contact_link_mails: how many request mails each address received in the last day

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_link_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_link_mails")),
    )
    with op.batch_alter_table("contact_link_mails", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_link_mails_recipient_digest"), ["recipient_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_link_mails_sent_at"), ["sent_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_link_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_link_mails_sent_at"))
        batch_op.drop_index(batch_op.f("ix_contact_link_mails_recipient_digest"))
    op.drop_table("contact_link_mails")
