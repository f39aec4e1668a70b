"""draft checks: each version's findings, and a reviewer's approval despite them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        # Versions written before the checks existed keep NULL: "not checked", never "no findings".
        batch_op.add_column(sa.Column("checks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("findings_accepted", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_column("findings_accepted")
        batch_op.drop_column("checks")
