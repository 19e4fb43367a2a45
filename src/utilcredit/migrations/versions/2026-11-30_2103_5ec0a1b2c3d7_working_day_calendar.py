"""working-day calendar: statutory holidays and adjusted working days by year

Revision ID: 5ec0a1b2c3d7
Revises: 5ec0a1b2c3d6
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "5ec0a1b2c3d7"
down_revision: str | None = "5ec0a1b2c3d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
