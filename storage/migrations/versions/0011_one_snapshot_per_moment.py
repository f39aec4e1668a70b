"""metric snapshots: one per post, time taken and source

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A file imported twice before this revision left copies: keep the first of each.
    op.execute(
        sa.text(
            "DELETE FROM metric_snapshots WHERE id NOT IN "
            "(SELECT MIN(id) FROM metric_snapshots GROUP BY post_id, taken_at, source)"
        )
    )
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_metric_snapshots_post_id", ["post_id", "taken_at", "source"])


def downgrade() -> None:
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint("uq_metric_snapshots_post_id", type_="unique")
