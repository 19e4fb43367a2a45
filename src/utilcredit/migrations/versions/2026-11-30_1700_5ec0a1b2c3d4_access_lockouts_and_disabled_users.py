"""access: login throttling, lockouts and disabled users

Revision ID: 5ec0a1b2c3d4
Revises: a7ecdb54817a
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

revision: str = "5ec0a1b2c3d4"
down_revision: str | None = "a7ecdb54817a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
