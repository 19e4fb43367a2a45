"""Import runs and their rejects: written by the runner, read as readers may see them.
Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, false, func, insert, literal, or_, select, true, update

from utilcredit.customers.model import Utility
from utilcredit.importing.repository.lookups import Scope, scope_text
from utilcredit.importing.tables import ImportRejectRow, ImportRunRow
from utilcredit.paging import Page, page_of


def start_run(connection: Connection, *, scope: Scope = None, **values: Any) -> int:
    """A run in state ``running``, recording the importer's scope (every utility if none)."""
    result = connection.execute(
        insert(ImportRunRow)
        .values(status="running", utilities=scope_text(scope), **values)
        .returning(ImportRunRow.id)
    )
    return int(result.scalar_one())


def finish_run(connection: Connection, run_id: int, **values: Any) -> None:
    connection.execute(
        update(ImportRunRow)
        .where(ImportRunRow.id == run_id)
        .values(finished_at=func.now(), **values)
    )


def add_rejects(connection: Connection, run_id: int, rejects: list[dict[str, Any]]) -> None:
    if rejects:
        connection.execute(
            insert(ImportRejectRow), [dict(reject, run_id=run_id) for reject in rejects]
        )


def rejects_of(
    connection: Connection, run_id: int
) -> list[tuple[int, str | None, str | None, str]]:
    query = (
        select(
            ImportRejectRow.row_number,
            ImportRejectRow.field,
            ImportRejectRow.value,
            ImportRejectRow.reason,
        )
        .where(ImportRejectRow.run_id == run_id)
        .order_by(ImportRejectRow.row_number, ImportRejectRow.id)
    )
    return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


# ---- import runs as readers see them ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRunLine:
    id: int
    file_name: str
    kind: str
    file_format: str
    actor: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    error: str | None


_RUN_COLUMNS = [getattr(ImportRunRow, f.name) for f in fields(ImportRunLine)]


def _runs_of(utilities: Collection[Utility] | None) -> Any:
    """Runs whose importer's utilities (``import_runs.utilities``) meet ``utilities``; every run
    for ``None`` (a reader of every utility). A run of unknown scope (NULL) meets none."""
    if utilities is None:
        return true()
    listed = literal(",") + ImportRunRow.utilities + literal(",")
    return or_(
        false(), *(listed.like(f"%,{value},%") for value in sorted(u.value for u in utilities))
    )


def _run_line(row: Any) -> ImportRunLine:
    """A run as readers see it: the file's base name only, never the path it had on the
    server (nor in the error message)."""
    values = dict(row._mapping)
    path = values["file_name"]
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    values["file_name"] = name
    if values["error"] and path != name:
        values["error"] = values["error"].replace(path, name)
    return ImportRunLine(**values)


def import_runs(
    connection: Connection,
    *,
    utilities: Collection[Utility] | None,
    offset: int,
    limit: int,
) -> Page[ImportRunLine]:
    """Import runs readable with ``utilities`` (``None``: every run), newest first."""
    rows = connection.execute(
        select(*_RUN_COLUMNS)
        .where(_runs_of(utilities))
        .order_by(ImportRunRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([_run_line(row) for row in rows], offset, limit)


def import_run(
    connection: Connection, run_id: int, *, utilities: Collection[Utility] | None
) -> ImportRunLine | None:
    """The run if it exists and is readable with ``utilities`` (``None``: any run)."""
    row = connection.execute(
        select(*_RUN_COLUMNS).where(ImportRunRow.id == run_id, _runs_of(utilities))
    ).one_or_none()
    return None if row is None else _run_line(row)


def import_run_exists(connection: Connection, run_id: int) -> bool:
    found = connection.execute(select(ImportRunRow.id).where(ImportRunRow.id == run_id))
    return found.first() is not None
