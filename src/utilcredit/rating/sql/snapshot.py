"""A columnar copy of the credit file for DuckDB: the batch fast path's input.

DuckDB reads a SQLite store through the ``sqlite`` extension row by row (≈ 1 M rows/s), so at
provincial scale scanning the store costs far more than rating it. The snapshot is a DuckDB
database file beside the SQLite file (``utilcredit.db`` → ``utilcredit.db.columnar.duckdb``)
holding the tables the compiled query reads, under the same names: the same query runs on it
unchanged, at DuckDB's native speed.

Correctness never depends on the snapshot being there or current. It records a *fingerprint* of
the store (:func:`fingerprint`: the layout of the copied columns, the newest import run, and per
table the highest id and the newest ``updated_at``) read before copying and checked again after;
a copy made while the store changed is discarded. A rating uses the snapshot only when its
fingerprint equals the store's at that moment, else it refreshes it or reads the store directly.
Every write to the credit file is an import run or moves a table's highest id or newest
``updated_at`` (a set-aside mark moves it past the table's newest stamp:
``customers.writes.set_aside_evidence``), so a change always shows; the product never
deletes credit-file rows (imports upsert), and code that does must :func:`drop_snapshot`. A
credit commitment's status moves in place (``commitments``), perhaps within the second of the
table's newest stamp (SQLite stores seconds), so the fingerprint also counts the commitments
that ended (breached, expired, withdrawn): a commitment never comes back from an end, so every
change that stops one from standing moves that count; the others (accepted, fulfilled) leave
it standing, which is all a rule reads of its status.

**Incremental refresh.** A refresh usually starts from a copy of the published snapshot and
rewrites only the rows changed since its fingerprint (:func:`update_statements`): per table the
rows with a higher id or a newer ``updated_at`` (less :data:`STAMP_SLACK`), found by SQLite
itself through the primary key and the ``updated_at`` index, replace their old versions by id;
the bills those rows touch are settled again; the commitments (few, and their status moves in
place) are copied whole. Its cost grows with the changed rows, not with the store, but for a
file copy of the snapshot and scans of its key columns. Once a quarter of the snapshot's rows
(:data:`FULL_COPY_SHARE`) were rewritten since its last whole copy, or when the layout
changed, the store is copied whole again. ``test_snapshot`` holds an updated snapshot equal to
a whole copy.

The copy is made by a child process (:mod:`~utilcredit.rating.sql.copier`: DuckDB's own copy of
SQLite must never open the store in a process that holds it open with Python's ``sqlite3``),
written under a temporary name and moved into place (``rename``): a reader has the old file or
the new one, never half of one. PostgreSQL stores are read directly (DuckDB's ``postgres``
extension copies in binary and in parallel); the snapshot is for SQLite files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.engine import URL

from utilcredit.customers.model import COMMITMENT_ENDED
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.importing.tables import ImportRunRow

# What the compiled query reads (rating/sql/compiler.py), in the order they are copied.
SNAPSHOT_TABLES: tuple[Table, ...] = tuple(
    row.__table__  # type: ignore[misc]
    for row in (
        SubjectRow,
        AccountRow,
        BillRow,
        PaymentRow,
        IncidentRow,
        CreditReportRow,
        CommitmentRow,
    )
)
_BOOKKEEPING = frozenset({"created_at", "updated_at"})  # not read by any rule
# The columns of a commitment a rule reads: its letter, liability and filled blanks (long
# text, JSON) are read by none.
RATED_COMMITMENT_COLUMNS = (
    "id",
    "code",
    "subject_id",
    "utility",
    "commitment_type",
    "made_on",
    "valid_until",
    "status",
    "status_on",
)
# Tables of which only some columns are copied.
_ONLY: dict[str, tuple[str, ...]] = {"commitments": RATED_COMMITMENT_COLUMNS}
_META = "snapshot_meta"
SUFFIX = ".columnar.duckdb"

# The snapshot's bills carry two derived columns (never in the store): what the bill's payments
# come to, independent of the as-of date D. ``paid_by_due``: paid on or before the due date;
# ``settled_on``: the first day the payments so far cover the amount (NULL: never). For a bill
# due before D (the only ones rated) its payments by the due date are payments by D, and it is
# unpaid at D exactly when it was not settled on or before D — so the batch query reads neither
# the payments nor a group-by over them (compiler.bills_with_payments). Only the columns the
# query reads are declared; the table holds all of the store's.
SNAPSHOT_BILLS = Table(
    "bills",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("account_id", BigInteger),
    Column("bill_no", String),
    Column("due_on", Date),
    Column("amount_fen", BigInteger),
    Column("set_aside_by", Integer),
    Column("paid_by_due", BigInteger),
    Column("settled_on", Date),
)
_SETTLEMENT_SELECT = """
WITH running AS (
    SELECT p.bill_id, p.paid_on, p.amount_fen,
           -- RANGE: payments on the same day count together
           sum(p.amount_fen) OVER (PARTITION BY p.bill_id ORDER BY p.paid_on
                                   RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS paid_so_far
    FROM {payments} p
), settlement AS (
    SELECT b.id AS bill_id,
           CAST(coalesce(sum(CASE WHEN r.paid_on <= b.due_on THEN r.amount_fen END), 0) AS BIGINT)
               AS paid_by_due,
           CASE WHEN b.amount_fen <= 0 THEN DATE '0001-01-01'
                ELSE min(CASE WHEN r.paid_so_far >= b.amount_fen THEN r.paid_on END)
           END AS settled_on
    FROM {bills} b LEFT JOIN running r ON r.bill_id = b.id
    GROUP BY b.id, b.due_on, b.amount_fen
)
SELECT b.*, s.paid_by_due, s.settled_on
FROM {bills} b JOIN settlement s ON s.bill_id = b.id
ORDER BY b.id
"""


def settlement_statements(target: str) -> list[str]:
    """What gives ``target.bills`` the derived columns of :data:`SNAPSHOT_BILLS`."""
    select = _SETTLEMENT_SELECT.format(bills=f"{target}.bills", payments=f"{target}.payments")
    return [
        f"CREATE TABLE {target}.bills_settled AS {select}",
        f"DROP TABLE {target}.bills",
        f"ALTER TABLE {target}.bills_settled RENAME TO bills",
    ]


def write_settlement(duck: Any, target: str) -> None:
    """Give ``target.bills`` the derived columns of :data:`SNAPSHOT_BILLS`."""
    for statement in settlement_statements(target):
        duck.execute(statement)


def has_settlement(duck: Any) -> bool:
    """Whether DuckDB's current catalog is a snapshot whose bills carry :data:`SNAPSHOT_BILLS`'
    derived columns."""
    row = duck.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_catalog = "
        "current_database() AND table_name = 'bills' AND column_name = 'settled_on'"
    ).fetchone()
    return bool(row and row[0])


def snapshot_path(url: URL) -> Path | None:
    """Where the snapshot of this store lives; None for stores that are read directly."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).with_name(Path(str(url.database)).name + SUFFIX)


def drop_snapshot(url: URL) -> None:
    """Remove the snapshot. The product never deletes credit-file rows; code that does (test
    fixtures emptying a store) must call this, since a delete need not move the fingerprint."""
    path = snapshot_path(url)
    if path is not None:
        path.unlink(missing_ok=True)


def copied_columns(table: Table) -> list[str]:
    only = _ONLY.get(table.name)
    return [
        column.name
        for column in table.columns
        if column.name not in _BOOKKEEPING and (only is None or column.name in only)
    ]


def layout() -> str:
    """The copied tables and columns: part of the fingerprint, so a snapshot copied before the
    schema gained a column the query reads (``set_aside_by``) is never used after it."""
    text = ";".join(f"{t.name}:{','.join(copied_columns(t))}" for t in SNAPSHOT_TABLES)
    return "layout:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(connection: Connection) -> list[Any]:
    """What the snapshot must match: the copied layout, then one row of maxima, all read by
    primary key or index. A change to the credit file moves a maximum: a new row the highest
    id, an update (an import, a set-aside mark) the newest ``updated_at``."""
    maxima: list[Any] = [select(func.max(ImportRunRow.id)).scalar_subquery()]
    for table in SNAPSHOT_TABLES:
        maxima.append(select(func.max(table.c.id)).scalar_subquery())
        maxima.append(select(func.max(table.c.updated_at)).scalar_subquery())
    ended = sorted(status.value for status in COMMITMENT_ENDED)
    commitments = CommitmentRow.__table__
    maxima.append(select(func.count()).where(commitments.c.status.in_(ended)).scalar_subquery())
    row = connection.execute(select(*maxima)).one()
    return [layout()] + [
        value.isoformat() if hasattr(value, "isoformat") else value for value in row
    ]


def read_fingerprint(duck: Any, catalog: str) -> list[Any] | None:
    """The fingerprint recorded in an attached snapshot (None if it has none)."""
    try:
        row = duck.execute(f"SELECT fingerprint FROM {catalog}.{_META}").fetchone()
    except Exception:
        return None
    return None if row is None else list(json.loads(row[0]))


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """What a snapshot says of itself: the store's fingerprint it matches, about how many rows
    it holds, and how many incremental refreshes rewrote since its last full copy."""

    fingerprint: list[Any]
    rows: int
    replaced: int


def read_meta(duck: Any, catalog: str) -> SnapshotMeta | None:
    """The meta of an attached snapshot; None for one without it (an older version's)."""
    printed = read_fingerprint(duck, catalog)
    try:
        (replaced,) = duck.execute(f"SELECT replaced FROM {catalog}.{_META}").fetchone()
    except Exception:
        return None
    # the catalog's estimate (rows stored, deleted ones included): a count would scan
    (rows,) = duck.execute(
        "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
        f"WHERE database_name = ? AND table_name <> '{_META}'",
        [catalog],
    ).fetchone()
    if printed is None:
        return None
    return SnapshotMeta(printed, int(rows), int(replaced))


# --------------------------------------------------------------------------------------------
# Incremental refresh: the rows changed since a snapshot's fingerprint
# --------------------------------------------------------------------------------------------

# Past this share of a snapshot's rows rewritten since its last full copy, a refresh copies the
# store whole again: DuckDB keeps the deleted rows' space until then, and scans skip them.
FULL_COPY_SHARE = 0.25
# A row changed after a snapshot was copied is stamped no earlier than the newest stamp the
# snapshot holds in any table, less this. SQLite has one writer: a transaction the copy did not
# see began after the last one it saw committed, so its stamps (the clock) are no earlier than
# every stamp the copy holds, but for the rounding of an import's CURRENT_TIMESTAMP to the second
# while a set-aside mark stamps a microsecond past its table's newest stamp.
STAMP_SLACK = dt.timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class TableMark:
    """What a fingerprint says of one table: its highest id, and the newest ``updated_at`` of
    any table (see :data:`STAMP_SLACK`)."""

    max_id: int
    newest: dt.datetime | None

    def since(self) -> str | None:
        """The stamp from which a row counts as changed, as SQLite stores stamps (text)."""
        if self.newest is None:
            return None
        return (self.newest - STAMP_SLACK).strftime("%Y-%m-%d %H:%M:%S")


def table_marks(printed: list[Any]) -> dict[str, TableMark]:
    """Each table's mark in a fingerprint (:func:`fingerprint`'s order: the layout, the newest
    import run, then a highest id and a newest stamp per table)."""
    pairs = [printed[2 + 2 * index : 4 + 2 * index] for index in range(len(SNAPSHOT_TABLES))]
    stamps = [dt.datetime.fromisoformat(newest) for _, newest in pairs if newest]
    newest = max(stamps) if stamps else None
    return {
        table.name: TableMark(int(max_id or 0), newest)
        for table, (max_id, _) in zip(SNAPSHOT_TABLES, pairs, strict=True)
    }


def count_changed(connection: Connection, table: Table, mark: TableMark) -> int:
    """At most how many rows of ``table`` changed since ``mark`` (two index range counts)."""
    counted = connection.execute(select(func.count()).where(table.c.id > mark.max_id)).scalar_one()
    since = mark.since()
    if since is not None:
        counted += connection.execute(
            select(func.count()).where(table.c.updated_at >= since)
        ).scalar_one()
    return int(counted)


def _changed_rows_sql(table: Table, mark: TableMark) -> str:
    """SQLite's own query for the rows of ``table`` changed since ``mark``: run inside SQLite
    (``sqlite_query``), where the primary key and the ``updated_at`` index serve it; DuckDB's
    scan of an attached SQLite table would read every row."""
    columns = ", ".join(f'"{name}"' for name in copied_columns(table))
    conditions = [f"id > {mark.max_id}"]
    since = mark.since()
    if since is not None:
        conditions.append(f"updated_at >= '{since}'")
    return " UNION ".join(
        f'SELECT {columns} FROM "{table.name}" WHERE {condition}' for condition in conditions
    )


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _take_changed(table: Table, mark: TableMark) -> list[str]:
    """``changed_<table>``: the changed rows, typed as the snapshot's table."""
    name = table.name
    columns = ", ".join(f'"{column}"' for column in copied_columns(table))
    return [
        f'CREATE TEMP TABLE "changed_{name}" AS SELECT {columns} FROM snapshot_new."{name}" '
        "LIMIT 0",
        f'INSERT INTO "changed_{name}" BY NAME SELECT * FROM '
        f"sqlite_query('store', {_quoted(_changed_rows_sql(table, mark))})",
    ]


def _replace_changed(name: str) -> list[str]:
    return [
        f'DELETE FROM snapshot_new."{name}" WHERE id IN (SELECT id FROM "changed_{name}")',
        f'INSERT INTO snapshot_new."{name}" BY NAME SELECT * FROM "changed_{name}"',
    ]


def _resettle_bills() -> list[str]:
    """Bring the bills, with their derived columns, up to date: every changed bill and every
    bill a changed payment belongs to, or belonged to, is settled again from its payments.
    Those bills are read from the store by id (``{ids:…}``: the copier writes out the ids of a
    table it holds), since a scan of the snapshot's bills would read every column of every
    row."""
    bill_columns = ", ".join(f'"{name}"' for name in copied_columns(BillRow.__table__))  # type: ignore[arg-type]
    settle = _SETTLEMENT_SELECT.format(bills="bills_base", payments="payments_base")
    return [
        "CREATE TEMP TABLE resettled AS SELECT id FROM changed_bills "
        "UNION SELECT bill_id FROM changed_payments "
        "UNION SELECT bill_id FROM snapshot_new.payments "
        "WHERE id IN (SELECT id FROM changed_payments)",
        *_replace_changed("payments"),
        f"CREATE TEMP TABLE bills_base AS SELECT {bill_columns} FROM snapshot_new.bills LIMIT 0",
        "INSERT INTO bills_base BY NAME SELECT * FROM sqlite_query('store', "
        + _quoted(f"SELECT {bill_columns} FROM bills WHERE id IN ({{ids:resettled}})")
        + ")",
        # their payments, as the snapshot now has them: a columnar scan of three columns,
        # where SQLite would read pages all over its file
        "CREATE TEMP TABLE payments_base AS SELECT bill_id, paid_on, amount_fen "
        "FROM snapshot_new.payments WHERE bill_id IN (SELECT id FROM resettled)",
        "DELETE FROM snapshot_new.bills WHERE id IN (SELECT id FROM resettled)",
        f"INSERT INTO snapshot_new.bills BY NAME {settle}",
    ]


def update_statements(published: SnapshotMeta, before: list[Any]) -> list[tuple[str, list[Any]]]:
    """What the copier runs to bring ``snapshot_new`` (a copy of the published snapshot, whose
    meta is ``published``) up to the store's fingerprint ``before``: the rows each table
    changed since the published fingerprint are taken from the store and replace their old
    versions, by id (the product never deletes credit-file rows); the commitments, whose status
    can move in place without a new stamp, and which are few, are copied whole."""
    marks = table_marks(published.fingerprint)
    statements: list[str] = []
    changed: list[str] = []
    for table in SNAPSHOT_TABLES:
        if table.name == "commitments":
            continue
        statements += _take_changed(table, marks[table.name])
        changed.append(f'(SELECT count(*) FROM "changed_{table.name}")')
        if table.name not in ("bills", "payments"):
            statements += _replace_changed(table.name)
    statements += _resettle_bills()
    commitment_columns = ", ".join(f'"{name}"' for name in RATED_COMMITMENT_COLUMNS)
    statements += [
        "DELETE FROM snapshot_new.commitments",
        f"INSERT INTO snapshot_new.commitments ({commitment_columns}) "
        f"SELECT {commitment_columns} FROM commitments",
    ]
    with_parameters: list[tuple[str, list[Any]]] = [(statement, []) for statement in statements]
    with_parameters += [
        (f"DELETE FROM snapshot_new.{_META}", []),
        (
            f"INSERT INTO snapshot_new.{_META} SELECT ?, ? + {' + '.join(changed)}",
            [json.dumps(before), published.replaced],
        ),
    ]
    return with_parameters


def copy_statements(before: list[Any] | None, *, settle: bool) -> list[tuple[str, list[Any]]]:
    """What the copier (:mod:`~utilcredit.rating.sql.copier`) runs to copy the tables the compiled
    query reads from the store (DuckDB's current catalog) into the new file ``snapshot_new``.

    ``settle``: give the bills their :data:`SNAPSHOT_BILLS` columns; ``before``: the store's
    fingerprint read before copying, recorded in the file (a snapshot). The caller checks the
    store's fingerprint again afterwards and calls :func:`publish` only if it is still ``before``.
    """
    statements: list[tuple[str, list[Any]]] = []
    for table in SNAPSHOT_TABLES:
        columns = ", ".join(f'"{name}"' for name in copied_columns(table))
        statements.append(
            (
                f'CREATE TABLE snapshot_new."{table.name}" AS SELECT {columns} FROM "{table.name}"',
                [],
            )
        )
    if settle:
        statements += [(statement, []) for statement in settlement_statements("snapshot_new")]
    if before is not None:
        statements.append(
            (f"CREATE TABLE snapshot_new.{_META} (fingerprint VARCHAR, replaced BIGINT)", [])
        )
        statements.append((f"INSERT INTO snapshot_new.{_META} VALUES (?, 0)", [json.dumps(before)]))
    return statements


def publish(temporary: Path, path: Path) -> None:
    temporary.replace(path)
    Path(str(temporary) + ".wal").unlink(missing_ok=True)
