"""The store as Parquet, partitioned by subject: the Spark engine's input (docs/spark.md).

``utilcredit db export-parquet DIR`` (and the Spark engine before it rates) writes the columns the
compiled query reads, and no others — no names, telephone numbers or addresses leave the store —
one folder per table, Hive-partitioned by ``part = subject id // part_subjects``::

    DIR/_manifest.json              layout, and each (table, part)'s content hash
    DIR/bills/part=0/data_0.parquet
    DIR/bills/part=1/data_0.parquet …

A row belongs to its subject's part (a bill through its account), so a subject's whole credit
file is in one part of each table. The source is what DuckDB rates from on one machine: the
columnar snapshot of a SQLite store (refreshed first when stale, so the bills carry their
settlement and payments are not exported), or a PostgreSQL store read through DuckDB's
``postgres`` extension (bills and payments as they are).

**Incremental.** Every export hashes each part of each table in the source (one scan, in DuckDB:
row count and the XOR of the rows' hashes) and rewrites only the parts whose hash differs from
the manifest's, in one pass per table; parts that emptied are removed. A changed layout (a new
column, the other bill form, another ``part_subjects``) rewrites everything. Replacing a part is
a rename of a folder written beside it, and the manifest is written last (also by rename), under
an exclusive lock on ``DIR/.lock``: a reader that takes the lock shared (the Spark engine) sees
one whole export.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from utilcredit.rating.sql.snapshot import RATED_COMMITMENT_COLUMNS

MANIFEST = "_manifest.json"
LOCK = ".lock"
FORMAT = 1
PART_SUBJECTS = 65_536  # subjects per part: 16 parts at 1 M subjects

# The columns the compiled query reads (rating/sql/aggregates.py), per table.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "subjects": ("id", "code"),
    "accounts": ("id", "account_no", "subject_id", "utility", "opened_on", "payment_mode"),
    "bills": ("id", "bill_no", "account_id", "amount_fen", "due_on", "set_aside_by"),
    "payments": ("id", "bill_id", "paid_on", "amount_fen"),
    "incidents": (
        "id",
        "incident_no",
        "account_id",
        "kind",
        "occurred_on",
        "amount_fen",
        "asset_class",
        "severity",
        "set_aside_by",
    ),
    "credit_reports": (
        "id",
        "subject_id",
        "source",
        "issued_on",
        "has_dishonesty",
        "rating",
        "on_serious_list",
    ),
    "commitments": RATED_COMMITMENT_COLUMNS,
}
_SETTLEMENT = ("paid_by_due", "settled_on")  # the snapshot's derived bill columns

# How each table's rows find their subject (the part key), as a FROM clause and an expression.
_SUBJECT_OF: dict[str, tuple[str, str]] = {
    "subjects": ("subjects t", "t.id"),
    "accounts": ("accounts t", "t.subject_id"),
    "bills": ("bills t JOIN accounts a ON a.id = t.account_id", "a.subject_id"),
    "payments": (
        "payments t JOIN bills b ON b.id = t.bill_id JOIN accounts a ON a.id = b.account_id",
        "a.subject_id",
    ),
    "incidents": ("incidents t JOIN accounts a ON a.id = t.account_id", "a.subject_id"),
    "credit_reports": ("credit_reports t", "t.subject_id"),
    "commitments": ("commitments t", "t.subject_id"),
}


@dataclass
class Manifest:
    """What an export holds: its layout, and per table its column types and parts' hashes."""

    settled: bool  # bills carry paid_by_due / settled_on (payments not exported)
    part_subjects: int
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # table → (name, type)
    parts: dict[str, dict[str, str]] = field(default_factory=dict)  # table → part → hash
    exported_at: float = 0.0

    @property
    def layout(self) -> list[Any]:
        return [FORMAT, self.settled, self.part_subjects, self.columns]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "settled": self.settled,
                "part_subjects": self.part_subjects,
                "columns": self.columns,
                "parts": self.parts,
                "exported_at": self.exported_at,
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != FORMAT:
            return None
        return cls(
            settled=bool(data["settled"]),
            part_subjects=int(data["part_subjects"]),
            columns={t: [(str(c[0]), str(c[1])) for c in cs] for t, cs in data["columns"].items()},
            parts={t: dict(ps) for t, ps in data["parts"].items()},
            exported_at=float(data.get("exported_at", 0.0)),
        )


@dataclass(frozen=True)
class ExportReport:
    directory: Path
    settled: bool
    parts: int  # parts in the export, all tables
    written: int  # parts (re)written by this export
    removed: int  # parts removed (emptied)
    rows_written: int
    seconds: float


def exported_tables(settled: bool) -> tuple[str, ...]:
    """The tables of an export: with settled bills, payments are already summed into them."""
    return tuple(t for t in _COLUMNS if not (settled and t == "payments"))


def _columns(table: str, settled: bool) -> tuple[str, ...]:
    return _COLUMNS[table] + (_SETTLEMENT if settled and table == "bills" else ())


def _select(table: str, settled: bool, part_subjects: int) -> str:
    """The table's exported rows with their part."""
    source, subject = _SUBJECT_OF[table]
    columns = ", ".join(f't."{name}"' for name in _columns(table, settled))
    return f"SELECT {columns}, ({subject}) // {int(part_subjects)} AS part FROM {source}"


def _part_hashes(duck: Any, table: str, settled: bool, part_subjects: int) -> dict[str, str]:
    names = ", ".join(f'"{name}"' for name in _columns(table, settled))
    rows = duck.execute(
        f"SELECT part, count(*), bit_xor(hash({names})) "
        f"FROM ({_select(table, settled, part_subjects)}) GROUP BY part"
    ).fetchall()
    return {str(part): f"{count}:{digest}" for part, count, digest in rows}


def _column_types(duck: Any, table: str, settled: bool) -> list[tuple[str, str]]:
    rows = duck.execute(f"DESCRIBE {_select(table, settled, 1)}").fetchall()
    return [(str(row[0]), str(row[1])) for row in rows if row[0] != "part"]


@contextlib.contextmanager
def locked(directory: Path, *, exclusive: bool) -> Iterator[None]:
    """The export's lock: exclusive while it is written, shared while it is read."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK).open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export(
    duck: Any, directory: Path, *, settled: bool, part_subjects: int = PART_SUBJECTS
) -> ExportReport:
    """Bring the Parquet export at ``directory`` up to date with DuckDB's current catalog
    (a snapshot or an attached store; ``settled``: its bills carry their settlement)."""
    started = time.perf_counter()
    with locked(directory, exclusive=True):
        old = Manifest.read(directory)
        new = Manifest(settled, part_subjects)
        for table in exported_tables(settled):
            new.columns[table] = _column_types(duck, table, settled)
        if old is not None and old.layout != new.layout:
            old = None  # another layout: nothing of the old export is reused
        if old is None:
            _clear(directory)
        written = removed = rows = 0
        for table in exported_tables(settled):
            new.parts[table] = _part_hashes(duck, table, settled, part_subjects)
            before = old.parts.get(table, {}) if old is not None else {}
            changed = sorted(p for p, h in new.parts[table].items() if before.get(p) != h)
            gone = sorted(set(before) - set(new.parts[table]))
            if changed:
                rows += _write_parts(duck, directory, table, settled, part_subjects, changed)
            for part in gone:
                shutil.rmtree(directory / table / f"part={part}", ignore_errors=True)
            written += len(changed)
            removed += len(gone)
        new.exported_at = time.time()
        temporary = directory / (MANIFEST + ".tmp")
        temporary.write_text(new.to_json(), encoding="utf-8")
        temporary.replace(directory / MANIFEST)
    return ExportReport(
        directory,
        settled,
        sum(len(parts) for parts in new.parts.values()),
        written,
        removed,
        rows,
        time.perf_counter() - started,
    )


def _clear(directory: Path) -> None:
    (directory / MANIFEST).unlink(missing_ok=True)
    for table in _COLUMNS:
        shutil.rmtree(directory / table, ignore_errors=True)


def _write_parts(
    duck: Any, directory: Path, table: str, settled: bool, part_subjects: int, parts: list[str]
) -> int:
    """Write the given parts of a table in one pass beside the export, then move each in."""
    staging = directory / f".staging-{table}"
    shutil.rmtree(staging, ignore_errors=True)
    wanted = ", ".join(str(int(part)) for part in parts)
    query = (
        f"SELECT * FROM ({_select(table, settled, part_subjects)}) "
        f"WHERE part IN ({wanted}) ORDER BY part, id"
    )
    copied = duck.execute(
        f"COPY ({query}) TO '{_sql_text(staging)}' "
        "(FORMAT parquet, PARTITION_BY (part), COMPRESSION zstd)"
    ).fetchone()  # COPY answers with the number of rows it wrote
    target = directory / table
    target.mkdir(parents=True, exist_ok=True)
    for part in parts:
        fresh = staging / f"part={part}"
        final = target / f"part={part}"
        retired = target / f".retired-part={part}"
        if final.exists():
            final.replace(retired)
        fresh.replace(final)
        shutil.rmtree(retired, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return int(copied[0])


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def part_folders(directory: Path, table: str) -> list[Path]:
    """The part folders of a table that hold data files."""
    folder = directory / table
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part=*") if any(p.glob("*.parquet")))
