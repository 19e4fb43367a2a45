"""index updated_at of the credit file

The rating run's watermark, the columnar snapshot's fingerprint and dynamic re-rating's
"changed since" all ask for the newest or recent ``updated_at``: an index answers without a
scan of tables that hold tens of millions of rows.

Revision ID: a7ecdb54817a
Revises: 1426760393aa
Create Date: 2026-11-22 02:57:36.053778
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7ecdb54817a"
down_revision: str | None = "1426760393aa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("subjects", "accounts", "bills", "payments", "incidents", "reminders", "credit_reports")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_updated_at"), table, ["updated_at"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(op.f(f"ix_{table}_updated_at"), table_name=table)
