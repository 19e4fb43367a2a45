"""The public site's use cases: read the published view, nothing else (SPEC 2.4).

Only :mod:`utilcredit.disclosure.repository` (which knows ``public_entries`` alone) and the
pure model are imported here, and the public router imports only this module and the shipped
policies: an import contract in ``pyproject.toml`` keeps it so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.disclosure import repository
from utilcredit.disclosure.model import EntryKind, parse_lookup
from utilcredit.disclosure.repository import PublicEntry

PAGE_SIZE = 50
LOOKUP_LIMIT = 200


@dataclass(frozen=True, slots=True)
class EntryPage:
    kind: EntryKind
    day: dt.date
    page: int
    pages: int
    total: int
    entries: list[PublicEntry]


@dataclass(frozen=True, slots=True)
class LookupResult:
    query: str
    by_code: bool
    entries: Sequence[PublicEntry]


def entries(connection: Connection, kind: EntryKind, day: dt.date, page: int) -> EntryPage:
    """Page ``page`` (from 1) of the entries of ``kind`` public on ``day``."""
    total, rows = repository.page(connection, kind, day, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return EntryPage(kind, day, page, pages, total, rows)


def look_up(connection: Connection, text: str, day: dt.date) -> LookupResult:
    """A legal person's public entries by USCC or exact name (a natural person is never found);
    an empty or oversized query is refused naming the field ``q``."""
    lookup = parse_lookup(text)
    found = repository.find(
        connection, code=lookup.code, name=lookup.name, day=day, limit=LOOKUP_LIMIT
    )
    return LookupResult(lookup.code or lookup.name or "", lookup.code is not None, found)


def published_at(connection: Connection) -> dt.datetime | None:
    return repository.published_at(connection)
