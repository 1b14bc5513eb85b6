"""policy text summaries: each language text carries the version's summary in that language

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:31:55.380275
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_texts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("policy_texts", schema=None) as batch_op:
        batch_op.drop_column("summary")
