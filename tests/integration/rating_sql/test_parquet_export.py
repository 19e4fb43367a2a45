"""The Parquet export (``db export-parquet``, the Spark engine's input), on both stores.

It holds what the rules read and nothing else, partitioned by subject; it is incremental (a
changed subject rewrites only the parts it is in, an unchanged store nothing) and an incremental
export reads back exactly as a fresh one; a changed layout rewrites the whole export.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, func, insert, select

from tests.integration.rating_sql.store_builders import (
    RAccount,
    RBill,
    RSubject,
    clear_store,
    write_population,
)
from tests.support.shell import run_cli
from utilcredit.customers.model import PaymentMode, Utility
from utilcredit.customers.tables import BillRow, PaymentRow
from utilcredit.rating.sql import parquet
from utilcredit.rating.sql.spark import export_store

PART_SUBJECTS = 16
_DAY = dt.date(2026, 6, 15)


def _population(count: int) -> list[RSubject]:
    subjects = []
    for index in range(count):
        code = f"S{index:04d}"
        subject = RSubject(code)
        subject.accounts.append(
            RAccount(f"{code}-A", Utility.POWER, dt.date(2020, 1, 1), PaymentMode.POSTPAID)
        )
        for month in (3, 4):
            bill = RBill(f"{code}-B{month}", f"{code}-A", dt.date(2026, month, 10), Decimal(120))
            bill.payments.append((f"{code}-P{month}", dt.date(2026, month, 20), Decimal(60)))
            subject.bills.append(bill)
        subjects.append(subject)
    return subjects


@pytest.fixture
def store(engine: Engine) -> Engine:
    with engine.begin() as connection:
        clear_store(connection)
        write_population(connection, _population(60))
    return engine


def _export(
    engine: Engine, directory: Path, part_subjects: int = PART_SUBJECTS
) -> parquet.ExportReport:
    with engine.connect() as connection:
        return export_store(connection, directory, part_subjects=part_subjects)


def _contents(directory: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of an export, its rows sorted (part included)."""
    manifest = parquet.Manifest.read(directory)
    assert manifest is not None
    contents: dict[str, list[tuple[Any, ...]]] = {}
    with duckdb.connect() as duck:
        for table in manifest.columns:
            if not parquet.part_folders(directory, table):  # no rows (no incidents here)
                contents[table] = []
                continue
            pattern = str(directory / table / "*" / "*.parquet")
            contents[table] = duck.execute(
                f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true) ORDER BY ALL"
            ).fetchall()
    return contents


def test_the_export_holds_what_the_rules_read_and_no_more(store: Engine, tmp_path: Path) -> None:
    report = _export(store, tmp_path / "pq")
    manifest = parquet.Manifest.read(tmp_path / "pq")
    assert manifest is not None
    assert [name for name, _ in manifest.columns["subjects"]] == ["id", "code"]
    with duckdb.connect() as duck:
        names = [
            row[0]
            for row in duck.execute(
                f"DESCRIBE SELECT * FROM '{tmp_path / 'pq' / 'subjects' / '*' / '*.parquet'}'"
            ).fetchall()
        ]
    assert "name" not in names and "phone" not in names and "legal_rep" not in names
    contents = _contents(tmp_path / "pq")
    assert len(contents["subjects"]) == 60
    assert len(contents["bills"]) == 120
    # a SQLite store is exported from its snapshot (bills settled); PostgreSQL as stored
    sqlite = store.dialect.name == "sqlite"
    assert report.settled is sqlite
    assert ("payments" in contents) is not sqlite
    assert report.written == report.parts > 1


def test_export_rewrites_only_the_parts_that_changed(store: Engine, tmp_path: Path) -> None:
    directory = tmp_path / "pq"
    first = _export(store, directory)
    assert first.written == first.parts and first.removed == 0

    unchanged = _export(store, directory)
    assert (unchanged.written, unchanged.removed, unchanged.rows_written) == (0, 0, 0)

    with store.begin() as connection:  # one subject pays the rest of one bill
        bill_id = connection.execute(
            select(BillRow.id).where(BillRow.bill_no == "S0007-B3")
        ).scalar_one()
        next_id = connection.execute(select(func.max(PaymentRow.id))).scalar_one() + 1000
        connection.execute(
            insert(PaymentRow),
            [
                {
                    "id": next_id,
                    "payment_no": "S0007-P3b",
                    "bill_id": bill_id,
                    "paid_on": _DAY,
                    "amount_fen": Decimal(60),
                }
            ],
        )
    changed = _export(store, directory)
    # the bills' part (SQLite: their settlement moved) or the payments' part (PostgreSQL)
    assert changed.written == 1 and changed.removed == 0
    assert 0 < changed.rows_written < first.rows_written

    fresh = tmp_path / "fresh"
    _export(store, fresh)
    assert _contents(directory) == _contents(fresh)


def test_a_new_layout_rewrites_the_whole_export(store: Engine, tmp_path: Path) -> None:
    directory = tmp_path / "pq"
    _export(store, directory)
    wider = _export(store, directory, part_subjects=PART_SUBJECTS * 4)
    assert wider.written == wider.parts
    manifest = json.loads((directory / parquet.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["part_subjects"] == PART_SUBJECTS * 4
    for table, parts in manifest["parts"].items():  # no folder of the old layout is left
        on_disk = {p.name.removeprefix("part=") for p in parquet.part_folders(directory, table)}
        assert on_disk == set(parts), table
    assert _contents(directory) == _contents(_fresh(store, tmp_path, PART_SUBJECTS * 4))


def _fresh(store: Engine, tmp_path: Path, part_subjects: int) -> Path:
    directory = tmp_path / f"fresh-{part_subjects}"
    _export(store, directory, part_subjects)
    return directory


@pytest.mark.sqlite_only
def test_export_parquet_command(store: Engine, store_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(
        store_env, "db", "export-parquet", str(tmp_path / "out"), "--part-subjects", "32"
    )
    assert result.returncode == 0, result.stderr
    assert "exported to" in result.stdout and "rewritten" in result.stdout
    assert (tmp_path / "out" / parquet.MANIFEST).exists()
    again = run_cli(
        store_env, "db", "export-parquet", str(tmp_path / "out"), "--part-subjects", "32"
    )
    assert "重写 / rewritten 0," in again.stdout


def test_export_parquet_refuses_a_store_duckdb_cannot_read(tmp_path: Path) -> None:
    env = {"UTILCREDIT_DATABASE_URL": "sqlite://", "UTILCREDIT_DATA_DIR": str(tmp_path)}
    result = run_cli(env, "db", "export-parquet", str(tmp_path / "out"))
    assert result.returncode != 0
    assert "DuckDB cannot read this store" in " ".join(result.stderr.split())
