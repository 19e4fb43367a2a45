"""import runs: the importing principal's utilities

Each import run records the utilities its importer could write (``import_runs.utilities``, a
sorted comma list such as ``power,water``), so runs, their rejects and reject reports are
shown only to readers of those utilities. Runs made before this revision keep NULL: their
importer's utilities are unknown, so only readers of every utility see them.

Revision ID: 5ec0a1b2c3d5
Revises: 5ec0a1b2c3d4
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3d5"
down_revision: str | None = "5ec0a1b2c3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(sa.Column("utilities", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("utilities")
