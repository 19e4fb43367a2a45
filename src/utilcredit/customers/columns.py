"""The columns each credit-file record is read from, and the records built from those rows.

Shared by every read of the credit file, so the two loaders (``repository.py``), the lookups
(``subjects.py``) and the reader's pages (``pages.py``) read the same columns and build the same
records. Columns are labelled by attribute name (``amount``, not ``amount_fen``); bookkeeping
columns such as ``created_at`` are not read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, select

from utilcredit.customers.model import (
    Account,
    Bill,
    Commitment,
    CommitmentStatus,
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
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)

SUBJECT_COLUMNS: tuple[Any, ...] = (
    SubjectRow.id,
    SubjectRow.code,
    SubjectRow.kind,
    SubjectRow.name,
    SubjectRow.id_type,
    SubjectRow.legal_rep,
    SubjectRow.phone,
    SubjectRow.address,
    SubjectRow.area,
    SubjectRow.founded_on,
)
ACCOUNT_COLUMNS: tuple[Any, ...] = (
    AccountRow.id,
    AccountRow.subject_id,
    AccountRow.account_no,
    AccountRow.utility,
    AccountRow.opened_on,
    AccountRow.payment_mode,
    AccountRow.address,
    AccountRow.area,
)
BILL_COLUMNS: tuple[Any, ...] = (
    BillRow.id,
    BillRow.account_id,
    BillRow.bill_no,
    BillRow.period_start,
    BillRow.period_end,
    BillRow.amount.label("amount"),
    BillRow.due_on,
    BillRow.usage.label("usage"),
    BillRow.unit,
    BillRow.set_aside_by,
)
PAYMENT_COLUMNS: tuple[Any, ...] = (
    PaymentRow.id,
    PaymentRow.bill_id,
    PaymentRow.payment_no,
    PaymentRow.paid_on,
    PaymentRow.amount.label("amount"),
)
INCIDENT_COLUMNS: tuple[Any, ...] = (
    IncidentRow.id,
    IncidentRow.account_id,
    IncidentRow.incident_no,
    IncidentRow.kind,
    IncidentRow.occurred_on,
    IncidentRow.amount.label("amount"),
    IncidentRow.asset_class,
    IncidentRow.severity,
    IncidentRow.note,
    IncidentRow.set_aside_by,
)
REMINDER_COLUMNS: tuple[Any, ...] = (
    ReminderRow.id,
    ReminderRow.account_id,
    ReminderRow.reminder_no,
    ReminderRow.sent_on,
    ReminderRow.channel,
)
REPORT_COLUMNS: tuple[Any, ...] = (
    CreditReportRow.id,
    CreditReportRow.subject_id,
    CreditReportRow.source,
    CreditReportRow.issued_on,
    CreditReportRow.has_dishonesty,
    CreditReportRow.on_serious_list,
    CreditReportRow.rating,
)
COMMITMENT_COLUMNS: tuple[Any, ...] = (
    CommitmentRow.subject_id,
    CommitmentRow.code,
    CommitmentRow.commitment_type,
    CommitmentRow.made_on,
    CommitmentRow.valid_until,
    CommitmentRow.status,
    CommitmentRow.status_on,
)

# Every loader orders the same way (ties broken by id), so both give identical tuples.
BILL_ORDER: tuple[Any, ...] = (BillRow.due_on, BillRow.id)
PAYMENT_ORDER: tuple[Any, ...] = (PaymentRow.paid_on, PaymentRow.id)
INCIDENT_ORDER: tuple[Any, ...] = (IncidentRow.occurred_on, IncidentRow.id)
REMINDER_ORDER: tuple[Any, ...] = (ReminderRow.sent_on, ReminderRow.id)
REPORT_ORDER: tuple[Any, ...] = (CreditReportRow.issued_on, CreditReportRow.id)
COMMITMENT_ORDER: tuple[Any, ...] = (CommitmentRow.made_on, CommitmentRow.id)

# One subject by its code (``:code``), built once: the live rating reads it on every request.
SUBJECT_BY_CODE = select(*SUBJECT_COLUMNS).where(SubjectRow.code == bindparam("code"))


def subject_record(row: Any) -> Subject:
    return Subject(
        row.code,
        SubjectKind(row.kind),
        row.name,
        row.id_type,
        row.legal_rep,
        row.phone,
        row.address,
        row.area,
        row.founded_on,
    )


def commitment_record(row: Any) -> Commitment:
    return Commitment(
        row.code,
        row.commitment_type,
        row.made_on,
        row.valid_until,
        CommitmentStatus(row.status),
        row.status_on,
    )


def account_record(row: Any, subject_code: str) -> Account:
    return Account(
        row.account_no,
        subject_code,
        Utility(row.utility),
        row.opened_on,
        PaymentMode(row.payment_mode),
        row.address,
        row.area,
    )


def payments_by_bill(rows: Iterable[Any], bill_no: dict[int, str]) -> dict[int, list[Payment]]:
    payments: dict[int, list[Payment]] = defaultdict(list)
    for row in rows:
        payments[row.bill_id].append(
            Payment(row.payment_no, bill_no[row.bill_id], row.paid_on, row.amount)
        )
    return payments


def bill_record(row: Any, account_no: str, payments: Sequence[Payment]) -> Bill:
    return Bill(
        row.bill_no,
        account_no,
        row.period_start,
        row.period_end,
        row.amount,
        row.due_on,
        row.usage,
        row.unit,
        tuple(payments),
        row.set_aside_by,
    )


def incident_record(row: Any, account_no: str) -> Incident:
    return Incident(
        row.incident_no,
        account_no,
        IncidentKind(row.kind),
        row.occurred_on,
        row.amount,
        row.asset_class,
        Severity(row.severity) if row.severity else None,
        row.note,
        row.set_aside_by,
    )


def reminder_record(row: Any, account_no: str) -> Reminder:
    return Reminder(row.reminder_no, account_no, row.sent_on, row.channel)


def report_record(row: Any, subject_code: str) -> CreditReport:
    return CreditReport(
        subject_code,
        row.source,
        row.issued_on,
        row.has_dishonesty,
        row.on_serious_list,
        row.rating,
    )
