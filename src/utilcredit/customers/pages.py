"""Reads behind the API and the console: search (subjects and accounts), the credit file's pages
(accounts, credit reports, bills, payments, incidents, reminders) and the record an explanation
points at. Queries only; nothing here commits.

Every list is paged with ``offset``/``limit`` and asks for one row more than it shows, to know
whether there is a next page without counting a whole table. Tenancy is a filter on the
account's ``utility``: a subject's rows are read through its accounts of the reader's utilities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
    type_coerce,
)

from utilcredit.customers.columns import ACCOUNT_COLUMNS, REPORT_COLUMNS
from utilcredit.customers.model import AccountLine, CreditReportLine, ReminderLine, Utility
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
from utilcredit.identifiers import normalize_code, subject_ref
from utilcredit.paging import Page, page_of


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _values(utilities: Collection[Utility]) -> list[str]:
    return sorted(u.value for u in utilities)


def visible_account_ids(subject_id: int, utilities: Iterable[Utility]) -> Select[int]:
    """The subject's accounts of ``utilities`` (a subquery of ids)."""
    return select(AccountRow.id).where(
        AccountRow.subject_id == subject_id,
        AccountRow.utility.in_(sorted(u.value for u in utilities)),
    )


@dataclass(frozen=True, slots=True)
class SubjectHit:
    id: int
    code: str
    kind: str
    name: str
    area: str | None
    utilities: tuple[str, ...]

    @property
    def ref(self) -> str:
        """What URLs name the subject by (``id-<n>`` for a natural person)."""
        return subject_ref(self.id, self.code, self.kind)


def _partial_match(
    text: str, *, personal_partial: bool
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(code, name) conditions: prefix of the code, fragment of the name.

    Without ``personal_partial`` a natural person matches only on the whole ID number or the
    whole name: otherwise a reader who sees them masked could recover them one character at a
    time (``?q=32082619850117…``). Organisations' codes and names are public and match in part.
    """
    by_code = SubjectRow.code.like(_escape_like(text.upper()) + "%", escape="\\")
    by_name = SubjectRow.name.like("%" + _escape_like(text) + "%", escape="\\")
    if personal_partial:
        return by_code, by_name
    legal = SubjectRow.kind != "natural"
    return (
        or_(and_(legal, by_code), SubjectRow.code == normalize_code(text)),
        or_(and_(legal, by_name), SubjectRow.name == text),
    )


def search_subjects(
    connection: Connection,
    query: str,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
    personal_partial: bool = False,
) -> Page[SubjectHit]:
    """Subjects by code prefix, name fragment or account-number prefix, within ``utilities``;
    natural persons by their whole ID number or name unless ``personal_partial``."""
    allowed = _values(utilities)
    visible = exists().where(
        AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(allowed)
    )
    statement = select(
        SubjectRow.id, SubjectRow.code, SubjectRow.kind, SubjectRow.name, SubjectRow.area
    ).where(visible)
    text = query.strip()
    if text:
        by_code, by_name = _partial_match(text, personal_partial=personal_partial)
        by_account = select(AccountRow.subject_id).where(
            AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
            AccountRow.utility.in_(allowed),
        )
        statement = statement.where(or_(by_code, by_name, SubjectRow.id.in_(by_account)))
    rows = list(
        connection.execute(statement.order_by(SubjectRow.code).offset(offset).limit(limit + 1))
    )
    shown = rows[:limit]
    utilities_of = subject_utility_map(connection, [row.id for row in shown], allowed)
    hits = [
        SubjectHit(row.id, row.code, row.kind, row.name, row.area, utilities_of.get(row.id, ()))
        for row in rows
    ]
    return page_of(hits, offset, limit)


def subject_text_match(
    query: str, utilities: Collection[Utility], *, personal_partial: bool = False
) -> ColumnElement[bool] | None:
    """The condition :func:`search_subjects` puts on ``subjects`` for ``query`` (code prefix,
    name fragment, account-number prefix; natural persons whole), for the lists that filter
    and sort beyond it; ``None`` for an empty query."""
    text = query.strip()
    if not text:
        return None
    by_code, by_name = _partial_match(text, personal_partial=personal_partial)
    by_account = select(AccountRow.subject_id).where(
        AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
        AccountRow.utility.in_(_values(utilities)),
    )
    return or_(by_code, by_name, SubjectRow.id.in_(by_account))


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
    subject_id: int

    @property
    def subject_ref(self) -> str:
        return subject_ref(self.subject_id, self.subject_code, self.subject_kind)


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
            SubjectRow.id,
        )
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(AccountRow.utility.in_(_values(utilities)))
    )
    text = query.strip()
    if text:
        statement = statement.where(
            or_(
                AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
                SubjectRow.code == normalize_code(text),
            )
        )
    rows = connection.execute(
        statement.order_by(AccountRow.account_no).offset(offset).limit(limit + 1)
    )
    return page_of([_account_hit(row) for row in rows], offset, limit)


def _account_hit(row: Any) -> AccountHit:
    return AccountHit(*row)


_ACCOUNT_LINE_COLUMNS = ACCOUNT_COLUMNS[2:]  # account_no … area
_REPORT_LINE_COLUMNS = REPORT_COLUMNS[2:]  # source … rating


def accounts_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[AccountLine]:
    rows = connection.execute(
        select(*_ACCOUNT_LINE_COLUMNS)
        .where(AccountRow.subject_id == subject_id, AccountRow.utility.in_(_values(utilities)))
        .order_by(AccountRow.utility, AccountRow.account_no)
    )
    return [AccountLine(*row) for row in rows]


def credit_reports_of(connection: Connection, subject_id: int) -> list[CreditReportLine]:
    rows = connection.execute(
        select(*_REPORT_LINE_COLUMNS)
        .where(CreditReportRow.subject_id == subject_id)
        .order_by(CreditReportRow.issued_on.desc())
        .limit(50)
    )
    return [CreditReportLine(*row) for row in rows]


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
    set_aside_by: int | None = None  # the dishonesty record that set it aside (not rated)


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
            BillRow.set_aside_by,
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(BillRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(BillRow.due_on.desc(), BillRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    lines = [
        BillLine(*row[:8], paid=row.paid or Decimal("0.00"), set_aside_by=row.set_aside_by)
        for row in rows
    ]
    return page_of(lines, offset, limit)


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
        .where(BillRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(PaymentRow.paid_on.desc(), PaymentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([PaymentLine(*row) for row in rows], offset, limit)


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
    set_aside_by: int | None = None  # the dishonesty record that set it aside (not rated)


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
            IncidentRow.set_aside_by,
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .where(IncidentRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(IncidentRow.occurred_on.desc(), IncidentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([IncidentLine(*row) for row in rows], offset, limit)


def reminders_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[ReminderLine]:
    rows = connection.execute(
        select(
            ReminderRow.reminder_no,
            AccountRow.account_no,
            ReminderRow.sent_on,
            ReminderRow.channel,
        )
        .join(AccountRow, AccountRow.id == ReminderRow.account_id)
        .where(ReminderRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(ReminderRow.sent_on.desc())
        .limit(50)
    )
    return [ReminderLine(*row) for row in rows]


# ---- the record an explanation points at ------------------------------------------------


def evidence_record(
    connection: Connection,
    subject_id: int,
    utilities: Iterable[Utility],
    kind: str,
    ref: str,
    on: dt.date | None = None,
) -> dict[str, Any] | None:
    """One record an explanation points at, within the subject's visible accounts."""
    accounts = visible_account_ids(subject_id, utilities)
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
