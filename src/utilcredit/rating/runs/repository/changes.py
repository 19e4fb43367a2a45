"""What changed in the credit file, for dynamic re-rating: the data watermark a run records,
and the subjects that may have moved since a run — by data written after its watermark, or by
time between two as-of dates. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, union

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
from utilcredit.importing.tables import ImportRunRow
from utilcredit.rating.runs.repository.run_headers import as_aware
from utilcredit.rating.sql import incremental

CREDIT_FILE_TABLES: tuple[Any, ...] = (
    SubjectRow,
    AccountRow,
    BillRow,
    PaymentRow,
    IncidentRow,
    ReminderRow,
    CreditReportRow,
    CommitmentRow,
)

# An import run still ``running`` this long after the newest change is taken as a dead process
# (killed mid-file; its rows were rolled back), not as an import about to commit.
STALE_IMPORT = dt.timedelta(days=1)


def data_watermark(connection: Connection) -> tuple[dt.datetime | None, int | None]:
    """(watermark, latest finished import run id) at this moment.

    The watermark is the instant before which every credit-file change is visible: the newest
    ``updated_at`` over the credit-file tables, moved back to the start of any import still in
    flight (on PostgreSQL ``now()`` is a transaction's start, so an import committing later can
    carry older timestamps than rows already visible).
    """
    newest: dt.datetime | None = None
    for table in CREDIT_FILE_TABLES:
        value = as_aware(connection.execute(select(func.max(table.updated_at))).scalar())
        if value is not None and (newest is None or value > newest):
            newest = value
    import_run_id = connection.execute(
        select(func.max(ImportRunRow.id)).where(ImportRunRow.status == "done")
    ).scalar()
    if newest is not None:
        in_flight = as_aware(
            connection.execute(
                select(func.min(ImportRunRow.started_at)).where(
                    ImportRunRow.status == "running",
                    ImportRunRow.started_at > newest - STALE_IMPORT,
                )
            ).scalar()
        )
        if in_flight is not None and in_flight < newest:
            newest = in_flight
    return newest, import_run_id


def changed_subject_ids(connection: Connection, since: dt.datetime) -> set[int]:
    """Subjects with any credit-file row updated at or after ``since`` (all utilities)."""
    parts = [
        select(SubjectRow.id).where(SubjectRow.updated_at >= since),
        select(AccountRow.subject_id).where(AccountRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .where(BillRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .join(PaymentRow, PaymentRow.bill_id == BillRow.id)
        .where(PaymentRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(IncidentRow, IncidentRow.account_id == AccountRow.id)
        .where(IncidentRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(ReminderRow, ReminderRow.account_id == AccountRow.id)
        .where(ReminderRow.updated_at >= since),
        select(CreditReportRow.subject_id).where(CreditReportRow.updated_at >= since),
        select(CommitmentRow.subject_id).where(CommitmentRow.updated_at >= since),
    ]
    return set(connection.execute(union(*parts)).scalars())


def date_moved_subject_ids(
    connection: Connection,
    utility: str,
    entering: tuple[dt.date, dt.date],
    leaving: Sequence[tuple[dt.date, dt.date]],
    settlements_leaving: Sequence[tuple[dt.date, dt.date]] = (),
    *,
    commitments: bool = False,
) -> set[int]:
    """Subjects of a utility with a record whose date enters or leaves a window between two
    as-of dates (:func:`utilcredit.rating.sql.incremental.moved_by_dates`)."""
    query = incremental.moved_by_dates(
        utility, entering, leaving, settlements_leaving, commitments=commitments
    )
    return set(connection.execute(query).scalars())


def oldest_unpaid_due(connection: Connection, utility: str, at: dt.date) -> dict[int, dt.date]:
    """Per subject of a utility, the due date of its oldest bill overdue and unpaid at ``at``
    (:func:`utilcredit.rating.sql.incremental.oldest_unpaid_due`)."""
    query = incremental.oldest_unpaid_due(utility, at)
    return {int(row[0]): row[1] for row in connection.execute(query)}
