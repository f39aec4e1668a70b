"""dashboard: indexes for App Home, trends and the digest; one digest row per day

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAVES_KNOWN = sa.text("saves IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_metric_snapshots_taken_at", "metric_snapshots", ["taken_at"])
    op.create_index(
        "ix_metric_snapshots_post_taken_saves",
        "metric_snapshots",
        ["post_id", "taken_at"],
        sqlite_where=SAVES_KNOWN,
        postgresql_where=SAVES_KNOWN,
    )
    op.create_index("ix_latest_snapshots_taken_at", "latest_snapshots", ["taken_at"])
    op.create_table(
        "digests",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slack_channel", sa.String(length=32), nullable=False),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("chart_file_id", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_digests")),
    )


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_index("ix_latest_snapshots_taken_at", table_name="latest_snapshots")
    op.drop_index("ix_metric_snapshots_post_taken_saves", table_name="metric_snapshots")
    op.drop_index("ix_metric_snapshots_taken_at", table_name="metric_snapshots")
