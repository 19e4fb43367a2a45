"""What the register reads from the credit file: the demands sent with the bills overdue on
their day, incidents of a kind, payments and unpaid bills. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, literal_column, select

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
)
from utilcredit.records.model import Demand, DemandedBill

CHUNK = 500  # bill ids per IN (...) list


@dataclass(frozen=True, slots=True)
class AccountDemands:
    subject_id: int
    account_id: int
    account_no: str
    demands: list[Demand]


def _paid_by(bill_id: Any, day: Any) -> Any:
    """Payments of the bill ``bill_id`` dated on or before ``day`` (all of them for None)."""
    condition = [PaymentRow.bill_id == bill_id]
    if day is not None:
        condition.append(PaymentRow.paid_on <= day)
    return (
        # A literal 0 would be bound through the Money type; the column form is plain SQL.
        select(func.coalesce(func.sum(PaymentRow.amount), literal_column("0")))
        .where(*condition)
        .scalar_subquery()
    )


def account_demands(
    connection: Connection,
    utility: Utility,
    *,
    sent_from: dt.date,
    sent_until: dt.date,
    as_of: dt.date,
) -> list[AccountDemands]:
    """Demands sent in [sent_from, sent_until] with the bills that were overdue on their day.

    Only bills still unpaid at ``as_of`` are read (a paid bill can make no record); bills set
    aside by the register are left out like everywhere else. The unpaid bills are found
    first, once per bill, among the accounts with a demand; only they are paired with the
    demands (at 1 M subjects: 40 s → a few seconds, against pairing every demand with every
    earlier bill and summing its payments each time).
    """
    sent = and_(ReminderRow.sent_on >= sent_from, ReminderRow.sent_on <= sent_until)
    demanded = (
        select(ReminderRow.account_id, func.max(ReminderRow.sent_on).label("last_sent"))
        .join(AccountRow, AccountRow.id == ReminderRow.account_id)
        .where(AccountRow.utility == utility.value, sent)
        .group_by(ReminderRow.account_id)
        .cte("demanded")
    )
    owed = (
        select(
            BillRow.id,
            BillRow.account_id,
            BillRow.bill_no,
            BillRow.due_on,
            BillRow.amount,
            _paid_by(BillRow.id, as_of).label("paid"),
        )
        .join(
            demanded,
            and_(
                demanded.c.account_id == BillRow.account_id,
                BillRow.due_on < demanded.c.last_sent,
            ),
        )
        .where(BillRow.set_aside_by.is_(None))
        .cte("owed")
    )
    unpaid = select(owed).where(owed.c.paid < owed.c.amount).cte("unpaid")
    statement = (
        select(
            AccountRow.subject_id,
            AccountRow.id.label("account_id"),
            AccountRow.account_no,
            ReminderRow.id.label("reminder_id"),
            ReminderRow.reminder_no,
            ReminderRow.sent_on,
            unpaid.c.id.label("bill_id"),
            unpaid.c.bill_no,
            unpaid.c.due_on,
            unpaid.c.amount.label("amount_fen"),
            _paid_by(unpaid.c.id, ReminderRow.sent_on).label("paid_by_demand"),
            unpaid.c.paid.label("paid_by_as_of"),
        )
        .select_from(unpaid)
        .join(
            ReminderRow,
            and_(
                ReminderRow.account_id == unpaid.c.account_id, unpaid.c.due_on < ReminderRow.sent_on
            ),
        )
        .join(AccountRow, AccountRow.id == unpaid.c.account_id)
        .where(sent)
        .order_by(AccountRow.id, ReminderRow.sent_on, ReminderRow.id, unpaid.c.due_on, unpaid.c.id)
    )
    by_account: dict[int, AccountDemands] = {}
    bills: dict[tuple[int, int], list[DemandedBill]] = defaultdict(list)
    reminders: dict[tuple[int, int], tuple[str, dt.date]] = {}
    for row in connection.execute(statement):
        if row.account_id not in by_account:
            by_account[row.account_id] = AccountDemands(
                row.subject_id, row.account_id, row.account_no, []
            )
        key = (row.account_id, row.reminder_id)
        reminders[key] = (row.reminder_no, row.sent_on)
        bills[key].append(
            DemandedBill(
                row.bill_id,
                row.bill_no,
                row.due_on,
                _yuan(row.amount_fen),
                _yuan(row.paid_by_demand),
                _yuan(row.paid_by_as_of),
            )
        )
    for (account_id, reminder_id), (reminder_no, sent_on) in reminders.items():
        by_account[account_id].demands.append(
            Demand(reminder_id, reminder_no, sent_on, tuple(bills[(account_id, reminder_id)]))
        )
    return list(by_account.values())


def _yuan(value: Any) -> Decimal:
    # Raw SQL sums come back as fen integers; the mapped column already gives yuan.
    return value if isinstance(value, Decimal) else Decimal(int(value)).scaleb(-2)


@dataclass(frozen=True, slots=True)
class IncidentFact:
    incident_id: int
    incident_no: str
    subject_id: int
    account_no: str
    kind: str
    occurred_on: dt.date
    amount: Decimal | None
    severity: str | None


def incident_facts(
    connection: Connection,
    utility: Utility,
    kinds: Collection[str],
    *,
    since: dt.date,
    as_of: dt.date,
    incident_ids: Collection[int] | None = None,
) -> list[IncidentFact]:
    """The incidents of the kinds in ``(since, as_of]``, not set aside (only ``incident_ids``
    when given: a breach recorded just now)."""
    only = [] if incident_ids is None else [IncidentRow.id.in_(sorted(incident_ids))]
    rows = connection.execute(
        select(
            IncidentRow.id,
            IncidentRow.incident_no,
            AccountRow.subject_id,
            AccountRow.account_no,
            IncidentRow.kind,
            IncidentRow.occurred_on,
            IncidentRow.amount,
            IncidentRow.severity,
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .where(
            AccountRow.utility == utility.value,
            IncidentRow.kind.in_(sorted(kinds)),
            IncidentRow.occurred_on > since,
            IncidentRow.occurred_on <= as_of,
            IncidentRow.set_aside_by.is_(None),
            *only,
        )
        .order_by(IncidentRow.id)
    )
    return [IncidentFact(*row) for row in rows]


def payments_of_bills(
    connection: Connection, bill_ids: Collection[int]
) -> list[tuple[int, str, dt.date]]:
    found: list[tuple[int, str, dt.date]] = []
    wanted = sorted(bill_ids)
    for start in range(0, len(wanted), CHUNK):
        found += [
            (row.id, row.payment_no, row.paid_on)
            for row in connection.execute(
                select(PaymentRow.id, PaymentRow.payment_no, PaymentRow.paid_on).where(
                    PaymentRow.bill_id.in_(wanted[start : start + CHUNK])
                )
            )
        ]
    return found


def unpaid_bills(connection: Connection, account_nos: Collection[str], as_of: dt.date) -> list[str]:
    """Bills of the accounts due before ``as_of`` whose payments so far fall short."""
    paid = _paid_by(BillRow.id, None)
    rows = connection.execute(
        select(BillRow.bill_no)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(
            AccountRow.account_no.in_(sorted(account_nos)),
            BillRow.due_on < as_of,
            BillRow.set_aside_by.is_(None),
            paid < BillRow.amount,
        )
        .order_by(BillRow.due_on, BillRow.bill_no)
    )
    return [row.bill_no for row in rows]


def late_payment_twins(connection: Connection, bill_ids: Collection[int]) -> list[int]:
    """Reported ``late_payment`` incidents on the accounts and due dates of these bills."""
    if not bill_ids:
        return []
    rows = connection.execute(
        select(IncidentRow.id)
        .join(
            BillRow,
            and_(
                BillRow.account_id == IncidentRow.account_id,
                BillRow.due_on == IncidentRow.occurred_on,
            ),
        )
        .where(BillRow.id.in_(sorted(bill_ids)), IncidentRow.kind == "late_payment")
        .distinct()
    )
    return sorted(row.id for row in rows)


def accounts_of_bills(connection: Connection, bill_nos: Collection[str]) -> list[str]:
    rows = connection.execute(
        select(AccountRow.account_no)
        .distinct()
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .where(BillRow.bill_no.in_(sorted(bill_nos)))
    )
    return sorted(row.account_no for row in rows)
