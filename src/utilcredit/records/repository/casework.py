"""What every case of the register shares (records, objections, repairs; other domains' cases
keep their events here too): the one write of a state, the events, the attachments, and the
table and paged list of one kind of case. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Table, and_, insert, or_, select, update

from utilcredit.customers.model import Utility
from utilcredit.paging import Page, page_of
from utilcredit.records.tables import (
    CaseAttachmentRow,
    CaseEventRow,
    DishonestyRecordRow,
    ObjectionRow,
    RepairRow,
)

CASE_TABLES: dict[str, Table] = {
    "record": DishonestyRecordRow.__table__,  # type: ignore[dict-item]
    "objection": ObjectionRow.__table__,  # type: ignore[dict-item]
    "repair": RepairRow.__table__,  # type: ignore[dict-item]
}

_L = TypeVar("_L")


# ---- the one write of a state: compare-and-set ---------------------------------------------


def set_status(
    connection: Connection,
    case_type: str,
    case_id: int,
    *,
    expected: str,
    new: str,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Move a case from ``expected`` to ``new``; False when it is no longer in ``expected``."""
    table = CASE_TABLES[case_type]
    result = connection.execute(
        update(table)
        .where(table.c.id == case_id, table.c.status == expected)
        .values(status=new, **(values or {}))
    )
    return result.rowcount == 1


# ---- events -----------------------------------------------------------------------------------


def insert_events(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection.execute(insert(CaseEventRow), list(rows))


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    case_type: str
    case_id: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    on: dt.date
    at: dt.datetime
    reason: str | None


_EVENT_COLUMNS = [getattr(CaseEventRow, f.name) for f in fields(CaseEvent)]


def _events(
    connection: Connection, condition: ColumnElement[bool], limit: int | None = None
) -> list[CaseEvent]:
    rows = connection.execute(
        select(*_EVENT_COLUMNS).where(condition).order_by(CaseEventRow.id).limit(limit)
    )
    return [CaseEvent(**row._mapping) for row in rows]


def events_of(connection: Connection, cases: Collection[tuple[str, int]]) -> list[CaseEvent]:
    if not cases:
        return []
    return _events(
        connection,
        or_(*(and_(CaseEventRow.case_type == t, CaseEventRow.case_id == i) for t, i in cases)),
    )


def events_after(connection: Connection, after_id: int, limit: int = 1000) -> list[CaseEvent]:
    """The register's domain events in order (for notices and the platform exchange)."""
    return _events(connection, CaseEventRow.id > after_id, limit)


# ---- one kind of case: its table and its lines ----------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Which objections or repairs a list shows: the reader's utilities, statuses, overdue."""

    utilities: Collection[Utility]
    statuses: Collection[str] = ()
    overdue_on: dt.date | None = None
    offset: int = 0
    limit: int = 50


class CaseRows(Generic[_L]):
    """The mapped table of one kind of case (or attachment) and the line read from it, whose
    fields name its columns."""

    def __init__(self, row: Any, line: Callable[..., _L]) -> None:
        self.row = row
        self.line = line
        self.columns = [getattr(row, f.name) for f in fields(line)]  # type: ignore[arg-type]

    def insert(self, connection: Connection, values: Mapping[str, Any]) -> int:
        return int(
            connection.execute(
                insert(self.row).values(**values).returning(self.row.id)
            ).scalar_one()
        )

    def get(self, connection: Connection, row_id: int) -> _L | None:
        row = connection.execute(select(*self.columns).where(self.row.id == row_id)).one_or_none()
        return None if row is None else self.line(*row)

    def where(self, connection: Connection, *condition: ColumnElement[bool]) -> list[_L]:
        """The lines meeting ``condition``, oldest first."""
        rows = connection.execute(select(*self.columns).where(*condition).order_by(self.row.id))
        return [self.line(*row) for row in rows]

    def page(
        self,
        connection: Connection,
        query: CaseQuery,
        overdue: Callable[[dt.date], ColumnElement[bool]],
        order: Sequence[Any],
    ) -> Page[_L]:
        row = self.row
        statement = select(*self.columns).where(
            row.utility.in_(sorted(u.value for u in query.utilities))
        )
        if query.statuses:
            statement = statement.where(row.status.in_(sorted(query.statuses)))
        if query.overdue_on is not None:
            statement = statement.where(overdue(query.overdue_on))
        rows = connection.execute(
            statement.order_by(*order).offset(query.offset).limit(query.limit + 1)
        )
        return page_of([self.line(*r) for r in rows], query.offset, query.limit)


# ---- attachments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttachmentLine:
    id: int
    case_type: str
    case_id: int
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


_ATTACHMENTS = CaseRows(CaseAttachmentRow, AttachmentLine)


def insert_attachment(connection: Connection, **values: Any) -> int:
    return _ATTACHMENTS.insert(connection, values)


def attachments_of(connection: Connection, case_type: str, case_id: int) -> list[AttachmentLine]:
    return _ATTACHMENTS.where(
        connection, CaseAttachmentRow.case_type == case_type, CaseAttachmentRow.case_id == case_id
    )


def get_attachment(connection: Connection, attachment_id: int) -> AttachmentLine | None:
    return _ATTACHMENTS.get(connection, attachment_id)
