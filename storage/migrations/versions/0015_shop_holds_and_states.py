"""shop: a post held for its product (hold_reason), its product tag checked (tag_checked_at), and
Connect states for the shop, which belong to no channel

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN on posts (batch mode would copy it and trip the foreign keys that point at it);
# oauth_states is referred to by nothing, so batch mode may rebuild it on SQLite.
def upgrade() -> None:
    op.add_column("posts", sa.Column("hold_reason", sa.Text(), nullable=True))
    op.add_column("posts", sa.Column("tag_checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("oauth_states") as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM oauth_states WHERE channel_id IS NULL")
    with op.batch_alter_table("oauth_states") as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("posts", "tag_checked_at")
    op.drop_column("posts", "hold_reason")
