"""contact requests, mail outbox, staff sessions

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-25 15:35:52.534454
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_mail")),
    )
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_mail_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("request_type", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("contract_number", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("refund_in_window", sa.Boolean(), nullable=True),
        sa.Column("consent_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_contact_requests_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_requests")),
    )
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.create_index("ix_contact_requests_email", ["email"], unique=False)
        batch_op.create_index(
            "ix_contact_requests_status_due", ["status", "due_date"], unique=False
        )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contact_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["contact_requests.id"],
            name=op.f("fk_contact_audit_request_id_contact_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_audit")),
    )
    with op.batch_alter_table("contact_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_audit_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "contact_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["contact_requests.id"],
            name=op.f("fk_contact_messages_request_id_contact_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_messages")),
    )
    with op.batch_alter_table("contact_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_messages_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_messages_request_id"))

    op.drop_table("contact_messages")
    with op.batch_alter_table("contact_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_audit_request_id"))

    op.drop_table("contact_audit")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_id"))

    op.drop_table("staff_sessions")
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_requests_status_due")
        batch_op.drop_index("ix_contact_requests_email")

    op.drop_table("contact_requests")
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_mail_next_attempt_at"))

    op.drop_table("outbound_mail")
