"""PostgreSQL stores are written by COPY into a staging table and one merge per batch
(:mod:`utilcredit.importing.repository.upserts`): against the real server, the same rows,
counts and rejects as the SQLite path, idempotent re-imports, in-place updates that move
``updated_at`` only where a value changed, and a failed file that leaves nothing behind."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, Table, select, text

from tests.integration.importing.test_import import ACCOUNTS, BILLS, SUBJECTS, write_csv
from tests.support.stores import empty_tables
from utilcredit import schema
from utilcredit.customers.tables import (
    BillRow,
    SubjectRow,
)
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing import pipeline
from utilcredit.importing.repository import upserts
from utilcredit.importing.runner import FileReport, import_paths
from utilcredit.importing.tables import ImportRejectRow, ImportRunRow

pytestmark = pytest.mark.postgres

KIND_TABLES: dict[str, Table] = {kind: table for kind, (table, *_) in upserts.TABLES.items()}
# Text that COPY's text format must escape (tab, new line, backslash, "\N" for NULL) and text
# it must keep as it is (Chinese, quotes, commas), in a subject's name and address.
TRICKY_NAME = 'Tab\there \\N "引号", 反斜杠\\ end'
TRICKY_ADDRESS = "第一行\n第二行\r\n\\.\\N"


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    schema.upgrade(engine)
    empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def _sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('copy') / 'utilcredit.db'}")
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite(_sqlite_store: Engine) -> Engine:
    empty_tables(_sqlite_store)
    return _sqlite_store


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo data set (every kind), with a subject whose text COPY must escape, a row
    with a bad field, a row naming an unknown parent and a duplicate key."""
    folder = tmp_path_factory.mktemp("demo")
    generate(DemoSpec(subjects=150, years=1), folder, workers=1)
    _edit_csv(folder / "subjects.csv", _tricky_subject)
    _edit_csv(folder / "bills.csv", _bad_bills)
    _edit_csv(folder / "payments.csv", _bad_payments)
    return folder


def _edit_csv(path: Path, edit: Callable[[list[list[str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _tricky_subject(rows: list[list[str]]) -> None:
    header = rows[0]
    rows[1][header.index("name")] = TRICKY_NAME
    rows[1][header.index("address")] = TRICKY_ADDRESS


def _bad_bills(rows: list[list[str]]) -> None:
    header = rows[0]
    rows[3][header.index("amount")] = "12.345"  # three decimal places: a bad amount
    rows[5][header.index("account_no")] = "NO-SUCH-ACCOUNT"
    rows.append(list(rows[7]))  # a duplicate of row 8 (row 1 is the header)


def _bad_payments(rows: list[list[str]]) -> None:
    header = rows[0]
    rows[2][header.index("paid_on")] = "2026-13-01"


def _load(engine: Engine, folder: Path, batch_rows: int = 97) -> list[FileReport]:
    """Small batches: every file takes several, so the staging table is reused and cleared."""
    report = import_paths(engine, [folder], actor="test", batch_rows=batch_rows)
    return report.files


def _outcome(reports: list[FileReport]) -> list[tuple[Any, ...]]:
    """What the importer reports of each file: counts and every reject."""
    outcome = []
    for report in reports:
        assert report.result is not None, report.error
        result = report.result
        rejects = [(r.row, r.field, r.value, r.reason) for r in report.rejects]
        outcome.append(
            (
                report.kind,
                result.rows_read,
                result.inserted,
                result.updated,
                result.unchanged,
                rejects,
            )
        )
    return outcome


def _rows(engine: Engine, *, with_times: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every imported table's rows by id: all columns, the timestamps only if asked."""
    rows = {}
    with engine.connect() as connection:
        for kind, table in KIND_TABLES.items():
            columns = [
                c for c in table.columns if with_times or c.name not in ("created_at", "updated_at")
            ]
            query = select(*columns).order_by(table.c.id)
            rows[kind] = [tuple(row) for row in connection.execute(query)]
    return rows


def _stored_runs(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        run_rows = connection.execute(
            select(
                ImportRunRow.kind,
                ImportRunRow.status,
                ImportRunRow.rows_read,
                ImportRunRow.inserted,
                ImportRunRow.updated,
                ImportRunRow.unchanged,
                ImportRunRow.rejected,
            ).order_by(ImportRunRow.id)
        )
        reject_rows = connection.execute(
            select(
                ImportRunRow.kind,
                ImportRejectRow.row_number,
                ImportRejectRow.field,
                ImportRejectRow.value,
                ImportRejectRow.reason,
            )
            .join(ImportRunRow, ImportRunRow.id == ImportRejectRow.run_id)
            .order_by(ImportRejectRow.id)
        )
        return [tuple(row) for row in run_rows] + [tuple(row) for row in reject_rows]


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The COPY statements the driver runs; fails the test if an import row goes by
    ``executemany`` (the path before COPY) instead."""
    statements: list[str] = []
    real_copy = psycopg.Cursor.copy
    real_executemany = psycopg.Cursor.executemany

    def copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(statement))
        return real_copy(self, statement, *args, **kwargs)

    def executemany(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        written = [name for name in KIND_TABLES if str(query).startswith(f"INSERT INTO {name} ")]
        assert not written, f"{written} written by executemany, not COPY"
        return real_executemany(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", copy)
    monkeypatch.setattr(psycopg.Cursor, "executemany", executemany)
    return statements


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "csv-worker"])
def test_copy_path_gives_the_rows_counts_and_rejects_of_the_sqlite_path(
    postgres: Engine,
    sqlite: Engine,
    demo_files: Path,
    copies: list[str],
    worker: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if worker:  # the forked CSV worker for every file, as for large files
        monkeypatch.setattr(pipeline, "WORKER_MIN_BYTES", 0)
    on_postgres = _outcome(_load(postgres, demo_files))
    on_sqlite = _outcome(_load(sqlite, demo_files))
    assert on_postgres == on_sqlite
    assert {kind for kind, *_ in on_postgres} == set(KIND_TABLES)
    copied = {statement.split()[1].removeprefix("pg_temp.import_stage_") for statement in copies}
    assert copied == set(KIND_TABLES)  # every kind went by COPY
    # the planted problems are reported by field, the duplicate with the row that came first
    bills = next(rejects for kind, *_, rejects in on_postgres if kind == "bills")
    duplicate_row = _row_count(demo_files / "bills.csv") + 1  # the last line (1: the header)
    assert [(row, field) for row, field, _value, _reason in bills] == [
        (4, "amount"),
        (6, "account_no"),
        (duplicate_row, "bill_no"),
    ]
    assert "same as row 8" in bills[-1][3]
    assert _rows(postgres) == _rows(sqlite)  # ids included: rows are created in file order
    with postgres.connect() as connection:
        address = connection.execute(
            select(SubjectRow.address).where(SubjectRow.name == TRICKY_NAME)
        ).scalar_one()
    assert address == TRICKY_ADDRESS
    assert _stored_runs(postgres) == _stored_runs(sqlite)


def _load_subjects_and_accounts(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    _load(engine, folder)


def _row_count(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def test_reimport_through_copy_writes_nothing(
    postgres: Engine, demo_files: Path, copies: list[str]
) -> None:
    first = _outcome(_load(postgres, demo_files))
    before = _rows(postgres, with_times=True)
    again = _outcome(_load(postgres, demo_files, batch_rows=40))
    assert [
        (kind, inserted, updated, unchanged) for kind, _, inserted, updated, unchanged, _ in again
    ] == [(kind, 0, 0, len(before[kind])) for kind, *_ in first]
    assert [rejects for *_, rejects in again] == [rejects for *_, rejects in first]
    assert _rows(postgres, with_times=True) == before  # updated_at and created_at included
    assert copies


def test_changed_rows_update_in_place_and_only_they_move_updated_at(
    postgres: Engine, tmp_path: Path, copies: list[str]
) -> None:
    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    bills = [BILLS[0]] + [
        [f"B{i:03d}", "W001", "2026-01-01", "2026-01-31", "10", "m3", f"{i}.00", "2026-02-15"]
        for i in range(1, 61)
    ]
    write_csv(folder / "bills.csv", bills)
    assert all(not r.rejects for r in _load(postgres, folder, batch_rows=7))
    before = {row[1]: row for row in _rows(postgres, with_times=True)["bills"]}

    changed = [list(row) for row in bills]
    changed[5][6] = "999.99"  # B005: a new amount
    changed[40][4] = ""  # B040: usage removed (a value becomes NULL)
    changed.append(["B061", "P001", "2026-01-01", "2026-01-31", "", "kWh", "1.00", "2026-02-15"])
    (report,) = _load(postgres, write_csv(tmp_path / "bills.csv", changed), batch_rows=7)
    assert report.result is not None and not report.rejects
    assert (report.result.inserted, report.result.updated, report.result.unchanged) == (1, 2, 58)

    after = {row[1]: row for row in _rows(postgres, with_times=True)["bills"]}
    columns = [c.name for c in BillRow.__table__.columns]
    at = {name: columns.index(name) for name in ("id", "amount_fen", "usage_milli", "updated_at")}
    moved = {no for no in before if after[no][at["updated_at"]] != before[no][at["updated_at"]]}
    assert moved == {"B005", "B040"}
    assert all(after[no][at["updated_at"]] > before[no][at["updated_at"]] for no in moved)
    assert all(after[no][at["id"]] == before[no][at["id"]] for no in before)  # updated in place
    assert after["B005"][at["amount_fen"]] == Decimal("999.99")
    assert after["B040"][at["usage_milli"]] is None
    assert after["B061"][at["id"]] > max(row[at["id"]] for row in before.values())
    assert copies


def test_a_bad_row_is_reported_by_field_and_the_good_ones_copied(
    postgres: Engine, tmp_path: Path, copies: list[str]
) -> None:
    _load_subjects_and_accounts(postgres, tmp_path)
    rows = [
        BILLS[0],
        BILLS[1],
        ["B003", "W001", "2026-03-01", "2026-03-31", "5", "m3", "abc", "2026-04-15"],
        BILLS[2],
    ]
    (report,) = _load(postgres, write_csv(tmp_path / "bills.csv", rows))
    assert report.result is not None
    assert [(r.row, r.field, r.value) for r in report.rejects] == [(3, "amount", "abc")]
    assert (report.result.inserted, report.result.rejected_rows) == (2, 1)
    with postgres.connect() as connection:
        stored = connection.execute(select(BillRow.bill_no).order_by(BillRow.id)).scalars()
        assert list(stored) == ["B001", "B002"]
        run = connection.execute(
            select(ImportRunRow.status, ImportRunRow.inserted, ImportRunRow.rejected).where(
                ImportRunRow.id == report.run_id
            )
        ).one()
        assert tuple(run) == ("done", 2, 1)
        field = connection.execute(
            select(ImportRejectRow.field).where(ImportRejectRow.run_id == report.run_id)
        ).scalar_one()
        assert field == "amount"
    # the table was empty: the file went by COPY straight into it
    assert any(statement.startswith("COPY bills ") for statement in copies)


def test_a_file_failing_mid_copy_leaves_nothing_and_the_next_import_works(
    postgres: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load_subjects_and_accounts(postgres, tmp_path)
    rows = [BILLS[0]] + [
        [f"C{i:03d}", "W001", "2026-03-01", "2026-03-31", "1", "m3", "1.00", "2026-04-15"]
        for i in range(30)
    ]
    path = write_csv(tmp_path / "bills.csv", rows)
    before = _indexes_and_constraints(postgres)
    real = upserts._copy_upsert
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:  # two batches already written in the file's transaction
            raise RuntimeError("connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(upserts, "_copy_upsert", failing)
    (report,) = _load(postgres, path, batch_rows=10)
    assert report.result is None and "connection lost" in (report.error or "")
    with postgres.connect() as connection:
        assert connection.execute(select(BillRow.id)).first() is None
        status = connection.execute(
            select(ImportRunRow.status).where(ImportRunRow.id == report.run_id)
        ).scalar_one()
        assert status == "failed"
        # the staging table went with the transaction, on whichever pooled connection
        stage = connection.execute(text("SELECT to_regclass('pg_temp.import_stage_bills')"))
        assert stage.scalar() is None
    # the bills table was empty: its indexes and constraints, set aside for the load, are back
    assert _indexes_and_constraints(postgres) == before
    monkeypatch.setattr(upserts, "_copy_upsert", real)
    (again,) = _load(postgres, path, batch_rows=10)
    assert again.result is not None and again.result.inserted == 30


def test_created_and_updated_times_are_the_stores_own(postgres: Engine, tmp_path: Path) -> None:
    """Rows merged from the staging table get the target's defaults (created_at) like rows
    inserted one by one did."""
    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    _load(postgres, folder)
    with postgres.connect() as connection:
        times = connection.execute(select(SubjectRow.created_at, SubjectRow.updated_at)).all()
    assert len(times) == 3
    assert all(created is not None and created > started for created, _updated in times)


def test_an_empty_table_is_held_until_the_file_commits(postgres: Engine) -> None:
    """A file into an empty table is copied straight in, its indexes set aside: that holds
    only while no other transaction can use the table, so it is locked until the file's
    transaction ends."""
    with postgres.begin() as importing:
        assert upserts.empty_and_held(importing, "subjects")
        with psycopg.connect(_libpq(postgres), autocommit=True) as other:
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("INSERT INTO subjects (code, kind, name) VALUES ('X', 'legal', 'X')")


def test_a_table_written_by_another_import_before_the_lock_is_not_taken_forempty_tables(
    postgres: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(tmp_path / "subjects.csv", SUBJECTS)
    import_paths(postgres, [tmp_path / "subjects.csv"], actor="other")  # commits
    real_max_id = upserts.max_id
    seen: list[int] = []

    def max_id_before_the_other_committed(connection: Connection, kind: str) -> int:
        seen.append(real_max_id(connection, kind))
        return 0 if len(seen) == 1 else seen[-1]

    monkeypatch.setattr(upserts, "max_id", max_id_before_the_other_committed)
    with postgres.begin() as importing:
        assert not upserts.empty_and_held(importing, "subjects")
    assert len(seen) == 2 and seen[-1] > 0  # looked at again once locked


def _libpq(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_load_into_empty_tables_leaves_their_indexes_and_constraints_as_they_were(
    postgres: Engine, demo_files: Path, copies: list[str]
) -> None:
    """Every table is empty, so every file is bulk-loaded: indexes and constraints set aside
    for the load and made again after it, by the same names and definitions."""
    before = _indexes_and_constraints(postgres)
    assert _outcome(_load(postgres, demo_files))
    assert {statement.split()[1] for statement in copies} == set(KIND_TABLES)  # straight in
    assert _indexes_and_constraints(postgres) == before


def _indexes_and_constraints(engine: Engine) -> set[tuple[str, str, str]]:
    """(table, name, definition) of every index and constraint of the imported tables."""
    tables = list(KIND_TABLES)
    with engine.connect() as connection:
        indexes = connection.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND tablename = ANY(:tables)"
            ),
            {"tables": tables},
        )
        constraints = connection.execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables)"
            ),
            {"tables": tables},
        )
        found = {tuple(row) for row in [*indexes, *constraints]}
    assert len(found) > 2 * len(tables)  # every table has a key and more
    return found


def test_a_role_that_does_not_own_the_tables_loads_them_with_their_indexes_kept(
    postgres: Engine, demo_files: Path, copies: list[str]
) -> None:
    """Only a table's owner may drop its indexes: a store run by a role that may only read
    and write rows still loads empty tables, copied straight in, the indexes left as they
    are."""
    role = f"uc_importer_{uuid.uuid4().hex[:8]}"
    with postgres.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}"')
        connection.exec_driver_sql(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'
        )
        connection.exec_driver_sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        connection.exec_driver_sql(
            f'GRANT CREATE, TEMPORARY ON DATABASE "{postgres.url.database}" TO "{role}"'
        )
    as_role = make_engine(
        postgres.url.update_query_dict({"options": f"-c role={role}"}).render_as_string(
            hide_password=False
        )
    )
    try:
        before = _indexes_and_constraints(postgres)
        reports = _load(as_role, demo_files)
        assert all(report.result is not None for report in reports), [r.error for r in reports]
        assert {statement.split()[1] for statement in copies} == set(KIND_TABLES)
        assert _indexes_and_constraints(postgres) == before
        assert _rows(postgres)["bills"]
    finally:
        as_role.dispose()
        with postgres.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
