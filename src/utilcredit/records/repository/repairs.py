"""The queries of repairs: a subject's application to have a record's publication stopped,
accepted, decided and closed in turn. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_

from utilcredit.paging import Page
from utilcredit.records.repository.casework import CaseQuery, CaseRows
from utilcredit.records.tables import RepairRow

OPEN_STATUSES = ("submitted", "accepted", "decided")


@dataclass(frozen=True, slots=True)
class RepairLine:
    id: int
    record_id: int
    utility: str
    status: str
    statement: str
    commitment_signed_on: dt.date | None
    conditions: list[dict[str, Any]]
    submitted_by: str
    submitted_on: dt.date
    accept_due_on: dt.date
    accepted_by: str | None
    accepted_on: dt.date | None
    decide_due_on: dt.date | None
    decided_by: str | None
    decided_on: dt.date | None
    decision: str | None
    decision_note: str | None
    close_due_on: dt.date | None
    closed_by: str | None
    closed_on: dt.date | None


_REPAIRS = CaseRows(RepairRow, RepairLine)


def repair_overdue(day: dt.date) -> ColumnElement[bool]:
    """A repair past the deadline of the step it waits for."""
    return or_(
        and_(RepairRow.status == "submitted", RepairRow.accept_due_on < day),
        and_(RepairRow.status == "accepted", RepairRow.decide_due_on < day),
        and_(RepairRow.status == "decided", RepairRow.close_due_on < day),
    )


def insert_repair(connection: Connection, **values: Any) -> int:
    return _REPAIRS.insert(connection, values)


def get_repair(connection: Connection, repair_id: int) -> RepairLine | None:
    return _REPAIRS.get(connection, repair_id)


def repairs_of(connection: Connection, record_id: int) -> list[RepairLine]:
    return _REPAIRS.where(connection, RepairRow.record_id == record_id)


def list_repairs(connection: Connection, query: CaseQuery) -> Page[RepairLine]:
    """Newest first; overdue = past the deadline of the step it waits for."""
    return _REPAIRS.page(connection, query, repair_overdue, (RepairRow.id.desc(),))
