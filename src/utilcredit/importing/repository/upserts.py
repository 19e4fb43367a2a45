"""The import's writes: the tables of the kinds, upserts compiled once per kind and run straight
on the driver, the ids a file created, and what a store needs while a file loads. Takes a
Connection; never commits.

SQLite gets the upsert (``INSERT … ON CONFLICT DO UPDATE``) of each batch through the driver's
``executemany``. PostgreSQL gets each batch by ``COPY`` into a temporary staging table, then
one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` from it: the same statement and meaning, but
one round trip a batch instead of a statement a row, which is what held PostgreSQL back. A
file into an empty table (the first load of a store) needs no conflict handling: on both, its
rows are inserted plainly, on PostgreSQL copied straight into the table with its indexes set
aside until the file is in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

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


def empty_and_held(connection: Connection, kind: str) -> bool:
    """Whether the kind's table is empty and no other writer can add to it before this
    transaction ends: then a file's rows (unique within it) can be inserted without any
    conflict handling. SQLite has one writer at a time. PostgreSQL's table is locked and
    looked at again: a concurrent import that got there first is waited for, and its rows
    are seen. The lock is exclusive (readers of the empty table wait too) because the load
    sets the table's indexes aside (:func:`_bulk_loading`), which needs it anyway."""
    if max_id(connection, kind):
        return False
    if connection.dialect.name != "postgresql":
        return True
    table = TABLES[kind][0]
    quoted = driver_dialect("postgresql", "locks are").identifier_preparer.quote(table.name)
    connection.exec_driver_sql(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
    return not max_id(connection, kind)


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
    staged: CopyPlan | None = None  # PostgreSQL: batches go by COPY (see the module doc)

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
    ``fresh``: the table is empty and held (:func:`empty_and_held`) and ``params`` repeat no
    key already written in it, so no row can conflict and the plain insert does the same,
    cheaper (on SQLite with foreign keys on, the upsert's conflict handling costs half the
    insert; on PostgreSQL the rows are copied straight into the table).
    """
    if not params:
        return 0
    cursor = connection.connection.cursor()
    try:
        if plan.staged is not None:
            return _copy_upsert(cursor, plan.staged, params, fresh=fresh)
        cursor.executemany(plan.insert_sql if fresh else plan.sql, params)
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """PostgreSQL's batch write: statements compiled once per kind.

    ``create``/``drop``: the staging table, a temporary table of the plan's columns (typed
    as the target's, without its constraints), per file (:func:`prepared_for_import`);
    ``clear``, ``copy``, ``merge``: per batch. ``merge`` is :attr:`WritePlan.sql` reading
    the staging table instead of parameters: the same conflict target, the same update where
    a value differs, so its row count is again the rows inserted or changed. ``copy_fresh``:
    a batch straight into the table, when nothing can conflict (:func:`empty_and_held`).
    """

    create: str
    drop: str
    clear: str
    copy: str
    merge: str
    copy_fresh: str


def _copy_upsert(
    cursor: Any, plan: CopyPlan, params: Sequence[Sequence[Any]], *, fresh: bool
) -> int:
    """One batch by COPY (text format: the driver values as they are, PostgreSQL casts the
    ISO dates as the upsert's parameters did) and one merge; rows inserted or changed.
    ``fresh`` (nothing can conflict): straight into the table, no staging and no merge."""
    if fresh:
        _copy_rows(cursor, plan.copy_fresh, params)
        return len(params)
    cursor.execute(plan.clear)
    _copy_rows(cursor, plan.copy, params)
    cursor.execute(plan.merge)
    return max(int(cursor.rowcount), 0)


def _copy_rows(cursor: Any, statement: str, params: Sequence[Sequence[Any]]) -> None:
    with cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in params:
            write_row(row)


def _copy_plan(
    kind: str,
    table: Table,
    order: Sequence[str],
    key_names: Sequence[str],
    data_columns: Sequence[str],
) -> CopyPlan:
    dialect = driver_dialect("postgresql", "copy is")
    quote = dialect.identifier_preparer.quote
    stage_name = f"import_stage_{kind}"
    stage = Table(
        stage_name,
        MetaData(),
        *(Column(name, table.c[name].type) for name in order),
        schema="pg_temp",  # never a permanent table of that name on the search path
    )
    columns = ", ".join(quote(name) for name in order)
    statement: Any = postgresql.insert(table).from_select(
        list(order), select(*(stage.c[name] for name in order))
    )
    set_: dict[str, Any] = {name: statement.excluded[name] for name in data_columns}
    set_["updated_at"] = func.now()
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key_names],
        set_=set_,
        where=or_(
            *(table.c[name].is_distinct_from(statement.excluded[name]) for name in data_columns)
        ),
    )
    # ON COMMIT DROP as well: a file whose transaction ends without reaching the drop (it
    # failed) leaves nothing behind on the pooled connection.
    return CopyPlan(
        create=f"CREATE TEMPORARY TABLE {quote(stage_name)} ON COMMIT DROP AS SELECT {columns}"
        f" FROM {quote(table.name)} WITH NO DATA",
        drop=f"DROP TABLE IF EXISTS pg_temp.{quote(stage_name)}",
        clear=f"TRUNCATE pg_temp.{quote(stage_name)}",
        copy=f"COPY pg_temp.{quote(stage_name)} ({columns}) FROM STDIN",
        merge=str(statement.compile(dialect=dialect)),
        copy_fresh=f"COPY {quote(table.name)} ({columns}) FROM STDIN",
    )


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
        staged=(
            _copy_plan(kind, table, order, key_names, data_columns)
            if dialect_name == "postgresql"
            else None
        ),
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
# PostgreSQL's memory for the sorts that build a bulk-loaded table's indexes again.
BULK_INDEX_MEMORY = "256MB"


@contextmanager
def prepared_for_import(
    connection: Connection, kind: str, plan: WritePlan, *, fresh: bool
) -> Iterator[None]:
    """What the store needs while a file of ``kind`` is imported: PostgreSQL its staging
    table, or (``fresh``: the table empty and held) its indexes set aside where the store's
    user owns it; SQLite a larger page cache."""
    table = TABLES[kind][0]
    if plan.staged is None:
        with tuned_for_import(connection):
            yield
    elif fresh and _owned(connection, table):
        with _bulk_loading(connection, table):
            yield
    elif fresh:  # copied straight in, the indexes kept: only the table's owner may drop them
        yield
    else:
        with _staging(connection, plan.staged):
            yield


def _owned(connection: Connection, table: Table) -> bool:
    """Whether the store's user may alter ``table`` (its owner, or a member of the owning
    role): a store may be run by a role that only reads and writes rows."""
    owned = connection.execute(
        text(
            "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = CAST(:name AS regclass)"
        ),
        {"name": table.name},
    ).scalar()
    return bool(owned)


@contextmanager
def _bulk_loading(connection: Connection, table: Table) -> Iterator[None]:
    """PostgreSQL, a file into an empty table this transaction holds: the table's indexes
    and its unique and foreign-key constraints (all but the primary key) are dropped for the
    load and made again after it, as PostgreSQL's manual advises for populating a database:
    an index built from the loaded rows costs a fraction of one updated row by row, and a
    foreign key checked in one join a fraction of a check per row. They are made again in
    the file's transaction and check every loaded row: a violation fails the file, and its
    rollback brings them back as they were."""
    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    constraints = sorted(
        (c for c in table.constraints if isinstance(c, UniqueConstraint | ForeignKeyConstraint)),
        key=lambda constraint: str(constraint.name),
    )
    for constraint in constraints:
        connection.execute(DropConstraint(constraint))
    for index in indexes:
        connection.execute(DropIndex(index))
    yield
    # sorts of the index builds in memory rather than on disk (this transaction's own)
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_INDEX_MEMORY}'")
    for constraint in constraints:
        connection.execute(AddConstraint(constraint))
    for index in indexes:
        connection.execute(CreateIndex(index))


@contextmanager
def _staging(connection: Connection, plan: CopyPlan) -> Iterator[None]:
    """The staging table for the file, in its transaction: dropped when the file is done, and
    with the transaction if it fails first (``ON COMMIT DROP``, or its rollback)."""
    connection.exec_driver_sql(plan.create)
    yield
    connection.exec_driver_sql(plan.drop)


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
