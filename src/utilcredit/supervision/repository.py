"""The queries of the monthly report: each counts one thing of one utility in one month, in the
store (a GROUP BY), never by loading rows. Takes a Connection; never commits.

Dates (``filed_on``, ``made_on`` …) are Shanghai calendar days already; timestamps are UTC, so
they are compared with the month's bounds in UTC (:meth:`Month.start_at`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, distinct, func, select

from utilcredit.customers.model import CommitmentStatus
from utilcredit.customers.tables import CommitmentRow
from utilcredit.exchange.tables import ExchangeBatchRow, ReturnedRowRow
from utilcredit.notices.model import NoticeStatus
from utilcredit.notices.tables import NoticeAttemptRow, NoticeRow
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import RunStatus
from utilcredit.rating.runs.tables import RatingResultRow, RatingRunRow
from utilcredit.records.model import ObjectionStatus
from utilcredit.records.tables import (
    CaseEventRow,
    DishonestyRecordRow,
    ObjectionRow,
    RepairRow,
)
from utilcredit.supervision.model import Month, RunRef

# ---- rating runs -----------------------------------------------------------------------------


def last_run(
    connection: Connection, utility: str, month: Month, policy_key: str | None = None
) -> RunRef | None:
    """The month's last complete run of the utility (of ``policy_key`` when given): the latest
    as-of day in the month, the latest run of that day."""
    query = (
        select(
            RatingRunRow.id,
            RatingRunRow.policy_key,
            RatingRunRow.policy_version,
            RatingRunRow.as_of,
        )
        .where(
            RatingRunRow.utility == utility,
            RatingRunRow.status == RunStatus.COMPLETE.value,
            RatingRunRow.as_of >= month.first_day,
            RatingRunRow.as_of < month.next_first_day,
        )
        .order_by(RatingRunRow.as_of.desc(), RatingRunRow.id.desc())
        .limit(1)
    )
    if policy_key is not None:
        query = query.where(RatingRunRow.policy_key == policy_key)
    row = connection.execute(query).first()
    return None if row is None else RunRef(row.id, row.policy_key, row.policy_version, row.as_of)


def level_counts(connection: Connection, run_id: int) -> dict[Level, int]:
    rows = connection.execute(
        select(RatingResultRow.level, func.count())
        .where(RatingResultRow.run_id == run_id)
        .group_by(RatingResultRow.level)
    )
    return {Level(level): int(n) for level, n in rows}


# ---- dishonesty records, objections, repairs --------------------------------------------------


def records_by_kind_and_class(
    connection: Connection, utility: str, month: Month
) -> list[tuple[str, str, int]]:
    """Records determined in the month; a corrected copy (``corrects_id``) is the same record
    made right, not a new one, so it is left out."""
    rows = connection.execute(
        select(DishonestyRecordRow.kind, DishonestyRecordRow.record_class, func.count())
        .where(
            DishonestyRecordRow.utility == utility,
            DishonestyRecordRow.corrects_id.is_(None),
            DishonestyRecordRow.determined_on >= month.first_day,
            DishonestyRecordRow.determined_on < month.next_first_day,
        )
        .group_by(DishonestyRecordRow.kind, DishonestyRecordRow.record_class)
    )
    return [(kind, record_class, int(n)) for kind, record_class, n in rows]


@dataclass(frozen=True, slots=True)
class CaseCounts:
    filed: int
    decided: int
    decided_on_time: int
    withdrawn: int


def objection_counts(connection: Connection, utility: str, month: Month) -> CaseCounts:
    """Objections filed in the month; decided in the month (upheld, corrected or removed: a
    withdrawal is not a decision) and of those, decided by their due day."""
    o = ObjectionRow
    in_month = and_(o.decided_on >= month.first_day, o.decided_on < month.next_first_day)
    decided = o.status.in_(
        [ObjectionStatus.UPHELD, ObjectionStatus.CORRECTED, ObjectionStatus.REMOVED]
    )
    row = connection.execute(
        select(
            _count(and_(o.filed_on >= month.first_day, o.filed_on < month.next_first_day)),
            _count(and_(in_month, decided)),
            _count(and_(in_month, decided, o.decided_on <= o.due_on)),
            _count(and_(in_month, o.status == ObjectionStatus.WITHDRAWN)),
        ).where(o.utility == utility)
    ).one()
    return CaseCounts(*(int(n or 0) for n in row))


def repair_counts(connection: Connection, utility: str, month: Month) -> CaseCounts:
    """Repair applications submitted in the month; decided (approved or rejected) in the month
    and of those, decided by their decision's due day (set when the application was accepted).
    Withdrawals are counted by the day of their withdrawal step (the history)."""
    r = RepairRow
    in_month = and_(r.decided_on >= month.first_day, r.decided_on < month.next_first_day)
    decided = r.decision.is_not(None)
    row = connection.execute(
        select(
            _count(and_(r.submitted_on >= month.first_day, r.submitted_on < month.next_first_day)),
            _count(and_(in_month, decided)),
            _count(and_(in_month, decided, r.decided_on <= r.decide_due_on)),
        ).where(r.utility == utility)
    ).one()
    withdrawn = _repairs_withdrawn(connection, utility, month)
    filed, decided_n, on_time = (int(n or 0) for n in row)
    return CaseCounts(filed, decided_n, on_time, withdrawn)


def _repairs_withdrawn(connection: Connection, utility: str, month: Month) -> int:
    return int(
        connection.execute(
            select(func.count(distinct(CaseEventRow.case_id))).where(
                CaseEventRow.case_type == "repair",
                CaseEventRow.utility == utility,
                CaseEventRow.action == "withdraw",
                CaseEventRow.on >= month.first_day,
                CaseEventRow.on < month.next_first_day,
            )
        ).scalar_one()
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """``count(*) FILTER (WHERE condition)`` the portable way (SQLite and PostgreSQL)."""
    return func.sum(case((condition, 1), else_=0))


# ---- commitments ------------------------------------------------------------------------------


def commitment_counts(connection: Connection, utility: str, month: Month) -> tuple[int, int, int]:
    """Made in the month (承诺作出日期); fulfilled and breached with their status date in the
    month (承诺履行状态认定日期)."""
    c = CommitmentRow
    status_in_month = and_(c.status_on >= month.first_day, c.status_on < month.next_first_day)
    row = connection.execute(
        select(
            _count(and_(c.made_on >= month.first_day, c.made_on < month.next_first_day)),
            _count(and_(status_in_month, c.status == CommitmentStatus.FULFILLED)),
            _count(and_(status_in_month, c.status == CommitmentStatus.BREACHED)),
        ).where(c.utility == utility)
    ).one()
    made, fulfilled, breached = (int(n or 0) for n in row)
    return made, fulfilled, breached


# ---- notices ----------------------------------------------------------------------------------


def notice_counts(
    connection: Connection, utility: str, month: Month
) -> dict[str, tuple[int, int, int]]:
    """Per channel: notices sent in the month, delivered in the month, and notices with a failed
    or given-up attempt in the month (each notice once)."""
    n = NoticeRow
    start, end = month.start_at(), month.end_at()
    found: dict[str, list[int]] = {}
    sent = connection.execute(
        select(
            n.channel,
            _count(and_(n.sent_at >= start, n.sent_at < end)),
            _count(and_(n.delivered_at >= start, n.delivered_at < end)),
        )
        .where(n.utility == utility)
        .group_by(n.channel)
    )
    for channel, s, d in sent:
        found.setdefault(channel, [0, 0, 0])[:2] = [int(s or 0), int(d or 0)]
    a = NoticeAttemptRow
    failed = connection.execute(
        select(n.channel, func.count(distinct(a.notice_id)))
        .join(n, n.id == a.notice_id)
        .where(
            n.utility == utility,
            a.to_status.in_([NoticeStatus.FAILED, NoticeStatus.DEAD]),
            a.at >= start,
            a.at < end,
        )
        .group_by(n.channel)
    )
    for channel, f in failed:
        found.setdefault(channel, [0, 0, 0])[2] = int(f)
    return {channel: (v[0], v[1], v[2]) for channel, v in found.items()}


# ---- submission batches -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchCounts:
    id: int
    kind: str
    utilities: str
    status: str
    sent_at: dt.datetime
    rows: int
    returned_rows: int | None
    distinct_returned: int


def batches_sent(connection: Connection, utility: str, month: Month) -> Iterator[BatchCounts]:
    """Batches sent in the month whose utilities include ``utility``, with the distinct rows of
    their returned-error files."""
    b = ExchangeBatchRow
    returned = (
        select(
            ReturnedRowRow.batch_id.label("batch_id"),
            func.count(distinct(ReturnedRowRow.row_no)).label("n"),
        )
        .group_by(ReturnedRowRow.batch_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            b.id,
            b.kind,
            b.utilities,
            b.status,
            b.sent_at,
            b.rows,
            b.returned_rows,
            func.coalesce(returned.c.n, 0),
        )
        .outerjoin(returned, returned.c.batch_id == b.id)
        .where(b.sent_at >= month.start_at(), b.sent_at < month.end_at())
        .order_by(b.sent_at, b.id)
    )
    for row in rows:
        # "power,water": a handful of batches a month, so the list is split here, not in SQL.
        if utility in row.utilities.split(","):
            yield BatchCounts(
                row.id,
                row.kind,
                row.utilities,
                row.status,
                _aware(row.sent_at),
                int(row.rows or 0),
                None if row.returned_rows is None else int(row.returned_rows),
                int(row[7]),
            )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC; PostgreSQL aware datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
