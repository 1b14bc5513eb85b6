"""consent records

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25 15:31:22.151278
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_chain_head")),
    )
    op.create_table(
        "consent_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("consent_id", sa.String(length=32), nullable=True),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("choices", sa.Text(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("browser_family", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("purged", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("seq", name=op.f("uq_consent_records_seq")),
    )
    op.create_index("ix_consent_records_consent_id_seq", "consent_records", ["consent_id", "seq"])
    op.create_index("ix_consent_records_created_at", "consent_records", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_consent_records_created_at", table_name="consent_records")
    op.drop_index("ix_consent_records_consent_id_seq", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("consent_chain_head")
