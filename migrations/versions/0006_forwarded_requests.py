"""forwarded requests: what was sent to GA4 (or kept in dry-run), one row per attempt

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-25 15:35:46.958865
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forwarded_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("measurement_id", sa.String(length=32), nullable=False),
        sa.Column("endpoint_kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_text", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwarded_requests")),
    )
    with op.batch_alter_table("forwarded_requests", schema=None) as batch_op:
        batch_op.create_index("ix_forwarded_requests_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("forwarded_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_forwarded_requests_created_at")

    op.drop_table("forwarded_requests")
