"""rating results without rowid (SQLite)

Revision ID: 5ec0a1b2c3de
Revises: 5ec0a1b2c3dd
Create Date: 2026-12-02 04:00:00

On SQLite, ``rating_results`` becomes a ``WITHOUT ROWID`` table: its rows live in the primary
key's B-tree (run, subject), so a run's bulk insert writes one B-tree instead of two. The table
is copied once (SQLite cannot change this in place): expect about as long as saving the runs it
holds took to write. PostgreSQL has no rowid; nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5ec0a1b2c3de"
down_revision: str | None = "5ec0a1b2c3dd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "rating_results", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade() -> None:
    _recreate(with_rowid=False)


def downgrade() -> None:
    _recreate(with_rowid=True)
