"""Queries of what came back from the platform: returned rows and their corrections, error
rates, credit checks and the reports they stored. A repository beside ``repository.py`` (the
batches' own); nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.exchange.model import CreditCheck, ReturnedRow, ReturnedStatus
from utilcredit.exchange.returns import ReturnedError
from utilcredit.exchange.tables import CreditCheckRow, ExchangeBatchRow, ReturnedRowRow
from utilcredit.records.tables import DishonestyRecordRow

_R = ReturnedRowRow
_B = ExchangeBatchRow
_C = CreditCheckRow
_RETURNED_COLUMNS = [getattr(_R, f.name) for f in fields(ReturnedRow)]
#: Keys per IN list: far under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500

# ---- returned rows ----------------------------------------------------------------------


def insert_returned(
    connection: Connection, batch_id: int, errors: Iterable[ReturnedError], keys: list[str]
) -> int:
    values = [
        {
            "batch_id": batch_id,
            "row_no": error.row,
            "source_key": keys[error.row - 1],
            "error_code": error.code,
            "message": error.message,
            "status": ReturnedStatus.OPEN,
        }
        for error in errors
    ]
    if values:
        connection.execute(insert(_R), values)
    return len(values)


def returned_rows(
    connection: Connection,
    *,
    batch_id: int | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> list[ReturnedRow]:
    query = select(*_RETURNED_COLUMNS).order_by(_R.batch_id, _R.row_no, _R.id).limit(limit)
    if batch_id is not None:
        query = query.where(_R.batch_id == batch_id)
    if status is not None:
        query = query.where(_R.status == status)
    return [ReturnedRow(*row) for row in connection.execute(query)]


def returned_row(connection: Connection, row_id: int) -> ReturnedRow | None:
    row = connection.execute(select(*_RETURNED_COLUMNS).where(_R.id == row_id)).one_or_none()
    return ReturnedRow(*row) if row else None


def set_returned_status(
    connection: Connection,
    row_ids: Collection[int],
    old: ReturnedStatus,
    new: ReturnedStatus,
    **values: Any,
) -> int:
    """Compare-and-set over the rows still in ``old``; the number moved."""
    moved = 0
    ids = sorted(row_ids)
    for start in range(0, len(ids), _CHUNK):
        done = connection.execute(
            update(_R)
            .where(_R.id.in_(ids[start : start + _CHUNK]), _R.status == old)
            .values(status=new, **values)
        )
        moved += done.rowcount
    return moved


def open_returns_of_kind(
    connection: Connection, catalog: str, kind: str
) -> list[tuple[int, str, dt.datetime]]:
    """(returned row id, source key, the returning batch's window end) of every open row."""
    query = (
        select(_R.id, _R.source_key, _B.until)
        .join(_B, _B.id == _R.batch_id)
        .where(_B.catalog == catalog, _B.kind == kind, _R.status == ReturnedStatus.OPEN)
        .order_by(_R.id)
    )
    return [(row.id, row.source_key, row.until) for row in connection.execute(query)]


def corrected_of_kind(connection: Connection, catalog: str, kind: str) -> dict[str, list[int]]:
    """Source key → ids of the corrected rows waiting to be resubmitted."""
    query = (
        select(_R.id, _R.source_key)
        .join(_B, _B.id == _R.batch_id)
        .where(_B.catalog == catalog, _B.kind == kind, _R.status == ReturnedStatus.CORRECTED)
    )
    found: dict[str, list[int]] = {}
    for row in connection.execute(query):
        found.setdefault(row.source_key, []).append(row.id)
    return found


# ---- has a returned row's source changed? -------------------------------------------------


def changed_since(connection: Connection, keys: Collection[str], since: dt.datetime) -> set[str]:
    """The keys among ``keys`` whose source record — or the subject, account, bill or
    payments it is written from — changed at or after ``since``."""
    by_prefix: dict[str, dict[str, str]] = {}
    for key in keys:
        prefix, _, rest = key.partition(":")
        ident = rest.rsplit(":", 1)[0] if prefix == "arrears" else rest
        by_prefix.setdefault(prefix, {})[ident] = key
    changed: set[str] = set()
    for prefix, idents in by_prefix.items():
        build = _CHANGED.get(prefix)
        if build is None:
            continue
        names = sorted(idents)
        for start in range(0, len(names), _CHUNK):
            query = build(names[start : start + _CHUNK], since)
            changed.update(idents[str(ident)] for ident in connection.execute(query).scalars())
    return changed


def _newer(since: dt.datetime, *stamps: Any) -> ColumnElement[bool]:
    return or_(*(stamp >= since for stamp in stamps))


def _payments_changed(nos: list[str], since: dt.datetime) -> Select[Any]:
    return (
        select(PaymentRow.payment_no)
        .join(BillRow, BillRow.id == PaymentRow.bill_id)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(
            PaymentRow.payment_no.in_(nos),
            _newer(
                since,
                PaymentRow.updated_at,
                BillRow.updated_at,
                AccountRow.updated_at,
                SubjectRow.updated_at,
            ),
        )
    )


def _arrears_changed(account_nos: list[str], since: dt.datetime) -> Select[Any]:
    bills = exists().where(BillRow.account_id == AccountRow.id, BillRow.updated_at >= since)
    payments = exists().where(
        BillRow.account_id == AccountRow.id,
        PaymentRow.bill_id == BillRow.id,
        PaymentRow.updated_at >= since,
    )
    return (
        select(AccountRow.account_no)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(
            AccountRow.account_no.in_(account_nos),
            or_(_newer(since, AccountRow.updated_at, SubjectRow.updated_at), bills, payments),
        )
    )


def _incidents_changed(nos: list[str], since: dt.datetime) -> Select[Any]:
    return (
        select(IncidentRow.incident_no)
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(
            IncidentRow.incident_no.in_(nos),
            _newer(since, IncidentRow.updated_at, AccountRow.updated_at, SubjectRow.updated_at),
        )
    )


def _commitments_changed(codes: list[str], since: dt.datetime) -> Select[Any]:
    return (
        select(CommitmentRow.code)
        .join(SubjectRow, SubjectRow.id == CommitmentRow.subject_id)
        .where(
            CommitmentRow.code.in_(codes),
            _newer(since, CommitmentRow.updated_at, SubjectRow.updated_at),
        )
    )


def _records_changed(ids: list[str], since: dt.datetime) -> Select[Any]:
    r = DishonestyRecordRow
    numbers = [int(i) for i in ids if i.isdigit()]
    return (
        select(cast(r.id, String))
        .join(SubjectRow, SubjectRow.id == r.subject_id)
        .where(r.id.in_(numbers), _newer(since, r.updated_at, SubjectRow.updated_at))
    )


_CHANGED = {
    "payment": _payments_changed,
    "arrears": _arrears_changed,
    "incident": _incidents_changed,
    "commitment": _commitments_changed,
    "record": _records_changed,
}


# ---- error rates --------------------------------------------------------------------------


def sent_between(
    connection: Connection, start: dt.datetime, end: dt.datetime, hidden: Collection[str] = ()
) -> list[tuple[str, str, int, int | None]]:
    """(kind, status, rows, returned rows) of every batch sent in ``[start, end)``;
    ``hidden``: utilities whose batches are left out (a batch holding any)."""
    query = select(_B.kind, _B.status, _B.rows, _B.returned_rows).where(
        _B.sent_at >= start, _B.sent_at < end, *_shown(hidden)
    )
    return [(r.kind, r.status, r.rows, r.returned_rows) for r in connection.execute(query)]


def error_codes_between(
    connection: Connection, start: dt.datetime, end: dt.datetime, hidden: Collection[str] = ()
) -> list[tuple[str, int]]:
    """Returned rows per error code, most frequent first, of the batches sent in the window."""
    count = func.count(_R.id)
    query = (
        select(_R.error_code, count)
        .join(_B, _B.id == _R.batch_id)
        .where(_B.sent_at >= start, _B.sent_at < end, *_shown(hidden))
        .group_by(_R.error_code)
        .order_by(count.desc(), _R.error_code)
    )
    return [(code, int(n)) for code, n in connection.execute(query)]


def _shown(hidden: Collection[str]) -> list[ColumnElement[bool]]:
    """Batches holding none of the ``hidden`` utilities (as ``repository.batches``)."""
    return [_B.utilities.not_like(f"%,{utility},%") for utility in sorted(hidden)]


# ---- credit checks and the reports they store ---------------------------------------------

_CHECK_COLUMNS = [
    getattr(_C, f.name) if f.name != "subject_code" else SubjectRow.code
    for f in fields(CreditCheck)
]


def upsert_report(connection: Connection, subject_id: int, values: dict[str, Any]) -> int:
    """The credit file's report of this subject, source and issue day (one each, as the
    import keeps it): written, or brought up to date."""
    key = and_(
        CreditReportRow.subject_id == subject_id,
        CreditReportRow.source == values["source"],
        CreditReportRow.issued_on == values["issued_on"],
    )
    found = connection.execute(select(CreditReportRow.id).where(key)).scalar_one_or_none()
    if found is not None:
        connection.execute(
            update(CreditReportRow).where(CreditReportRow.id == found).values(values)
        )
        return int(found)
    inserted = insert(CreditReportRow).values(subject_id=subject_id, **values)
    return int(connection.execute(inserted.returning(CreditReportRow.id)).scalar_one())


def insert_check(connection: Connection, **values: Any) -> int:
    return int(connection.execute(insert(_C).values(**values).returning(_C.id)).scalar_one())


def check_row(connection: Connection, check_id: int) -> CreditCheck | None:
    query = select(*_CHECK_COLUMNS).join(SubjectRow, SubjectRow.id == _C.subject_id)
    row = connection.execute(query.where(_C.id == check_id)).one_or_none()
    return CreditCheck(*row) if row else None


def check_rows(
    connection: Connection,
    *,
    subject_id: int | None = None,
    unused: bool = False,
    utilities: Collection[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CreditCheck]:
    query = (
        select(*_CHECK_COLUMNS)
        .join(SubjectRow, SubjectRow.id == _C.subject_id)
        .order_by(_C.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if subject_id is not None:
        query = query.where(_C.subject_id == subject_id)
    if unused:
        query = query.where(_C.used_for.is_(None), _C.status == "done")
    if utilities is not None:
        query = query.where(_C.utility.in_(sorted(utilities)))
    return [CreditCheck(*row) for row in connection.execute(query)]


def set_use(connection: Connection, check_id: int, **values: Any) -> bool:
    """Record the use once: False when it was recorded meanwhile."""
    done = connection.execute(
        update(_C).where(_C.id == check_id, _C.used_for.is_(None)).values(**values)
    )
    return done.rowcount == 1


def utilities_of(connection: Connection, subject_id: int) -> list[str]:
    query = select(AccountRow.utility).where(AccountRow.subject_id == subject_id).distinct()
    return sorted(connection.execute(query).scalars())
