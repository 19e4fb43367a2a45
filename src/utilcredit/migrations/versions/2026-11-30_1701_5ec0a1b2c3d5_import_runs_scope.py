"""import runs: the importing principal's utilities

Revision ID: 5ec0a1b2c3d5
Revises: 5ec0a1b2c3d4
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

revision: str = "5ec0a1b2c3d5"
down_revision: str | None = "5ec0a1b2c3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
