"""credit file: evidence set aside by the dishonesty-record register

A dishonesty record that is repaired, removed or corrected away no longer counts, and neither do
the incidents and bills it stands on (SPEC 2.7, 3). The records service marks them with the
record's id in ``set_aside_by`` (no foreign key: the records table belongs to a higher layer);
every rating engine leaves marked rows out. Indexed: a record's marks are cleared by its id.

Revision ID: 5ec0a1b2c3d8
Revises: 5ec0a1b2c3d7
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3d8"
down_revision: str | None = "5ec0a1b2c3d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("bills", "incidents")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("set_aside_by", sa.Integer(), nullable=True))
        op.create_index(op.f(f"ix_{table}_set_aside_by"), table, ["set_aside_by"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(op.f(f"ix_{table}_set_aside_by"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("set_aside_by")
