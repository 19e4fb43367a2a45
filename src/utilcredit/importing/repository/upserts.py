"""The import's writes: the tables of the kinds, upserts compiled once per kind and run straight
on the driver, the ids a file created, and SQLite's tuning while a file loads. Takes a
Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, Date, Table, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

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


def driver_dialect(dialect_name: str, what: str) -> Any:
    """The dialect that compiles a statement for the driver's own ``execute``: positional
    parameters in the driver's style."""
    if dialect_name == "postgresql":
        return postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
    if dialect_name == "sqlite":
        return sqlite.pysqlite.dialect(paramstyle="qmark")
    raise NotImplementedError(f"{what} not available on {dialect_name}")


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
    dialect = driver_dialect(dialect_name, "upsert is")
    statement: Any = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
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
