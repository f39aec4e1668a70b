"""bulk_batches (one `/content schedule bulk` each) and posts.batch_id (one Undo for a batch)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_url", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("slack_channel", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=32), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_batches")),
    )
    # Plain ALTER TABLE (no foreign key): batch mode would copy `posts`, which snapshots refer to.
    op.add_column("posts", sa.Column("batch_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_posts_batch_id"), "posts", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_posts_batch_id"), table_name="posts")
    op.drop_column("posts", "batch_id")
    op.drop_table("bulk_batches")
