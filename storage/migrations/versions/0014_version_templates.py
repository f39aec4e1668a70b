"""version templates: every library template a version was written from, not only the one chosen

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, as in 0013: batch mode would copy `versions` and break the foreign keys onto it.
def upgrade() -> None:
    # NULL for versions written before: storage reads their one template_version_id instead.
    op.add_column("versions", sa.Column("template_version_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("versions", "template_version_ids")
