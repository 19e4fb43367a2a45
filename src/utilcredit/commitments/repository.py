"""Every query of commitments and their obligations (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from utilcredit.commitments.model import commitment_code
from utilcredit.commitments.tables import CommitmentObligationRow
from utilcredit.customers.tables import CommitmentRow, SubjectRow
from utilcredit.paging import Page, page_of

_C = CommitmentRow
_O = CommitmentObligationRow


@dataclass(frozen=True, slots=True)
class CommitmentLine:
    """A commitment with its committer, every catalog item (SPEC 5.4) at hand."""

    id: int
    code: str
    subject_id: int
    subject_code: str
    subject_name: str
    subject_kind: str
    utility: str
    account_id: int | None
    application_id: int | None
    template_key: str
    template_version: str
    commitment_type: str
    reason: str
    content: str
    liability: str
    fields: dict[str, str]
    made_on: dt.date
    valid_until: dt.date | None
    status: str
    status_on: dt.date
    unfulfilled_content: str | None
    liability_pursued: str | None
    accepting_unit: str
    accepting_unit_code: str
    determining_unit: str
    determining_unit_code: str
    disclosure: str
    document_name: str | None
    document_sha256: str | None
    created_by: str
    updated_at: dt.datetime


_LINE_COLUMNS: tuple[Any, ...] = (
    _C.id,
    _C.code,
    _C.subject_id,
    SubjectRow.code.label("subject_code"),
    SubjectRow.name.label("subject_name"),
    SubjectRow.kind.label("subject_kind"),
    _C.utility,
    _C.account_id,
    _C.application_id,
    _C.template_key,
    _C.template_version,
    _C.commitment_type,
    _C.reason,
    _C.content,
    _C.liability,
    _C.fields,
    _C.made_on,
    _C.valid_until,
    _C.status,
    _C.status_on,
    _C.unfulfilled_content,
    _C.liability_pursued,
    _C.accepting_unit,
    _C.accepting_unit_code,
    _C.determining_unit,
    _C.determining_unit_code,
    _C.disclosure,
    _C.document_name,
    _C.document_sha256,
    _C.created_by,
    _C.updated_at,
)


def _lines() -> Select[Any]:
    return select(*_LINE_COLUMNS).join(SubjectRow, SubjectRow.id == _C.subject_id)


def insert_commitment(connection: Connection, values: Mapping[str, Any]) -> int:
    """A new commitment; its code (承诺编码) is made from its id in the same transaction."""
    provisional = f"pending-{values['subject_id']}-{dt.datetime.now().timestamp()}"
    new_id: int = connection.execute(
        insert(_C).values(code=provisional, **values).returning(_C.id)
    ).scalar_one()
    code = commitment_code(values["utility"], values["made_on"], new_id)
    connection.execute(update(_C).where(_C.id == new_id).values(code=code))
    return new_id


def get_commitment(connection: Connection, commitment_id: int) -> CommitmentLine | None:
    row = connection.execute(_lines().where(_C.id == commitment_id)).one_or_none()
    return None if row is None else CommitmentLine(*row)


def commitment_id_by_code(connection: Connection, code: str) -> int | None:
    found: int | None = connection.execute(select(_C.id).where(_C.code == code)).scalar()
    return found


def set_status(
    connection: Connection,
    commitment_id: int,
    *,
    expected: str,
    new: str,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Compare-and-set: False when the commitment is no longer in ``expected``."""
    result = connection.execute(
        update(_C)
        .where(_C.id == commitment_id, _C.status == expected)
        .values(status=new, **(values or {}))
    )
    return result.rowcount == 1


def set_values(connection: Connection, commitment_id: int, values: Mapping[str, Any]) -> None:
    connection.execute(update(_C).where(_C.id == commitment_id).values(**values))


@dataclass(frozen=True, slots=True)
class CommitmentFilter:
    utilities: frozenset[str]
    statuses: Sequence[str] = ()
    types: Sequence[str] = ()
    subject_id: int | None = None
    application_id: int | None = None
    disclosure: str | None = None


def _filtered(query: Select[Any], f: CommitmentFilter) -> Select[Any]:
    query = query.where(_C.utility.in_(sorted(f.utilities)))
    if f.statuses:
        query = query.where(_C.status.in_(list(f.statuses)))
    if f.types:
        query = query.where(_C.commitment_type.in_(list(f.types)))
    if f.subject_id is not None:
        query = query.where(_C.subject_id == f.subject_id)
    if f.application_id is not None:
        query = query.where(_C.application_id == f.application_id)
    if f.disclosure is not None:
        query = query.where(_C.disclosure == f.disclosure)
    return query


def list_commitments(
    connection: Connection, f: CommitmentFilter, *, offset: int, limit: int
) -> Page[CommitmentLine]:
    rows = connection.execute(
        _filtered(_lines(), f).order_by(_C.id.desc()).offset(offset).limit(limit + 1)
    )
    return page_of([CommitmentLine(*row) for row in rows], offset, limit)


def iter_commitments(connection: Connection, f: CommitmentFilter) -> Iterable[CommitmentLine]:
    """Every matching commitment, oldest first, streamed (exports)."""
    result = connection.execute(
        _filtered(_lines(), f).order_by(_C.id), execution_options={"yield_per": 2000}
    )
    for row in result:
        yield CommitmentLine(*row)


def expired_in_force(connection: Connection, day: dt.date) -> list[tuple[int, str]]:
    """In-force commitments whose validity ended before ``day``: (id, utility)."""
    rows = connection.execute(
        select(_C.id, _C.utility)
        .where(_C.status == "in_force", _C.valid_until.is_not(None), _C.valid_until < day)
        .order_by(_C.id)
    )
    return [(row.id, row.utility) for row in rows]


# ---- obligations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObligationLine:
    id: int
    commitment_id: int
    key: str
    text: str
    starts_on: dt.date | None
    due_on: dt.date | None
    remind_on: dt.date | None
    status: str
    on_breach: str | None
    reminded_on: dt.date | None
    met_on: dt.date | None
    missed_on: dt.date | None
    referred_on: dt.date | None


_OBLIGATION_COLUMNS: tuple[Any, ...] = (
    _O.id,
    _O.commitment_id,
    _O.key,
    _O.text,
    _O.starts_on,
    _O.due_on,
    _O.remind_on,
    _O.status,
    _O.on_breach,
    _O.reminded_on,
    _O.met_on,
    _O.missed_on,
    _O.referred_on,
)


def insert_obligations(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection.execute(insert(_O), list(rows))


def obligations_of(connection: Connection, commitment_id: int) -> list[ObligationLine]:
    rows = connection.execute(
        select(*_OBLIGATION_COLUMNS).where(_O.commitment_id == commitment_id).order_by(_O.id)
    )
    return [ObligationLine(*row) for row in rows]


def get_obligation(connection: Connection, obligation_id: int) -> ObligationLine | None:
    row = connection.execute(
        select(*_OBLIGATION_COLUMNS).where(_O.id == obligation_id)
    ).one_or_none()
    return None if row is None else ObligationLine(*row)


def update_obligation(
    connection: Connection, obligation_id: int, *, expected: str, values: Mapping[str, Any]
) -> bool:
    result = connection.execute(
        update(_O).where(_O.id == obligation_id, _O.status == expected).values(**values)
    )
    return result.rowcount == 1


def obligations_to_remind(connection: Connection, day: dt.date) -> list[ObligationLine]:
    rows = connection.execute(
        select(*_OBLIGATION_COLUMNS)
        .where(_O.status == "open", _O.reminded_on.is_(None), _O.remind_on <= day)
        .order_by(_O.id)
    )
    return [ObligationLine(*row) for row in rows]


def obligations_passed(connection: Connection, day: dt.date) -> list[ObligationLine]:
    """Open obligations whose due date is before ``day`` (missed on ``day``)."""
    rows = connection.execute(
        select(*_OBLIGATION_COLUMNS)
        .where(_O.status == "open", _O.due_on < day)
        .order_by(_O.due_on, _O.id)
    )
    return [ObligationLine(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class DueObligation:
    """An open obligation falling due in a period, with its commitment (the deadlines list)."""

    obligation: ObligationLine
    commitment_code: str
    commitment_id: int
    subject_code: str
    subject_name: str
    subject_kind: str
    utility: str


def obligations_due_between(
    connection: Connection, utilities: Collection[str], start: dt.date, end: dt.date
) -> list[DueObligation]:
    rows = connection.execute(
        select(
            *_OBLIGATION_COLUMNS,
            _C.code,
            _C.id,
            SubjectRow.code,
            SubjectRow.name,
            SubjectRow.kind,
            _C.utility,
        )
        .join(_C, _C.id == _O.commitment_id)
        .join(SubjectRow, SubjectRow.id == _C.subject_id)
        .where(
            _O.status == "open",
            _O.due_on >= start,
            _O.due_on <= end,
            _C.utility.in_(sorted(utilities)),
        )
        .order_by(_O.due_on, _O.id)
    )
    n = len(_OBLIGATION_COLUMNS)
    return [DueObligation(ObligationLine(*row[:n]), *row[n:]) for row in rows]
