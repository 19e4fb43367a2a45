"""Measures granted: written once each, read for the credit file and the statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from utilcredit.customers.tables import SubjectRow
from utilcredit.incentives.tables import MeasureGrantRow

_G = MeasureGrantRow


@dataclass(frozen=True, slots=True)
class GrantLine:
    id: int
    subject_code: str
    utility: str
    policy_key: str
    measure_key: str
    basis: str
    granted_on: dt.date
    granted_by: str
    application_id: int | None
    note: str | None


_COLUMNS: tuple[Any, ...] = (
    _G.id,
    SubjectRow.code,
    _G.utility,
    _G.policy_key,
    _G.measure_key,
    _G.basis,
    _G.granted_on,
    _G.granted_by,
    _G.application_id,
    _G.note,
)


def insert_grant(connection: Connection, values: Mapping[str, Any]) -> int:
    new_id: int = connection.execute(insert(_G).values(**values).returning(_G.id)).scalar_one()
    return new_id


def grants_of_subject(
    connection: Connection, subject_id: int, utilities: Collection[str]
) -> list[GrantLine]:
    rows = connection.execute(
        select(*_COLUMNS)
        .join(SubjectRow, SubjectRow.id == _G.subject_id)
        .where(_G.subject_id == subject_id, _G.utility.in_(sorted(utilities)))
        .order_by(_G.granted_on.desc(), _G.id.desc())
    )
    return [GrantLine(*row) for row in rows]


def grant_counts(
    connection: Connection, utilities: Collection[str], start: dt.date, end: dt.date
) -> dict[tuple[str, str], int]:
    """(policy, measure) → grants in ``[start, end]``, for the statistics."""
    rows = connection.execute(
        select(_G.policy_key, _G.measure_key, func.count())
        .where(_G.utility.in_(sorted(utilities)), _G.granted_on >= start, _G.granted_on <= end)
        .group_by(_G.policy_key, _G.measure_key)
    )
    return {(row[0], row[1]): int(row[2]) for row in rows}
