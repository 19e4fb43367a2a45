"""The queries of objections: a subject's challenge of a record, decided by a reviewer.
Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, update

from utilcredit.paging import Page
from utilcredit.records.repository.casework import CaseQuery, CaseRows
from utilcredit.records.tables import ObjectionRow


@dataclass(frozen=True, slots=True)
class ObjectionLine:
    id: int
    record_id: int
    utility: str
    status: str
    reason: str
    filed_by: str
    filed_on: dt.date
    due_on: dt.date
    decided_by: str | None
    decided_on: dt.date | None
    decision_note: str | None
    corrected_record_id: int | None


_OBJECTIONS = CaseRows(ObjectionRow, ObjectionLine)


def objection_overdue(day: dt.date) -> ColumnElement[bool]:
    """An objection still filed after its due date."""
    return and_(ObjectionRow.status == "filed", ObjectionRow.due_on < day)


def insert_objection(connection: Connection, **values: Any) -> int:
    return _OBJECTIONS.insert(connection, values)


def set_corrected_record(connection: Connection, objection_id: int, record_id: int) -> None:
    connection.execute(
        update(ObjectionRow)
        .where(ObjectionRow.id == objection_id)
        .values(corrected_record_id=record_id)
    )


def get_objection(connection: Connection, objection_id: int) -> ObjectionLine | None:
    return _OBJECTIONS.get(connection, objection_id)


def objections_of(connection: Connection, record_id: int) -> list[ObjectionLine]:
    return _OBJECTIONS.where(connection, ObjectionRow.record_id == record_id)


def list_objections(connection: Connection, query: CaseQuery) -> Page[ObjectionLine]:
    """Open ones first by due date; overdue = still filed after its due date."""
    return _OBJECTIONS.page(
        connection, query, objection_overdue, (ObjectionRow.due_on, ObjectionRow.id)
    )
