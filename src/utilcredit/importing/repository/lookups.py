"""Natural-key lookups of an import: the ids of parent rows, and within an importer's scope
(the utilities it may write) which parents it may name and which keys it may not touch.
Takes a Connection; never commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, exists, or_, select
from sqlalchemy.sql.elements import BindParameter

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.db import positional_sql
from utilcredit.importing.keys import ParentIds
from utilcredit.importing.repository import upserts
from utilcredit.importing.repository.upserts import TABLES, driver_dialect

# Natural key column of each kind that other kinds refer to.
_PARENT_KEY = {"subjects": "code", "accounts": "account_no", "bills": "bill_no"}


# An import's scope: the utility values (sorted) the importing principal may write, or
# ``None`` for every utility (the CLI, and principals who belong to every utility).
Scope = tuple[str, ...] | None

# Keys per ``IN (...)`` list: well under every backend's limit on bound parameters.
_CHUNK = 900
_FETCH_ROWS = 1 << 16


def scope_of(utilities: Iterable[Utility] | None) -> Scope:
    """The scope of an import by someone who may write ``utilities`` (``None``: all of them)."""
    if utilities is None:
        return None
    values = frozenset(Utility(utility).value for utility in utilities)
    return None if values >= {utility.value for utility in Utility} else tuple(sorted(values))


def scope_text(scope: Scope) -> str:
    """How a run records its scope: the comma list of its utilities (every one for ``None``)."""
    return ",".join(scope if scope is not None else sorted(u.value for u in Utility))


def _served(scope: Sequence[Any]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether a subject has an account at all, and one of a utility in ``scope``."""
    served = exists().where(AccountRow.subject_id == SubjectRow.id)
    served_here = exists().where(
        AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(scope)
    )
    return served, served_here


def _visible_parents(parent_kind: str, scope: tuple[str, ...]) -> Select[str, int]:
    """Natural key and id of the parents a row imported within ``scope`` may refer to.

    An account or a bill: of a utility in the scope. A subject: one the importer sees (an
    account with a utility in the scope) or one nobody serves yet (no account at all); a
    subject only another utility serves is left out, so a row naming it is rejected exactly
    as if the subject did not exist.
    """
    if parent_kind == "subjects":
        served, served_here = _served(scope)
        return select(SubjectRow.code, SubjectRow.id).where(or_(served_here, ~served))
    if parent_kind == "accounts":
        return select(AccountRow.account_no, AccountRow.id).where(AccountRow.utility.in_(scope))
    if parent_kind == "bills":
        return (
            select(BillRow.bill_no, BillRow.id)
            .join(AccountRow, AccountRow.id == BillRow.account_id)
            .where(AccountRow.utility.in_(scope))
        )
    raise ValueError(f"{parent_kind} is no parent kind")


def parent_ids(
    connection: Connection, parent_kind: str, keys: Iterable[str], *, scope: Scope = None
) -> dict[str, int]:
    """Natural key → id of the ``keys`` that exist (and, within a scope, are visible)."""
    table = TABLES[parent_kind][0]
    key_column = table.c[_PARENT_KEY[parent_kind]]
    query: Select[Any, Any] = (
        select(key_column, table.c.id) if scope is None else _visible_parents(parent_kind, scope)
    )
    wanted = list(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = connection.execute(query.where(key_column.in_(chunk)))
        found.update((key, row_id) for key, row_id in rows)
    return found


def all_parent_ids(
    connection: Connection, parent_kind: str, *, scope: Scope = None, compact: bool = False
) -> dict[str, int] | ParentIds:
    """Every natural key → id of a parent kind (within a scope: the visible ones), streamed
    from the driver (no row objects, never every row in memory at once); ``compact``: as a
    :class:`ParentIds` (millions of parents), else a ``dict``."""
    if scope is None:
        table = TABLES[parent_kind][0]
        rows = _streamed(connection, f"SELECT {_PARENT_KEY[parent_kind]}, id FROM {table.name}")
    else:
        query = _visible_parents(parent_kind, scope)
        dialect = driver_dialect(connection.dialect.name, "lookups are")
        rows = _streamed(connection, *positional_sql(query, dialect))
    if compact:
        return ParentIds(rows, expected=upserts.max_id(connection, parent_kind))
    return dict(rows)


def _streamed(
    connection: Connection, sql: str, params: Sequence[Any] = ()
) -> Iterator[tuple[str, int]]:
    """The rows of ``sql`` a chunk at a time: on PostgreSQL through a server-side cursor (a
    plain one receives every row before the first is read)."""
    raw: Any = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="utilcredit_import_parents")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield from rows
    finally:
        cursor.close()


# Kinds whose existing rows a scoped import must not overwrite when they belong to another
# utility: the row's own natural key may name a row of another utility. (A credit report's
# key includes its subject, already resolved within the scope.)
GUARDED_KINDS = frozenset({"subjects", "accounts", "bills", "payments", "incidents", "reminders"})


def _hidden(kind: str, scope: Sequence[Any]) -> Select[Any]:
    """Natural keys of the rows of ``kind`` an import within ``scope`` (utility values, or
    parameters standing for them) may not touch.

    A subject: served by some utility but by none in the scope (a subject nobody serves yet
    is open to every importer, see :func:`_visible_parents`). Anything tied to an account:
    the account's utility is outside the scope.
    """
    outside = AccountRow.utility.not_in(scope)
    if kind == "subjects":
        served, served_here = _served(scope)
        return select(SubjectRow.code).where(served, ~served_here)
    if kind == "accounts":
        return select(AccountRow.account_no).where(outside)
    if kind == "payments":
        return (
            select(PaymentRow.payment_no)
            .join(BillRow, BillRow.id == PaymentRow.bill_id)
            .join(AccountRow, AccountRow.id == BillRow.account_id)
            .where(outside)
        )
    by_account: dict[str, type[BillRow | IncidentRow | ReminderRow]] = {
        "bills": BillRow,
        "incidents": IncidentRow,
        "reminders": ReminderRow,
    }
    if kind in by_account:
        row = by_account[kind]
        key = TABLES[kind][1][0]
        return (
            select(getattr(row, key))
            .join(AccountRow, AccountRow.id == row.account_id)
            .where(outside)
        )
    raise ValueError(f"{kind} rows are not guarded by natural key")


def any_hidden(connection: Connection, kind: str, scope: tuple[str, ...]) -> bool:
    """Whether the store holds any row of ``kind`` outside ``scope`` (one query per file: when
    none does, the file's batches need no key check)."""
    return connection.execute(_hidden(kind, scope).limit(1)).first() is not None


def hidden_keys(
    connection: Connection, kind: str, scope: tuple[str, ...], keys: Iterable[Any]
) -> set[Any]:
    """Which of ``keys`` name rows of ``kind`` outside ``scope`` (set-based, per batch).

    Runs a statement compiled once per kind and scope for a fixed number of keys (a short
    chunk is padded with NULLs, which match nothing), straight on the driver: building the
    ``IN`` list with SQLAlchemy for every chunk cost six times the query.
    """
    sql, names = _hidden_sql(connection.dialect.name, kind, scope)
    fixed = {f"scope_{i}": value for i, value in enumerate(scope)}
    wanted = sorted(set(keys))  # in index order: 7x faster than hash order on SQLite
    found: set[Any] = set()
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            given = dict(fixed, **{f"key_{i}": key for i, key in enumerate(chunk)})
            cursor.execute(sql, [given.get(name) for name in names])
            found.update(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()
    return found


@cache
def _hidden_sql(
    dialect_name: str, kind: str, scope: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """:func:`_hidden` for ``_CHUNK`` keys, compiled for the driver: SQL and parameter order."""
    key_column = TABLES[kind][0].c[TABLES[kind][1][0]]
    scope_params: list[BindParameter[Any]] = [
        bindparam(f"scope_{i}", value) for i, value in enumerate(scope)
    ]
    key_params: list[BindParameter[Any]] = [bindparam(f"key_{i}") for i in range(_CHUNK)]
    statement = _hidden(kind, scope_params).where(key_column.in_(key_params))
    compiled = statement.compile(dialect=driver_dialect(dialect_name, "scoped imports are"))
    return str(compiled), tuple(compiled.positiontup or [])
