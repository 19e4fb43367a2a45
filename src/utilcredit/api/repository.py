"""Read queries behind the API and the console: search, paged credit-file tables, statistics.

Every list is paged with ``offset``/``limit`` and asks for one row more than it shows, to know
whether there is a next page without counting a whole table. Tenancy is a filter on the
account's ``utility``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, exists, func, or_, select, type_coerce

from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.db import Money
from utilcredit.importing.tables import ImportRunRow

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    has_more: bool


def _page(rows: Sequence[T], offset: int, limit: int) -> Page[T]:
    return Page(list(rows[:limit]), offset, limit, len(rows) > limit)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _values(utilities: Collection[Utility]) -> list[str]:
    return sorted(u.value for u in utilities)


@dataclass(frozen=True, slots=True)
class SubjectHit:
    id: int
    code: str
    kind: str
    name: str
    area: str | None
    utilities: tuple[str, ...]


def search_subjects(
    connection: Connection,
    query: str,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[SubjectHit]:
    """Subjects by code prefix, name fragment or account-number prefix, within ``utilities``."""
    allowed = _values(utilities)
    visible = exists().where(
        AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(allowed)
    )
    statement = select(
        SubjectRow.id, SubjectRow.code, SubjectRow.kind, SubjectRow.name, SubjectRow.area
    ).where(visible)
    text = query.strip()
    if text:
        prefix = _escape_like(text.upper()) + "%"
        fragment = "%" + _escape_like(text) + "%"
        by_account = select(AccountRow.subject_id).where(
            AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
            AccountRow.utility.in_(allowed),
        )
        statement = statement.where(
            or_(
                SubjectRow.code.like(prefix, escape="\\"),
                SubjectRow.name.like(fragment, escape="\\"),
                SubjectRow.id.in_(by_account),
            )
        )
    rows = list(
        connection.execute(statement.order_by(SubjectRow.code).offset(offset).limit(limit + 1))
    )
    shown = rows[:limit]
    utilities_of = subject_utility_map(connection, [row.id for row in shown], allowed)
    hits = [
        SubjectHit(row.id, row.code, row.kind, row.name, row.area, utilities_of.get(row.id, ()))
        for row in rows
    ]
    return _page(hits, offset, limit)


def subject_utility_map(
    connection: Connection, subject_ids: Sequence[int], allowed: Sequence[str]
) -> dict[int, tuple[str, ...]]:
    if not subject_ids:
        return {}
    found: dict[int, set[str]] = {}
    for subject_id, utility in connection.execute(
        select(AccountRow.subject_id, AccountRow.utility).where(
            AccountRow.subject_id.in_(subject_ids), AccountRow.utility.in_(allowed)
        )
    ):
        found.setdefault(subject_id, set()).add(utility)
    return {key: tuple(sorted(value)) for key, value in found.items()}


@dataclass(frozen=True, slots=True)
class AccountHit:
    account_no: str
    utility: str
    subject_code: str
    subject_name: str
    subject_kind: str
    opened_on: dt.date
    payment_mode: str
    address: str | None
    area: str | None


def search_accounts(
    connection: Connection,
    query: str,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[AccountHit]:
    statement = (
        select(
            AccountRow.account_no,
            AccountRow.utility,
            SubjectRow.code,
            SubjectRow.name,
            SubjectRow.kind,
            AccountRow.opened_on,
            AccountRow.payment_mode,
            AccountRow.address,
            AccountRow.area,
        )
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(AccountRow.utility.in_(_values(utilities)))
    )
    text = query.strip()
    if text:
        statement = statement.where(
            or_(
                AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
                SubjectRow.code == text.upper(),
            )
        )
    rows = connection.execute(
        statement.order_by(AccountRow.account_no).offset(offset).limit(limit + 1)
    )
    return _page([AccountHit(*row) for row in rows], offset, limit)


def subject_code_of(connection: Connection, subject_id: int) -> str | None:
    return connection.execute(
        select(SubjectRow.code).where(SubjectRow.id == subject_id)
    ).scalar_one_or_none()


def subject_row(connection: Connection, subject_id: int) -> Any:
    return connection.execute(select(SubjectRow).where(SubjectRow.id == subject_id)).one()


def accounts_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[Any]:
    return list(
        connection.execute(
            select(AccountRow)
            .where(AccountRow.subject_id == subject_id, AccountRow.utility.in_(_values(utilities)))
            .order_by(AccountRow.utility, AccountRow.account_no)
        )
    )


def credit_reports_of(connection: Connection, subject_id: int) -> list[Any]:
    return list(
        connection.execute(
            select(CreditReportRow)
            .where(CreditReportRow.subject_id == subject_id)
            .order_by(CreditReportRow.issued_on.desc())
            .limit(50)
        )
    )


def _account_filter(subject_id: int, utilities: Collection[Utility]) -> Any:
    return select(AccountRow.id).where(
        AccountRow.subject_id == subject_id, AccountRow.utility.in_(_values(utilities))
    )


@dataclass(frozen=True, slots=True)
class BillLine:
    bill_no: str
    account_no: str
    period_start: dt.date
    period_end: dt.date
    usage: Decimal | None
    unit: str | None
    amount: Decimal
    due_on: dt.date
    paid: Decimal


def bills_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[BillLine]:
    paid = (
        select(type_coerce(func.coalesce(func.sum(PaymentRow.amount), 0), Money()))
        .where(PaymentRow.bill_id == BillRow.id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            BillRow.bill_no,
            AccountRow.account_no,
            BillRow.period_start,
            BillRow.period_end,
            BillRow.usage,
            BillRow.unit,
            BillRow.amount,
            BillRow.due_on,
            paid.label("paid"),
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(BillRow.account_id.in_(_account_filter(subject_id, utilities)))
        .order_by(BillRow.due_on.desc(), BillRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    lines = [BillLine(*row[:8], paid=row.paid or Decimal("0.00")) for row in rows]
    return _page(lines, offset, limit)


@dataclass(frozen=True, slots=True)
class PaymentLine:
    payment_no: str
    bill_no: str
    account_no: str
    paid_on: dt.date
    amount: Decimal


def payments_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[PaymentLine]:
    rows = connection.execute(
        select(
            PaymentRow.payment_no,
            BillRow.bill_no,
            AccountRow.account_no,
            PaymentRow.paid_on,
            PaymentRow.amount,
        )
        .join(BillRow, BillRow.id == PaymentRow.bill_id)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(BillRow.account_id.in_(_account_filter(subject_id, utilities)))
        .order_by(PaymentRow.paid_on.desc(), PaymentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return _page([PaymentLine(*row) for row in rows], offset, limit)


@dataclass(frozen=True, slots=True)
class IncidentLine:
    incident_no: str
    account_no: str
    kind: str
    occurred_on: dt.date
    amount: Decimal | None
    asset_class: str | None
    severity: str | None
    note: str | None


def incidents_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[IncidentLine]:
    rows = connection.execute(
        select(
            IncidentRow.incident_no,
            AccountRow.account_no,
            IncidentRow.kind,
            IncidentRow.occurred_on,
            IncidentRow.amount,
            IncidentRow.asset_class,
            IncidentRow.severity,
            IncidentRow.note,
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .where(IncidentRow.account_id.in_(_account_filter(subject_id, utilities)))
        .order_by(IncidentRow.occurred_on.desc(), IncidentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return _page([IncidentLine(*row) for row in rows], offset, limit)


def reminders_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[Any]:
    return list(
        connection.execute(
            select(
                ReminderRow.reminder_no,
                AccountRow.account_no,
                ReminderRow.sent_on,
                ReminderRow.channel,
            )
            .join(AccountRow, AccountRow.id == ReminderRow.account_id)
            .where(ReminderRow.account_id.in_(_account_filter(subject_id, utilities)))
            .order_by(ReminderRow.sent_on.desc())
            .limit(50)
        )
    )


def count_subjects_of(connection: Connection, utility: Utility) -> int:
    return int(
        connection.execute(
            select(func.count(func.distinct(AccountRow.subject_id))).where(
                AccountRow.utility == utility.value
            )
        ).scalar_one()
    )


def area_of_subjects(connection: Connection, subject_codes: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for start in range(0, len(subject_codes), 500):
        for code, area in connection.execute(
            select(SubjectRow.code, SubjectRow.area).where(
                SubjectRow.code.in_(subject_codes[start : start + 500])
            )
        ):
            found[code] = area
    return found


@dataclass(frozen=True, slots=True)
class ImportRunLine:
    id: int
    file_name: str
    kind: str
    file_format: str
    actor: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    error: str | None


_RUN_COLUMNS = (
    ImportRunRow.id,
    ImportRunRow.file_name,
    ImportRunRow.kind,
    ImportRunRow.file_format,
    ImportRunRow.actor,
    ImportRunRow.status,
    ImportRunRow.started_at,
    ImportRunRow.finished_at,
    ImportRunRow.rows_read,
    ImportRunRow.inserted,
    ImportRunRow.updated,
    ImportRunRow.unchanged,
    ImportRunRow.rejected,
    ImportRunRow.error,
)


def import_runs(connection: Connection, *, offset: int, limit: int) -> Page[ImportRunLine]:
    rows = connection.execute(
        select(*_RUN_COLUMNS).order_by(ImportRunRow.id.desc()).offset(offset).limit(limit + 1)
    )
    return _page([ImportRunLine(**row._mapping) for row in rows], offset, limit)


def import_run(connection: Connection, run_id: int) -> ImportRunLine | None:
    row = connection.execute(select(*_RUN_COLUMNS).where(ImportRunRow.id == run_id)).one_or_none()
    return None if row is None else ImportRunLine(**row._mapping)


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str | None
    reason: str | None
    detail: dict[str, Any] | None


def audit_entries(
    connection: Connection,
    *,
    actor: str | None,
    action: str | None,
    entity_key: str | None,
    offset: int,
    limit: int,
) -> Page[AuditLine]:
    statement = select(
        AuditEntryRow.id,
        AuditEntryRow.at,
        AuditEntryRow.actor,
        AuditEntryRow.action,
        AuditEntryRow.entity,
        AuditEntryRow.entity_key,
        AuditEntryRow.reason,
        AuditEntryRow.detail,
    )
    if actor:
        statement = statement.where(AuditEntryRow.actor == actor)
    if action:
        statement = statement.where(AuditEntryRow.action == action)
    if entity_key:
        statement = statement.where(AuditEntryRow.entity_key == entity_key)
    rows = connection.execute(
        statement.order_by(AuditEntryRow.id.desc()).offset(offset).limit(limit + 1)
    )
    return _page([AuditLine(*row) for row in rows], offset, limit)


def evidence_record(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    kind: str,
    ref: str,
    on: dt.date | None = None,
) -> dict[str, Any] | None:
    """One record an explanation points at, within the subject's visible accounts."""
    accounts = _account_filter(subject_id, utilities)
    if kind == "bill":
        bill = connection.execute(
            select(BillRow, AccountRow.account_no)
            .join(AccountRow, AccountRow.id == BillRow.account_id)
            .where(BillRow.bill_no == ref, BillRow.account_id.in_(accounts))
        ).one_or_none()
        if bill is None:
            return None
        paid = list(
            connection.execute(
                select(PaymentRow.payment_no, PaymentRow.paid_on, PaymentRow.amount)
                .where(PaymentRow.bill_id == bill.id)
                .order_by(PaymentRow.paid_on)
            )
        )
        return {"row": bill._mapping, "payments": [p._mapping for p in paid]}
    if kind == "incident":
        incident = connection.execute(
            select(IncidentRow, AccountRow.account_no)
            .join(AccountRow, AccountRow.id == IncidentRow.account_id)
            .where(IncidentRow.incident_no == ref, IncidentRow.account_id.in_(accounts))
        ).one_or_none()
        return None if incident is None else {"row": incident._mapping, "payments": []}
    if kind == "account":
        account = connection.execute(
            select(AccountRow).where(AccountRow.account_no == ref, AccountRow.id.in_(accounts))
        ).one_or_none()
        return None if account is None else {"row": account._mapping, "payments": []}
    if kind == "report":
        statement = select(CreditReportRow).where(
            CreditReportRow.subject_id == subject_id, CreditReportRow.source == ref
        )
        if on is not None:
            statement = statement.where(CreditReportRow.issued_on == on)
        report = connection.execute(
            statement.order_by(CreditReportRow.issued_on.desc()).limit(1)
        ).one_or_none()
        return None if report is None else {"row": report._mapping, "payments": []}
    return None
