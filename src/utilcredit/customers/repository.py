"""Every query that reads the credit file, assembling the pure :class:`CreditFile` records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, inspect, select
from sqlalchemy.sql.elements import ColumnElement

from utilcredit.customers.model import (
    Account,
    Bill,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    Payment,
    PaymentMode,
    Reminder,
    Severity,
    Subject,
    SubjectKind,
    Utility,
)
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)

_CHUNK = 500  # subjects per round of queries: bounded memory, few round trips


def _attributes(entity: Any) -> list[ColumnElement[Any]]:
    """All mapped attributes, labelled by attribute name (``amount``, not ``amount_fen``)."""
    return [
        getattr(entity, attribute.key).label(attribute.key)
        for attribute in inspect(entity).column_attrs
    ]


def subject_ids_with_accounts(connection: Connection, utility: Utility) -> list[int]:
    """The rated population of a utility: every subject having an account with it."""
    query = (
        select(AccountRow.subject_id)
        .where(AccountRow.utility == utility.value)
        .distinct()
        .order_by(AccountRow.subject_id)
    )
    return list(connection.execute(query).scalars())


def subject_id_of(connection: Connection, code: str) -> int | None:
    return connection.execute(
        select(SubjectRow.id).where(SubjectRow.code == code)
    ).scalar_one_or_none()


def get_credit_file(connection: Connection, code: str, utility: Utility) -> CreditFile | None:
    subject_id = subject_id_of(connection, code)
    if subject_id is None:
        return None
    return next(iter_credit_files(connection, utility, [subject_id]))


def iter_credit_files(
    connection: Connection, utility: Utility, subject_ids: Sequence[int] | None = None
) -> Iterator[CreditFile]:
    """Credit files of the given subjects (default: the utility's whole population), in id order."""
    ids = (
        list(subject_ids)
        if subject_ids is not None
        else subject_ids_with_accounts(connection, utility)
    )
    for start in range(0, len(ids), _CHUNK):
        yield from _load_chunk(connection, utility, ids[start : start + _CHUNK])


def _load_chunk(connection: Connection, utility: Utility, ids: list[int]) -> Iterator[CreditFile]:
    subjects = {
        row.id: row
        for row in connection.execute(
            select(*_attributes(SubjectRow)).where(SubjectRow.id.in_(ids))
        )
    }
    accounts = list(
        connection.execute(
            select(
                AccountRow.id,
                AccountRow.subject_id,
                AccountRow.account_no,
                AccountRow.utility,
                AccountRow.opened_on,
                AccountRow.payment_mode,
                AccountRow.address,
                AccountRow.area,
            )
            .where(AccountRow.subject_id.in_(ids), AccountRow.utility == utility.value)
            .order_by(AccountRow.id)
        )
    )
    account_ids = [row.id for row in accounts]
    subject_of_account = {row.id: row.subject_id for row in accounts}
    account_no = {row.id: row.account_no for row in accounts}
    code_of = {subject_id: row.code for subject_id, row in subjects.items()}

    by_subject: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in accounts:
        by_subject[row.subject_id]["accounts"].append(
            Account(
                row.account_no,
                code_of[row.subject_id],
                Utility(row.utility),
                row.opened_on,
                PaymentMode(row.payment_mode),
                row.address,
                row.area,
            )
        )
    for bill in _bills(connection, account_ids, account_no):
        by_subject[subject_of_account[bill[0]]]["bills"].append(bill[1])
    for row in _rows(connection, IncidentRow, account_ids, IncidentRow.occurred_on):
        by_subject[subject_of_account[row.account_id]]["incidents"].append(
            Incident(
                row.incident_no,
                account_no[row.account_id],
                IncidentKind(row.kind),
                row.occurred_on,
                row.amount,
                row.asset_class,
                Severity(row.severity) if row.severity else None,
                row.note,
            )
        )
    for row in _rows(connection, ReminderRow, account_ids, ReminderRow.sent_on):
        by_subject[subject_of_account[row.account_id]]["reminders"].append(
            Reminder(row.reminder_no, account_no[row.account_id], row.sent_on, row.channel)
        )
    reports = connection.execute(
        select(*_attributes(CreditReportRow))
        .where(CreditReportRow.subject_id.in_(ids))
        .order_by(CreditReportRow.issued_on)
    )
    for row in reports:
        by_subject[row.subject_id]["credit_reports"].append(
            CreditReport(
                code_of[row.subject_id],
                row.source,
                row.issued_on,
                row.has_dishonesty,
                row.on_serious_list,
                row.rating,
            )
        )
    for subject_id in ids:
        subject = subjects.get(subject_id)
        if subject is None:
            continue
        parts = by_subject.get(subject_id, {})
        yield CreditFile(
            subject=Subject(
                subject.code,
                SubjectKind(subject.kind),
                subject.name,
                subject.id_type,
                subject.legal_rep,
                subject.phone,
                subject.address,
                subject.area,
            ),
            utility=utility,
            accounts=tuple(parts.get("accounts", ())),
            bills=tuple(parts.get("bills", ())),
            incidents=tuple(parts.get("incidents", ())),
            reminders=tuple(parts.get("reminders", ())),
            credit_reports=tuple(parts.get("credit_reports", ())),
        )


def _rows(connection: Connection, table: Any, account_ids: list[int], order: Any) -> Iterator[Any]:
    if not account_ids:
        return iter(())
    return iter(
        connection.execute(
            select(*_attributes(table))
            .where(table.account_id.in_(account_ids))
            .order_by(order, table.id)
        )
    )


def _bills(
    connection: Connection, account_ids: list[int], account_no: dict[int, str]
) -> Iterator[tuple[int, Bill]]:
    """Bills with their payments, as ``(account_id, Bill)``, oldest due date first."""
    if not account_ids:
        return
    bill_rows = list(
        connection.execute(
            select(*_attributes(BillRow))
            .where(BillRow.account_id.in_(account_ids))
            .order_by(BillRow.due_on, BillRow.id)
        )
    )
    payments: dict[int, list[Payment]] = defaultdict(list)
    bill_no = {row.id: row.bill_no for row in bill_rows}
    bill_ids = list(bill_no)
    for start in range(0, len(bill_ids), 5000):
        query = (
            select(*_attributes(PaymentRow))
            .where(PaymentRow.bill_id.in_(bill_ids[start : start + 5000]))
            .order_by(PaymentRow.paid_on, PaymentRow.id)
        )
        for payment in connection.execute(query):
            payments[payment.bill_id].append(
                Payment(
                    payment.payment_no, bill_no[payment.bill_id], payment.paid_on, payment.amount
                )
            )
    for row in bill_rows:
        yield (
            row.account_id,
            Bill(
                row.bill_no,
                account_no[row.account_id],
                row.period_start,
                row.period_end,
                row.amount,
                row.due_on,
                row.usage,
                row.unit,
                tuple(payments.get(row.id, ())),
            ),
        )
