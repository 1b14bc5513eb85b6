"""aggregate buckets gain source, medium, engaged time and consented page views;
traffic_days keeps the gateway's own k-anonymous traffic figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_BUCKET = ["window_start", "site", "event_name", "page_path", "country", "device_category"]
NEW_BUCKET = [*OLD_BUCKET, "source", "medium", "consented"]


def upgrade() -> None:
    with op.batch_alter_table("aggregate_counts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("medium", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("consented", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("engagement_msec", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_aggregate_counts_bucket", type_="unique")
        batch_op.create_unique_constraint("uq_aggregate_counts_bucket", NEW_BUCKET)
    op.create_table(
        "traffic_days",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("page_path", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("medium", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("device_category", sa.String(length=16), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("engagement_msec", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traffic_days")),
        sa.UniqueConstraint(
            "day",
            "site",
            "page_path",
            "source",
            "medium",
            "country",
            "device_category",
            name="uq_traffic_days_bucket",
        ),
    )
    with op.batch_alter_table("traffic_days", schema=None) as batch_op:
        batch_op.create_index("ix_traffic_days_site_day", ["site", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("traffic_days", schema=None) as batch_op:
        batch_op.drop_index("ix_traffic_days_site_day")
    op.drop_table("traffic_days")
    # Buckets that differ only in the new dimensions would collide under the old key.
    op.execute("DELETE FROM aggregate_counts")
    with op.batch_alter_table("aggregate_counts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_aggregate_counts_bucket", type_="unique")
        batch_op.create_unique_constraint("uq_aggregate_counts_bucket", OLD_BUCKET)
        batch_op.drop_column("engagement_msec")
        batch_op.drop_column("consented")
        batch_op.drop_column("medium")
        batch_op.drop_column("source")
