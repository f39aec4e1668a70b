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


# Plain ALTER TABLE, not batch mode: SQLite (3.35+) adds and drops columns in place, while batch mode
# would copy `versions`, which posts and contents refer to, and fail their foreign keys on the way back.
def upgrade() -> None:
    # Versions written before the checks existed keep NULL: "not checked", never "no findings".
    op.add_column("versions", sa.Column("checks", sa.JSON(), nullable=True))
    op.add_column("versions", sa.Column("findings_accepted", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("versions", "findings_accepted")
    op.drop_column("versions", "checks")
