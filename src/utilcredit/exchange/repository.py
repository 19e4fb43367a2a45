"""Queries of submission batches. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, insert, select, update

from utilcredit.exchange.model import CORRECTIONS_MODE, TAKEN, Batch, BatchStatus
from utilcredit.exchange.tables import ExchangeBatchRow

_B = ExchangeBatchRow
_BATCH_COLUMNS = [getattr(_B, f.name) for f in fields(Batch)]


def insert_batch(connection: Connection, **values: Any) -> int:
    return int(connection.execute(insert(_B).values(**values).returning(_B.id)).scalar_one())


def update_batch(connection: Connection, batch_id: int, **values: Any) -> None:
    connection.execute(update(_B).where(_B.id == batch_id).values(**values))


def set_status(
    connection: Connection, batch_id: int, old: BatchStatus, new: BatchStatus, **values: Any
) -> bool:
    """Compare-and-set: False when another process moved the batch first."""
    done = connection.execute(
        update(_B).where(_B.id == batch_id, _B.status == old).values(status=new, **values)
    )
    return done.rowcount == 1


def batch(connection: Connection, batch_id: int) -> Batch | None:
    row = connection.execute(select(*_BATCH_COLUMNS).where(_B.id == batch_id)).one_or_none()
    return Batch(*row) if row else None


def batches(
    connection: Connection,
    *,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    status: str | None = None,
    hidden: Collection[str] = (),
) -> list[Batch]:
    """Newest first; ``hidden``: utilities whose batches are left out (a batch holding any)."""
    query = select(*_BATCH_COLUMNS).order_by(_B.id.desc()).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(_B.kind == kind)
    if status is not None:
        query = query.where(_B.status == status)
    for utility in sorted(hidden):
        query = query.where(_B.utilities.not_like(f"%,{utility},%"))
    return [Batch(*row) for row in connection.execute(query)]


def last_taken_until(
    connection: Connection, catalog: str, kind: str, utilities: str
) -> dt.datetime | None:
    """Where the newest batch the platform took (accepted, or accepted in part) ended."""
    return connection.execute(
        select(_B.until)
        .where(
            _B.catalog == catalog,
            _B.kind == kind,
            _B.utilities == utilities,
            _B.status.in_(sorted(TAKEN)),
            _B.mode != CORRECTIONS_MODE,  # its window is not the kind's window of changes
        )
        .order_by(_B.until.desc())
        .limit(1)
    ).scalar_one_or_none()
