"""The published view's queries (``public_entries``): replacing it, and the public reads.

It imports nothing but its own table and model: the public site reads through here and so
cannot reach an internal table (``pyproject.toml``: the public-site contract).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, or_, select

from utilcredit.disclosure.model import EntryKind, PublishedEntry
from utilcredit.disclosure.tables import PublicEntryRow

_E = PublicEntryRow
_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """One published entry as the site shows it (no internal id, no source key)."""

    kind: str
    utility: str
    subject_shown: str
    code_shown: str
    title: str
    details: dict[str, Any]
    shown_from: dt.date
    shown_until: dt.date | None


def clear(connection: Connection) -> int:
    return connection.execute(delete(_E)).rowcount


def insert_entries(
    connection: Connection, entries: Iterable[PublishedEntry], at: dt.datetime
) -> int:
    """Insert ``entries`` in batches; the count written."""
    count = 0
    batch: list[dict[str, Any]] = []
    for entry in entries:
        batch.append(_values(entry, at))
        if len(batch) >= _BATCH:
            count += _flush(connection, batch)
    return count + _flush(connection, batch)


def _flush(connection: Connection, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    connection.execute(insert(_E), batch)
    written = len(batch)
    batch.clear()
    return written


def _values(entry: PublishedEntry, at: dt.datetime) -> dict[str, Any]:
    return {
        "kind": str(entry.kind),
        "source_key": entry.source_key,
        "utility": entry.utility,
        "subject_shown": entry.shown.subject_shown,
        "code_shown": entry.shown.code_shown,
        "lookup_code": entry.shown.lookup_code,
        "lookup_name": entry.shown.lookup_name,
        "title": entry.title,
        "details": entry.details,
        "shown_from": entry.shown_from,
        "shown_until": entry.shown_until,
        "published_at": at,
    }


# ---- public reads ------------------------------------------------------------------------------

_COLUMNS = (
    _E.kind,
    _E.utility,
    _E.subject_shown,
    _E.code_shown,
    _E.title,
    _E.details,
    _E.shown_from,
    _E.shown_until,
)


def _shown_on(day: dt.date) -> ColumnElement[bool]:
    # The view is rebuilt daily; this keeps an entry whose period ended since off the site.
    return (_E.shown_from <= day) & or_(_E.shown_until.is_(None), _E.shown_until >= day)


def _entry(row: Any) -> PublicEntry:
    return PublicEntry(
        kind=row.kind,
        utility=row.utility,
        subject_shown=row.subject_shown,
        code_shown=row.code_shown,
        title=row.title,
        details=dict(row.details),
        shown_from=row.shown_from,
        shown_until=row.shown_until,
    )


def page(
    connection: Connection, kind: EntryKind, day: dt.date, offset: int, limit: int
) -> tuple[int, list[PublicEntry]]:
    """One page of ``kind`` shown on ``day``, newest first, and how many there are in all."""
    where = (_E.kind == str(kind)) & _shown_on(day)
    total = connection.execute(select(func.count()).select_from(_E).where(where)).scalar_one()
    rows = connection.execute(
        select(*_COLUMNS)
        .where(where)
        .order_by(_E.shown_from.desc(), _E.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), [_entry(row) for row in rows]


def find(
    connection: Connection, *, code: str | None, name: str | None, day: dt.date, limit: int
) -> Sequence[PublicEntry]:
    """Entries of the legal person with this USCC or exact name (indexed; natural persons have
    no look-up keys, so they are never found)."""
    column = _E.lookup_code if code is not None else _E.lookup_name
    value = code if code is not None else name
    rows = connection.execute(
        select(*_COLUMNS)
        .where(column == value, _shown_on(day))
        .order_by(_E.kind.desc(), _E.shown_from.desc(), _E.id.desc())
        .limit(limit)
    )
    return [_entry(row) for row in rows]


def published_at(connection: Connection) -> dt.datetime | None:
    """When the view was last rebuilt: every row of a rebuild carries the same time, so any
    row tells (one row read, not a scan)."""
    at: dt.datetime | None = connection.execute(select(_E.published_at).limit(1)).scalar()
    return at
