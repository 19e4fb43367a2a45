"""natural keys in the C collation (PostgreSQL)

Revision ID: 5ec0a1b2c3df
Revises: 5ec0a1b2c3de
Create Date: 2026-12-02 04:50:00

On PostgreSQL the natural keys of the credit file (subjects.code, accounts.account_no,
bills.bill_no, payments.payment_no, incidents.incident_no, reminders.reminder_no) take the
``C`` collation: compared bytewise, as SQLite compares them, and their unique indexes built with
``memcmp`` rather than ``strcoll``. The columns' indexes are rebuilt once. SQLite is unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3df"
down_revision: str | None = "5ec0a1b2c3de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("subjects", "code", 32),
    ("accounts", "account_no", 64),
    ("bills", "bill_no", 64),
    ("payments", "payment_no", 64),
    ("incidents", "incident_no", 64),
    ("reminders", "reminder_no", 64),
)


def _collate(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in _KEYS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length, collation=collation),
            existing_type=sa.String(length),
            existing_nullable=False,
        )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate(None)
