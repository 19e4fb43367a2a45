"""designations stored with rating runs

Revision ID: 5ec0a1b2c3db
Revises: 5ec0a1b2c3da
Create Date: 2026-12-01 00:48:00

A run records its policy's designation keys in order (``rating_runs.designation_keys``) and each
subject's row one status letter per designation (``rating_results.designations``: ``H`` held,
``X`` failed, ``U`` unknown; see ``rating/runs/tables.py`` for why a column, not a table). Runs
saved before have neither: NULL reads as "no designations". Plain ``ADD COLUMN`` (nullable, no
default): SQLite and PostgreSQL add it without rewriting ``rating_results``, which holds a row
per subject per run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3db"
down_revision: str | None = "5ec0a1b2c3da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rating_runs", sa.Column("designation_keys", sa.JSON(), nullable=True))
    op.add_column("rating_results", sa.Column("designations", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rating_results", schema=None) as batch_op:
        batch_op.drop_column("designations")
    with op.batch_alter_table("rating_runs", schema=None) as batch_op:
        batch_op.drop_column("designation_keys")
