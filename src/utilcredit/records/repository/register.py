"""The queries of the register's records: writing them with their evidence, reading, listing
and filtering them, the ones the calendar moves, and the dashboard's numbers. Takes a
Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.paging import Page, page_of
from utilcredit.records.repository.objections import objection_overdue
from utilcredit.records.repository.repairs import OPEN_STATUSES, repair_overdue
from utilcredit.records.tables import (
    DishonestyRecordRow,
    ObjectionRow,
    RecordEvidenceRow,
    RepairRow,
)

_R = DishonestyRecordRow


# ---- derivation keys and candidates ---------------------------------------------------------


def keys_with_prefix(connection: Connection, prefix: str) -> set[str]:
    rows = connection.execute(
        select(_R.derivation_key).where(_R.derivation_key.startswith(prefix, autoescape=True))
    )
    return {row.derivation_key for row in rows}


def existing_keys(connection: Connection, keys: Collection[str]) -> set[str]:
    rows = connection.execute(select(_R.derivation_key).where(_R.derivation_key.in_(sorted(keys))))
    return {row.derivation_key for row in rows}


def candidates_of(connection: Connection, policy_key: str) -> list[tuple[int, str, str, dt.date]]:
    """(id, derivation key, status, cause date) of the policy's candidates."""
    rows = connection.execute(
        select(_R.id, _R.derivation_key, _R.status, _R.cause_on).where(
            _R.policy_key == policy_key, _R.status == "candidate"
        )
    )
    return [(row.id, row.derivation_key, row.status, row.cause_on) for row in rows]


# ---- writing records with their evidence ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    evidence_type: str  # bill | payment | reminder | incident | commitment
    evidence_id: int
    label: str
    on: dt.date


def insert_record(
    connection: Connection, values: Mapping[str, Any], evidence: Iterable[Evidence]
) -> int:
    return insert_records(connection, [values], [list(evidence)])[0]


def _by_column(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute names to column names (``amount`` is stored as ``amount_fen``): a Core
    executemany takes column names and would silently drop the others."""
    attributes = DishonestyRecordRow.__mapper__.attrs
    return {attributes[key].columns[0].key: value for key, value in values.items()}


def insert_records(
    connection: Connection,
    values: Sequence[Mapping[str, Any]],
    evidence: Sequence[Iterable[Evidence]],
) -> list[int]:
    """New records with their evidence, in a few statements; their ids in order."""
    if not values:
        return []
    ids = [
        int(row.id)
        for row in connection.execute(
            insert(DishonestyRecordRow).returning(
                DishonestyRecordRow.id, sort_by_parameter_order=True
            ),
            [_by_column(row) for row in values],
        )
    ]
    rows = [
        {
            "record_id": record_id,
            "evidence_type": e.evidence_type,
            "evidence_id": e.evidence_id,
            "label": e.label,
            "on": e.on,
        }
        for record_id, items in zip(ids, evidence, strict=True)
        for e in {(e.evidence_type, e.evidence_id): e for e in items}.values()
    ]
    if rows:
        connection.execute(insert(RecordEvidenceRow), rows)
    return ids


def evidence_of(connection: Connection, record_id: int) -> list[Evidence]:
    rows = connection.execute(
        select(*(getattr(RecordEvidenceRow, f.name) for f in fields(Evidence)))
        .where(RecordEvidenceRow.record_id == record_id)
        .order_by(RecordEvidenceRow.on, RecordEvidenceRow.evidence_type, RecordEvidenceRow.label)
    )
    return [Evidence(*row) for row in rows]


# ---- reading records ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordLine:
    id: int
    subject_id: int
    subject_code: str
    subject_kind: str
    subject_name: str
    utility: str
    kind: str
    record_class: str
    status: str
    policy_key: str
    policy_version: str
    rule_id: str
    rule_text: str
    cause_on: dt.date
    amount: Decimal | None
    summary: str
    determining_unit: str | None
    determining_unit_code: str | None
    determined_on: dt.date | None
    regime: str | None
    publish_from: dt.date | None
    publish_until: dt.date | None
    repairable_from: dt.date | None
    publication_stopped_on: dt.date | None
    corrects_id: int | None
    derivation_key: str


_RECORD_COLUMNS = [
    _R.id,
    _R.subject_id,
    SubjectRow.code.label("subject_code"),
    SubjectRow.kind.label("subject_kind"),
    SubjectRow.name.label("subject_name"),
    *(
        getattr(_R, f.name)
        for f in fields(RecordLine)
        if f.name not in {"id", "subject_id", "subject_code", "subject_kind", "subject_name"}
    ),
]


def _record_select() -> Any:
    return select(*_RECORD_COLUMNS).join(SubjectRow, SubjectRow.id == _R.subject_id)


def get_record(connection: Connection, record_id: int) -> RecordLine | None:
    row = connection.execute(_record_select().where(_R.id == record_id)).one_or_none()
    return None if row is None else RecordLine(*row)


@dataclass(frozen=True, slots=True)
class RecordFilter:
    utilities: Collection[Utility]
    statuses: Collection[str] = ()
    classes: Collection[str] = ()
    kinds: Collection[str] = ()
    policy_key: str | None = None
    subject_id: int | None = None
    overdue_on: dt.date | None = None  # only records with an overdue objection or repair


def _filtered(statement: Any, f: RecordFilter) -> Any:
    statement = statement.where(_R.utility.in_(sorted(u.value for u in f.utilities)))
    if f.statuses:
        statement = statement.where(_R.status.in_(sorted(f.statuses)))
    if f.classes:
        statement = statement.where(_R.record_class.in_(sorted(f.classes)))
    if f.kinds:
        statement = statement.where(_R.kind.in_(sorted(f.kinds)))
    if f.policy_key:
        statement = statement.where(_R.policy_key == f.policy_key)
    if f.subject_id is not None:
        statement = statement.where(_R.subject_id == f.subject_id)
    if f.overdue_on is not None:
        statement = statement.where(
            or_(
                _R.id.in_(select(ObjectionRow.record_id).where(objection_overdue(f.overdue_on))),
                _R.id.in_(select(RepairRow.record_id).where(repair_overdue(f.overdue_on))),
            )
        )
    return statement


def list_records(
    connection: Connection, f: RecordFilter, *, offset: int, limit: int
) -> Page[RecordLine]:
    rows = connection.execute(
        _filtered(_record_select(), f).order_by(_R.id.desc()).offset(offset).limit(limit + 1)
    )
    return page_of([RecordLine(*row) for row in rows], offset, limit)


def iter_records(connection: Connection, f: RecordFilter) -> Iterable[RecordLine]:
    """Every matching record, oldest first, streamed (for exports)."""
    result = connection.execute(
        _filtered(_record_select(), f).order_by(_R.id), execution_options={"yield_per": 2000}
    )
    for row in result:
        yield RecordLine(*row)


def records_due_on_clock(connection: Connection, day: dt.date) -> list[tuple[int, str]]:
    """(id, status) of confirmed/published records that the calendar moves on ``day``."""
    rows = connection.execute(
        select(_R.id, _R.status).where(
            or_(
                and_(_R.status.in_(["confirmed", "published"]), _R.publish_until < day),
                and_(_R.status == "confirmed", _R.publish_from <= day),
            )
        )
    )
    return [(row.id, row.status) for row in rows]


def count_open_cases(
    connection: Connection, utilities: Collection[Utility], day: dt.date
) -> dict[str, int]:
    """Numbers for the dashboard: candidates, open and overdue objections and repairs."""
    values = sorted(u.value for u in utilities)

    def count(*condition: Any) -> int:
        return int(connection.execute(select(func.count()).where(*condition)).scalar_one())

    objections = ObjectionRow.utility.in_(values)
    repairs = RepairRow.utility.in_(values)
    return {
        "candidates": count(_R.utility.in_(values), _R.status == "candidate"),
        "objections_open": count(objections, ObjectionRow.status == "filed"),
        "objections_overdue": count(objections, objection_overdue(day)),
        "repairs_open": count(repairs, RepairRow.status.in_(OPEN_STATUSES)),
        "repairs_overdue": count(repairs, repair_overdue(day)),
    }
