"""The CSV import with its forked reader/converter worker (used for large files), forced on
for small files: the same results, rejects and transaction boundaries as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.importing.test_import import BILLS, count, load, write_csv
from utilcredit.customers.tables import BillRow
from utilcredit.importing import pipeline
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.repository import upserts
from utilcredit.importing.runner import import_paths


@pytest.fixture(autouse=True)
def always_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pipeline.can_fork()
    monkeypatch.setattr(pipeline, "WORKER_MIN_BYTES", 0)


@pytest.fixture
def base(engine: Engine, tmp_path: Path) -> Path:
    from tests.integration.importing.test_import import ACCOUNTS, SUBJECTS

    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    write_csv(folder / "bills.csv", BILLS)
    reports = load(engine, folder)
    assert all(r.result and not r.rejects for r in reports)
    return folder


def test_bad_rows_are_reported_in_row_order_and_good_rows_load(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    good = ["B010", "W001", "2026-03-01", "2026-03-31", "10", "m3", "40.00", "2026-04-15"]
    rows = [BILLS[0]]
    for i in range(30):  # several batches of 4 rows
        rows.append([f"G{i:03d}", *good[1:]])
    rows += [
        ["B011", "W001", "2026-03-01", "2026-03-31", "10", "m3", "", "2026-04-15"],
        ["B012", "W001", "2026-03-01", "2026-03-31", "10", "m3", "40.00", "2026-04-31"],
        ["B013", "W999", "2026-03-01", "2026-03-31", "10", "m3", "40.00", "2026-04-15"],
        ["G000", "W001", "2026-03-01", "2026-03-31", "10", "m3", "41.00", "2026-04-15"],
        [" B014 ", "W001", "2026/03/01", "2026-03-31", "1000.5000", "m3", "40", "2026-04-15"],
    ]
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", rows), batch_rows=4)
    assert report.result is not None
    assert [(r.row, r.field) for r in report.rejects] == [
        (32, "amount"),
        (33, "due_on"),
        (34, "account_no"),
        (35, "bill_no"),
    ]
    assert report.result.rows_read == 35
    assert (report.result.inserted, report.result.rejected_rows) == (31, 4)
    assert count(engine, BillRow) == 33
    again = load(engine, tmp_path / "bills.csv", batch_rows=4)[0].result
    assert again is not None and (again.inserted, again.updated, again.unchanged) == (0, 0, 31)


def test_a_failure_mid_file_rolls_back_and_stops_the_worker(
    engine: Engine, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [BILLS[0]] + [
        [f"C{i:03d}", "W001", "2026-03-01", "2026-03-31", "1", "m3", "1.00", "2026-04-15"]
        for i in range(50)
    ]
    path = write_csv(tmp_path / "bills.csv", rows)
    real_upsert = upserts.upsert
    calls = {"n": 0}

    def failing_upsert(*args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_upsert(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(upserts, "upsert", failing_upsert)
    report = import_paths(engine, [path], actor="test", batch_rows=10).files[0]
    assert report.result is None and "disk full" in (report.error or "")
    assert count(engine, BillRow) == 2


def test_an_unreadable_file_fails_in_the_worker_and_the_import_rolls_back(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bills.csv"
    good = ",".join(["D001", "W001", "2026-03-01", "2026-03-31", "1", "m3", "1.00", "2026-04-15"])
    endless = "x" * (2 << 20)  # one line longer than the limit: not a text file
    path.write_text(",".join(BILLS[0]) + "\n" + good + "\n" + endless + "\n")
    limits = ImportLimits(max_line_bytes=1 << 20)
    report = import_paths(engine, [path], actor="test", batch_rows=1, limits=limits).files[0]
    assert "longer than 1048576 bytes" in (report.error or "")
    assert count(engine, BillRow) == 2
