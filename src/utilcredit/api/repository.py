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
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    or_,
    select,
    type_coerce,
)

from utilcredit.customers import repository as credit_files
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
from utilcredit.identifiers import normalize_code, subject_ref
from utilcredit.paging import Page, page_of


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
        .where(BillRow.account_id.in_(credit_files.visible_account_ids(subject_id, utilities)))
        .order_by(BillRow.due_on.desc(), BillRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    lines = [BillLine(*row[:8], paid=row.paid or Decimal("0.00")) for row in rows]
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
        .where(BillRow.account_id.in_(credit_files.visible_account_ids(subject_id, utilities)))
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
        .where(IncidentRow.account_id.in_(credit_files.visible_account_ids(subject_id, utilities)))
        .order_by(IncidentRow.occurred_on.desc(), IncidentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([IncidentLine(*row) for row in rows], offset, limit)


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
            .where(
                ReminderRow.account_id.in_(credit_files.visible_account_ids(subject_id, utilities))
            )
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
