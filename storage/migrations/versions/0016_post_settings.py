"""post settings: a direct post's interactions and commercial disclosure, and the poster's reminders

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = ("allow_comment", "allow_duet", "allow_stitch", "brand_organic", "brand_content")


# Plain ALTER TABLE (see 0013): batch mode would copy `posts`, which metric snapshots refer to.
def upgrade() -> None:
    # Off for every post scheduled before a person could choose: TikTok's guidelines default them off.
    for name in _FLAGS:
        op.add_column("posts", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("posts", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "reminded_at")
    for name in reversed(_FLAGS):
        op.drop_column("posts", name)
