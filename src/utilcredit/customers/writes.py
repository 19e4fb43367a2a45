"""What other domains' use cases write into the credit file (imports write through
``importing``): an incident a commitment breach adds, and the marks that set evidence aside for
a dishonesty record. Nothing here commits.

The records service (``records``, a higher layer) marks the incidents and bills a repaired,
removed or corrected-away dishonesty record stands on; every rating engine leaves marked rows
out (SPEC 3: repaired or removed records do not count; records under objection still do).
A mark moves the row's ``updated_at`` past every stamp its table holds, so the columnar
snapshot's fingerprint (the newest ``updated_at`` per table) and incremental re-rating
("changed since the watermark") always see it, even within the second of the last import
(SQLite stamps ``CURRENT_TIMESTAMP`` to the second). Imports never write the mark
(``tables.NOT_IMPORTED``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    and_,
    func,
    insert,
    select,
    type_coerce,
    update,
)

from utilcredit.customers.model import IncidentKind
from utilcredit.customers.tables import BillRow, IncidentRow

_INCIDENTS: Any = IncidentRow.__table__
_BILLS: Any = BillRow.__table__
_MARK_CHUNK = 5000


def add_incident(
    connection: Connection,
    *,
    incident_no: str,
    account_id: int,
    kind: IncidentKind,
    occurred_on: dt.date,
    note: str,
) -> int:
    """An incident another use case records (a commitment breach), not the billing system."""
    new_id: int = connection.execute(
        insert(IncidentRow)
        .values(
            incident_no=incident_no,
            account_id=account_id,
            kind=kind.value,
            occurred_on=occurred_on,
            note=note[:500],
        )
        .returning(IncidentRow.id)
    ).scalar_one()
    return new_id


# ---- evidence set aside by the dishonesty-record register --------------------------------


def _mark_stamp(connection: Connection, table: Any) -> Any:
    """The ``updated_at`` a mark writes: the database's now, or just after the newest stamp of
    the table when that is not earlier (same second, or a clock behind), so the table's newest
    ``updated_at`` always moves."""
    now, newest = connection.execute(
        select(type_coerce(func.now(), DateTime(timezone=True)), func.max(table.c.updated_at))
    ).one()
    if newest is None or now > newest:
        return now
    return newest + dt.timedelta(microseconds=1)


def _write_mark(
    connection: Connection, table: Any, where: ColumnElement[bool], value: int | None
) -> None:
    stamp = _mark_stamp(connection, table)
    connection.execute(update(table).where(where).values(set_aside_by=value, updated_at=stamp))


def set_aside_evidence(
    connection: Connection,
    *,
    record_id: int,
    incident_ids: Collection[int],
    bill_ids: Collection[int],
) -> None:
    """Set the incidents and bills (store ids) aside for the dishonesty record ``record_id``:
    no rating counts them until :func:`restore_evidence` clears the mark.

    A row carries one mark: a row already set aside (by this record or another one) keeps its
    mark, so restoring that other record makes it count again. Never commits.
    """
    for table, ids in ((_INCIDENTS, incident_ids), (_BILLS, bill_ids)):
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), _MARK_CHUNK):
            chunk = wanted[start : start + _MARK_CHUNK]
            where = and_(table.c.id.in_(chunk), table.c.set_aside_by.is_(None))
            _write_mark(connection, table, where, record_id)


def restore_evidence(connection: Connection, *, record_id: int) -> None:
    """Clear the marks of ``record_id``: its incidents and bills count again. Never commits."""
    for table in (_INCIDENTS, _BILLS):
        _write_mark(connection, table, table.c.set_aside_by == record_id, None)
