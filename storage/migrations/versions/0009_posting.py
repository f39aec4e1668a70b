"""posting: a post's job (attempt, lease), TikTok's publish id, what was sent, its Slack thread

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: tuple[sa.Column[object], ...] = (
    sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("posting_mode", sa.String(length=16), server_default="draft", nullable=False),
    sa.Column("privacy_level", sa.String(length=32), nullable=True),
    sa.Column("caption", sa.Text(), server_default="", nullable=False),
    sa.Column("media", sa.Text(), nullable=True),
    sa.Column("sandbox", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("publish_id", sa.String(length=128), nullable=True),
    sa.Column("public_id", sa.String(length=64), nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("init_sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("failure", sa.Text(), nullable=True),
    sa.Column("log_id", sa.String(length=128), nullable=True),
    sa.Column("override", sa.Text(), nullable=True),
    sa.Column("slack_channel", sa.String(length=32), nullable=True),
    sa.Column("slack_ts", sa.String(length=32), nullable=True),
)


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index("ix_posts_publish_id", ["publish_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_publish_id")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column.name)
