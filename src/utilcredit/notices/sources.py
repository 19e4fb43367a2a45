"""What notices are planned from (SQLite and PostgreSQL alike): the level changes of a rating
run, and the overdue accounts a payment demand may be due for. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, literal_column, select

from utilcredit.customers.tables import AccountRow, BillRow, PaymentRow, ReminderRow
from utilcredit.notices.model import NoticeStatus, OverdueAccount
from utilcredit.notices.repository import chunks
from utilcredit.notices.tables import NoticeRow
from utilcredit.rating.runs.tables import LevelChangeRow

_N = NoticeRow


@dataclass(frozen=True, slots=True)
class ChangeFact:
    id: int
    subject_id: int
    from_level: str | None
    to_level: str | None


def level_changes(connection: Connection, run_id: int) -> list[ChangeFact]:
    """The level changes a run made (departures, with no new level, included)."""
    rows = connection.execute(
        select(
            LevelChangeRow.id,
            LevelChangeRow.subject_id,
            LevelChangeRow.from_level,
            LevelChangeRow.to_level,
        )
        .where(LevelChangeRow.run_id == run_id)
        .order_by(LevelChangeRow.id)
    )
    return [ChangeFact(*row) for row in rows]


def overdue_accounts(
    connection: Connection, utility: str, today: dt.date, due_before: dt.date
) -> list[OverdueAccount]:
    """Accounts of ``utility`` with bills due on or before ``due_before`` and unpaid on
    ``today``, with what they owe and their last demand (imported or sent by us)."""
    paid = (
        select(func.coalesce(func.sum(PaymentRow.amount), literal_column("0")))
        .where(PaymentRow.bill_id == BillRow.id, PaymentRow.paid_on <= today)
        .scalar_subquery()
    )
    owed = (
        select(
            BillRow.account_id,
            (BillRow.amount - paid).label("owed"),
            BillRow.due_on,
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(
            AccountRow.utility == utility,
            BillRow.due_on <= due_before,
            BillRow.set_aside_by.is_(None),
        )
        .subquery()
    )
    per_account = (
        select(
            owed.c.account_id,
            func.sum(owed.c.owed).label("owed"),
            func.count().label("bills"),
            func.min(owed.c.due_on).label("oldest"),
        )
        .where(owed.c.owed > 0)
        .group_by(owed.c.account_id)
        .subquery()
    )
    last_reminder = (
        select(func.max(ReminderRow.sent_on))
        .where(ReminderRow.account_id == per_account.c.account_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            AccountRow.subject_id,
            per_account.c.account_id,
            AccountRow.account_no,
            per_account.c.owed,
            per_account.c.bills,
            per_account.c.oldest,
            last_reminder.label("last_demand"),
        )
        .join(AccountRow, AccountRow.id == per_account.c.account_id)
        .order_by(per_account.c.account_id)
    ).all()
    pending = _pending_demands(connection, [row.account_id for row in rows])
    return [
        OverdueAccount(
            subject_id=row.subject_id,
            account_id=row.account_id,
            account_no=row.account_no,
            owed_fen=int(row.owed),
            bill_count=int(row.bills),
            oldest_due_on=row.oldest,
            last_demand_on=row.last_demand,
            demand_pending=row.account_id in pending,
        )
        for row in rows
    ]


_ON_ITS_WAY = (NoticeStatus.QUEUED, NoticeStatus.SENDING, NoticeStatus.BATCHED)


def _pending_demands(connection: Connection, account_ids: Sequence[int]) -> set[int]:
    """Accounts with a demand still on its way (a sent one is a reminder of the file by then)."""
    found: set[int] = set()
    for batch in chunks(account_ids):
        found.update(
            connection.scalars(
                select(_N.account_id).where(
                    _N.kind == "demand",
                    _N.account_id.in_(batch),
                    _N.status.in_([s.value for s in _ON_ITS_WAY]),
                )
            )
        )
    return found
