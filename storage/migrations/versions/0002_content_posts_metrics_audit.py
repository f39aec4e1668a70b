"""content, versions, posts, metrics, channel audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:43:17.765649
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_channel_audit_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_audit")),
    )
    with op.batch_alter_table("channel_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_audit_channel_id"), ["channel_id"], unique=False)

    op.create_table(
        "contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("product", sa.JSON(), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("element", sa.String(length=16), nullable=True),
        sa.Column("element_reason", sa.Text(), nullable=True),
        sa.Column("template_version_id", sa.Integer(), nullable=True),
        sa.Column("experiment_variant_id", sa.Integer(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("review_channel", sa.String(length=32), nullable=True),
        sa.Column("review_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_contents_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contents")),
    )
    with op.batch_alter_table("contents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contents_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contents_status"), ["status"], unique=False)

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_kind", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("template_version_id", sa.Integer(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("exact_hash", sa.String(length=64), nullable=False),
        sa.Column("simhash", sa.BigInteger(), nullable=False),
        sa.Column("band0", sa.Integer(), nullable=False),
        sa.Column("band1", sa.Integer(), nullable=False),
        sa.Column("band2", sa.Integer(), nullable=False),
        sa.Column("band3", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"], ["contents.id"], name=op.f("fk_versions_content_id_contents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("content_id", "number", name=op.f("uq_versions_content_id")),
    )
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.create_index("ix_versions_band0_simhash", ["band0", "simhash"], unique=False)
        batch_op.create_index("ix_versions_band1_simhash", ["band1", "simhash"], unique=False)
        batch_op.create_index("ix_versions_band2_simhash", ["band2", "simhash"], unique=False)
        batch_op.create_index("ix_versions_band3_simhash", ["band3", "simhash"], unique=False)
        batch_op.create_index(batch_op.f("ix_versions_content_id"), ["content_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_versions_exact_hash"), ["exact_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_versions_media_sha256"), ["media_sha256"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("template_version_id", sa.Integer(), nullable=True),
        sa.Column("experiment_variant_id", sa.Integer(), nullable=True),
        sa.Column("tiktok_video_id", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_posts_channel_id_channels")),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"], name=op.f("fk_posts_content_id_contents")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_posts_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_content_id"), ["content_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_scheduled_at"), ["scheduled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_tiktok_video_id"), ["tiktok_video_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_version_id"), ["version_id"], unique=False)

    op.create_table(
        "metric_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_metric_snapshots_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_snapshots")),
    )
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_metric_snapshots_post_taken", ["post_id", "taken_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_snapshots_post_taken")

    op.drop_table("metric_snapshots")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_version_id"))
        batch_op.drop_index(batch_op.f("ix_posts_tiktok_video_id"))
        batch_op.drop_index(batch_op.f("ix_posts_status"))
        batch_op.drop_index(batch_op.f("ix_posts_scheduled_at"))
        batch_op.drop_index(batch_op.f("ix_posts_product_id"))
        batch_op.drop_index(batch_op.f("ix_posts_content_id"))
        batch_op.drop_index(batch_op.f("ix_posts_channel_id"))

    op.drop_table("posts")
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_versions_media_sha256"))
        batch_op.drop_index(batch_op.f("ix_versions_exact_hash"))
        batch_op.drop_index(batch_op.f("ix_versions_content_id"))
        batch_op.drop_index("ix_versions_band3_simhash")
        batch_op.drop_index("ix_versions_band2_simhash")
        batch_op.drop_index("ix_versions_band1_simhash")
        batch_op.drop_index("ix_versions_band0_simhash")

    op.drop_table("versions")
    with op.batch_alter_table("contents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contents_status"))
        batch_op.drop_index(batch_op.f("ix_contents_channel_id"))

    op.drop_table("contents")
    with op.batch_alter_table("channel_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_audit_channel_id"))

    op.drop_table("channel_audit")
