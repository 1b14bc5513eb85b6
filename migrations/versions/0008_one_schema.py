"""One schema: the faces' migrations, made side by side, joined into a single head

Revision ID: 0008
Revises: 0003, 0004, 0006, 0007
Create Date: 2026-11-25 16:30:00
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0003", "0004", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: later migrations start from this single head."""


def downgrade() -> None:
    """Nothing to change."""
