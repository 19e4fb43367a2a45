"""Every query the import needs: natural-key lookups, bulk upserts, run and reject records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Select,
    Table,
    bindparam,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    NOT_IMPORTED,
    AccountRow,
    BillRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.db import ScaledDecimal, to_scaled_int
from utilcredit.importing.tables import ImportRejectRow, ImportRunRow
from utilcredit.paging import Page, page_of

# kind → (table, natural-key columns, parent foreign-key column)
TABLES: dict[str, tuple[Table, tuple[str, ...], str | None]] = {
    "subjects": (SubjectRow.__table__, ("code",), None),  # type: ignore[dict-item]
    "accounts": (AccountRow.__table__, ("account_no",), "subject_id"),  # type: ignore[dict-item]
    "bills": (BillRow.__table__, ("bill_no",), "account_id"),  # type: ignore[dict-item]
    "payments": (PaymentRow.__table__, ("payment_no",), "bill_id"),  # type: ignore[dict-item]
    "incidents": (IncidentRow.__table__, ("incident_no",), "account_id"),  # type: ignore[dict-item]
    "reminders": (ReminderRow.__table__, ("reminder_no",), "account_id"),  # type: ignore[dict-item]
    "credit_reports": (
        CreditReportRow.__table__,
        ("subject_id", "source", "issued_on"),
        "subject_id",
    ),  # type: ignore[dict-item]
}

# Natural key column of each kind that other kinds refer to.
_PARENT_KEY = {"subjects": "code", "accounts": "account_no", "bills": "bill_no"}


# An import's scope: the utility values (sorted) the importing principal may write, or
# ``None`` for every utility (the CLI, and principals who belong to every utility).
Scope = tuple[str, ...] | None

# Keys per ``IN (...)`` list: well under every backend's limit on bound parameters.
_CHUNK = 900


def scope_of(utilities: Iterable[Utility] | None) -> Scope:
    """The scope of an import by someone who may write ``utilities`` (``None``: all of them)."""
    if utilities is None:
        return None
    values = frozenset(Utility(utility).value for utility in utilities)
    return None if values >= {utility.value for utility in Utility} else tuple(sorted(values))


def scope_text(scope: Scope) -> str:
    """How a run records its scope: the comma list of its utilities (every one for ``None``)."""
    return ",".join(scope if scope is not None else sorted(u.value for u in Utility))


def _visible_parents(parent_kind: str, scope: tuple[str, ...]) -> Select[str, int]:
    """Natural key and id of the parents a row imported within ``scope`` may refer to.

    An account or a bill: of a utility in the scope. A subject: one the importer sees (an
    account with a utility in the scope) or one nobody serves yet (no account at all); a
    subject only another utility serves is left out, so a row naming it is rejected exactly
    as if the subject did not exist.
    """
    if parent_kind == "subjects":
        served = exists().where(AccountRow.subject_id == SubjectRow.id)
        served_here = exists().where(
            AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(scope)
        )
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
    connection: Connection, parent_kind: str, *, scope: Scope = None
) -> dict[str, int]:
    """Every natural key → id of a parent kind (within a scope: the visible ones), straight
    from the driver (no row objects) when unscoped."""
    if scope is not None:
        return dict(connection.execute(_visible_parents(parent_kind, scope)).all())
    table = TABLES[parent_kind][0]
    sql = f"SELECT {_PARENT_KEY[parent_kind]}, id FROM {table.name}"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return dict(cursor.fetchall())
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
        served = exists().where(AccountRow.subject_id == SubjectRow.id)
        served_here = exists().where(
            AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(scope)
        )
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
    dialect: Any
    if dialect_name == "postgresql":
        dialect = postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
    elif dialect_name == "sqlite":
        dialect = sqlite.pysqlite.dialect(paramstyle="qmark")
    else:
        raise NotImplementedError(f"scoped imports are not available on {dialect_name}")
    compiled = statement.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup or [])


def max_id(connection: Connection, kind: str) -> int:
    table = TABLES[kind][0]
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())


def count_ids_above(connection: Connection, kind: str, floor: int) -> int:
    """Rows created since ``floor`` was the highest id: ids only grow, so these are the inserts."""
    table = TABLES[kind][0]
    return int(connection.execute(select(func.count()).where(table.c.id > floor)).scalar_one())


@dataclass(frozen=True, slots=True)
class WritePlan:
    """An upsert compiled once per kind and dialect, and the shape of its parameter rows.

    This is the import's hot path: the statement is built with SQLAlchemy once, then the
    driver's ``executemany`` gets plain tuples (SQLAlchemy's per-row processing cost 4x more).
    Driver values: money and usage as scaled integers, dates as ISO strings (what SQLAlchemy
    stores on SQLite; PostgreSQL casts them), the parent as its id.
    """

    sql: str
    insert_sql: str  # the plain insert, for a table that was empty when the file began
    sources: tuple[str, ...]  # canonical field (or parent id column) behind each parameter
    converters: tuple[Callable[[Any], Any] | None, ...]
    key_positions: tuple[int, ...]  # the natural-key columns among the parameters
    parent_position: int | None  # the parent id column among the parameters

    def params_from(self, values: dict[str, Any]) -> list[Any]:
        """Driver values from parsed values; the parent slot gets ``values[parent_source]``."""
        return [
            value if convert is None or value is None else convert(value)
            for value, convert in zip(
                (values.get(s) for s in self.sources), self.converters, strict=True
            )
        ]


def upsert(
    connection: Connection,
    plan: WritePlan,
    params: Sequence[Sequence[Any]],
    *,
    fresh: bool = False,
) -> int:
    """Insert or update by natural key; returns how many rows were inserted or changed.

    The update only fires where a value differs, so re-importing the same file touches nothing.
    ``fresh``: the table held no row when this transaction began and ``params`` repeat no key
    already written in it, so no row can conflict and the plain insert does the same, cheaper
    (on SQLite with foreign keys on, the upsert's conflict handling costs half the insert).
    """
    if not params:
        return 0
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(plan.insert_sql if fresh else plan.sql, params)
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


@cache
def write_plan(dialect_name: str, kind: str) -> WritePlan:
    table, key_names, parent_column = TABLES[kind]
    # Marks other use cases set (``NOT_IMPORTED``: a set-aside incident or bill) are neither
    # inserted nor updated, so re-importing a row never resets them.
    columns = [
        column
        for column in table.columns
        if column.name not in ("id", "created_at", "updated_at")
        and not column.info.get(NOT_IMPORTED, False)
    ]
    if dialect_name == "postgresql":
        statement: Any = postgresql.insert(table)
        dialect: Any = postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
    elif dialect_name == "sqlite":
        statement = sqlite.insert(table)
        dialect = sqlite.pysqlite.dialect(paramstyle="qmark")
    else:
        raise NotImplementedError(f"upsert is not available on {dialect_name}")
    statement = statement.values({column.name: bindparam(column.name) for column in columns})
    plain = statement.compile(dialect=dialect)
    excluded = statement.excluded
    data_columns = [column.name for column in columns if column.name not in key_names]
    set_: dict[str, Any] = {name: excluded[name] for name in data_columns}
    set_["updated_at"] = func.now()
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key_names],
        set_=set_,
        where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in data_columns)),
    )
    compiled = statement.compile(dialect=dialect)
    order = list(compiled.positiontup or [])
    if list(plain.positiontup or []) != order:
        raise AssertionError(f"insert and upsert of {kind} bind their parameters differently")
    by_name = {column.name: column for column in columns}
    return WritePlan(
        sql=str(compiled),
        insert_sql=str(plain),
        sources=tuple(_SOURCE_OF.get(name, name) for name in order),
        converters=tuple(_converter(by_name[name]) for name in order),
        key_positions=tuple(order.index(name) for name in key_names),
        parent_position=order.index(parent_column) if parent_column else None,
    )


# Database column → canonical field feeding it, where the names differ: units in the name,
# and parent ids, whose slot first holds the parent's natural key until it is resolved.
_SOURCE_OF = {
    "amount_fen": "amount",
    "usage_milli": "usage",
    "subject_id": "subject_code",
    "account_id": "account_no",
    "bill_id": "bill_no",
}


def _converter(column: Column[Any]) -> Callable[[Any], Any] | None:
    if isinstance(column.type, ScaledDecimal):
        places = column.type.places
        return lambda value: to_scaled_int(value, places)
    if isinstance(column.type, Date):
        return _iso
    return None


def _iso(value: dt.date) -> str:
    return value.isoformat()


# Page cache of an importing SQLite connection (KiB): the default 2 MiB makes every index
# insert of a large file spill and re-read pages; this is a ceiling, not an allocation.
IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def tuned_for_import(connection: Connection) -> Iterator[None]:
    """SQLite only: a larger page cache while a file is imported, restored afterwards.
    Journal mode and synchronous stay as the engine set them (WAL, durable commits)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.cursor()
    try:
        cursor.execute("PRAGMA cache_size")
        row = cursor.fetchone()
        previous = int(row[0]) if row else -2000
        cursor.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    finally:
        cursor.close()
    try:
        yield
    finally:
        with suppress(Exception):  # never mask the import's own error
            cursor = connection.connection.cursor()
            cursor.execute(f"PRAGMA cache_size={previous}")
            cursor.close()


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


_RUN_COLUMNS = (
    ImportRunRow.id,
    ImportRunRow.file_name,
    ImportRunRow.kind,
    ImportRunRow.file_format,
    ImportRunRow.actor,
    ImportRunRow.status,
    ImportRunRow.started_at,
    ImportRunRow.finished_at,
    ImportRunRow.rows_read,
    ImportRunRow.inserted,
    ImportRunRow.updated,
    ImportRunRow.unchanged,
    ImportRunRow.rejected,
    ImportRunRow.error,
)


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
