"""An import within a scope (the utilities its importer may write) never touches another
utility's data: rows naming it are rejected as if it did not exist, nothing of it changes.

The store holds a water customer, a power-only customer (with a bill, a payment, an incident,
a reminder and a credit report) and a subject nobody serves yet; a water importer tries every
way of reaching the power customer, through the CSV loop in process, the CSV loop in a forked
worker and the row-by-row path (JSON Lines), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.integration.importing.test_import import HUAWEI, XIAOMI, write_csv
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.importing import pipeline
from utilcredit.importing.readers.source import inspect
from utilcredit.importing.repository import lookups
from utilcredit.importing.runner import FileReport, import_paths
from utilcredit.importing.service import load_file
from utilcredit.importing.tables import ImportRunRow

WATER = frozenset({Utility.WATER})
NOBODY_YET = "11010519491231002X"  # a subject without any account
FRESH = "91350100M000100Y43"  # a subject not in the store

SETUP: dict[str, list[list[str]]] = {
    "subjects": [
        ["code", "kind", "name", "id_type", "phone"],
        [HUAWEI, "legal", "华为技术有限公司", "", "0755-28780808"],
        [XIAOMI, "legal", "小米科技有限责任公司", "", "010-60606666"],
        [NOBODY_YET, "natural", "张三", "身份证", "13800138000"],
    ],
    "accounts": [
        ["account_no", "subject_code", "utility", "opened_on", "payment_mode"],
        ["W001", HUAWEI, "water", "2019-03-01", "postpaid"],
        ["P001", XIAOMI, "power", "2020-05-20", "postpaid"],
    ],
    "bills": [
        ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
        ["B001", "W001", "2026-01-01", "2026-01-31", "512.13", "2026-02-15"],
        ["PB01", "P001", "2026-01-01", "2026-01-31", "300.00", "2026-02-15"],
    ],
    "payments": [
        ["payment_no", "bill_no", "paid_on", "amount"],
        ["PAY-P", "PB01", "2026-02-01", "100.00"],
    ],
    "incidents": [
        ["incident_no", "account_no", "kind", "occurred_on", "severity"],
        ["INC-P", "P001", "facility_damage", "2026-03-01", "minor"],
    ],
    "reminders": [
        ["reminder_no", "account_no", "sent_on", "channel"],
        ["REM-P", "P001", "2026-03-05", "sms"],
    ],
    "credit_reports": [
        ["subject_code", "source", "issued_on", "has_dishonesty", "rating", "on_serious_list"],
        [XIAOMI, "creditchina", "2026-01-10", "false", "A", "false"],
    ],
}

POWER_ROWS = (
    (SubjectRow, SubjectRow.code == XIAOMI),
    (AccountRow, AccountRow.account_no == "P001"),
    (BillRow, BillRow.bill_no == "PB01"),
    (PaymentRow, PaymentRow.payment_no == "PAY-P"),
    (IncidentRow, IncidentRow.incident_no == "INC-P"),
    (ReminderRow, ReminderRow.reminder_no == "REM-P"),
    (
        CreditReportRow,
        CreditReportRow.subject_id.in_(select(SubjectRow.id).where(SubjectRow.code == XIAOMI)),
    ),
)


def power_data(engine: Engine) -> list[list[dict[str, Any]]]:
    """Every row of the power customer, as stored (timestamps included: an update shows)."""
    with engine.connect() as connection:
        return [
            [dict(row._mapping) for row in connection.execute(select(table).where(where))]
            for table, where in POWER_ROWS
        ]


def written(folder: Path, kind: str, rows: list[list[str]], file_format: str) -> Path:
    if file_format == "jsonl":
        path = folder / f"{kind}.jsonl"
        header = rows[0]
        lines = [json.dumps(dict(zip(header, row, strict=True))) for row in rows[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    return write_csv(folder / f"{kind}.csv", rows)


@pytest.fixture(params=["csv", "csv-worker", "jsonl"])
def file_format(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "csv-worker":
        assert pipeline.can_fork()
        monkeypatch.setattr(pipeline, "WORKER_MIN_BYTES", 0)
        return "csv"
    return str(request.param)


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    folder = tmp_path / "setup"
    folder.mkdir()
    for kind, rows in SETUP.items():
        write_csv(folder / f"{kind}.csv", rows)
    report = import_paths(engine, [folder], actor="cli")  # the CLI: every utility
    assert report.ok, [f.rejects for f in report.files]
    yield engine


def import_as_water(
    engine: Engine, folder: Path, kind: str, rows: list[list[str]], file_format: str
) -> FileReport:
    folder.mkdir(exist_ok=True)
    path = written(folder, kind, rows, file_format)
    # two rows per batch: the checks run batch by batch and must number rows right
    (report,) = import_paths(engine, [path], actor="op-water", batch_rows=2, scope=WATER).files
    assert report.result is not None, report.error
    return report


def reasons(report: FileReport) -> dict[int, tuple[str | None, str]]:
    """Rejects by row as in a CSV file (JSON Lines has no header line: its rows count from 1)."""
    shift = 1 if report.path.suffix == ".jsonl" else 0
    return {reject.row + shift: (reject.field, reject.reason) for reject in report.rejects}


def test_a_subject_only_another_utility_serves_is_not_updated(
    store: Engine, tmp_path: Path, file_format: str
) -> None:
    before = power_data(store)
    rows = [
        SETUP["subjects"][0],
        [HUAWEI, "legal", "华为技术有限公司（新）", "", "0755-28780809"],  # row 2: water's, updated
        [XIAOMI, "legal", "被篡改的名称", "", "13999999999"],  # row 3: power-only
        [FRESH, "legal", "新公司", "", ""],  # row 4: new
        [NOBODY_YET, "natural", "张三丰", "身份证", ""],  # row 5: nobody serves it yet
    ]
    report = import_as_water(store, tmp_path / "in", "subjects", rows, file_format)
    assert reasons(report) == {
        3: (
            "code",
            f"没有该主体或不在本单位范围：{XIAOMI} / unknown subject {XIAOMI} or not in your utilities",
        )
    }
    assert report.result is not None
    assert (report.result.inserted, report.result.updated) == (1, 2)
    assert power_data(store) == before
    with store.connect() as connection:
        names = dict(connection.execute(select(SubjectRow.code, SubjectRow.name)).all())
    assert names[HUAWEI] == "华为技术有限公司（新）" and names[FRESH] == "新公司"
    assert names[NOBODY_YET] == "张三丰"


def test_a_bill_of_another_utility_is_neither_raised_nor_moved(
    store: Engine, tmp_path: Path, file_format: str
) -> None:
    before = power_data(store)
    head = SETUP["bills"][0]
    rows = [
        head,
        ["B001", "W001", "2026-01-01", "2026-01-31", "600.00", "2026-02-15"],  # 2: water's
        ["PB01", "P001", "2026-01-01", "2026-01-31", "999999.99", "2026-02-15"],  # 3: raise
        ["PB01", "W001", "2026-01-01", "2026-01-31", "1.00", "2026-02-15"],  # 4: duplicate
        ["PB02", "P001", "2026-02-01", "2026-02-28", "999999.99", "2026-03-15"],  # 5: new
        ["B404", "W404", "2026-02-01", "2026-02-28", "1.00", "2026-03-15"],  # 6: unknown
        ["B002", "W001", "2026-02-01", "2026-02-28", "20.00", "2026-03-15"],  # 7: new, water
    ]
    report = import_as_water(store, tmp_path / "in", "bills", rows, file_format)
    found = reasons(report)
    assert sorted(found) == [3, 4, 5, 6]

    def unknown(account: str) -> tuple[str, str]:
        return (
            "account_no",
            f"没有该户号或不在本单位范围：{account}，请先导入accounts / "
            f"unknown account {account} or not in your utilities: import accounts first",
        )

    # another utility's account reads exactly like an account that does not exist
    assert found[3] == found[5] == unknown("P001") and found[6] == unknown("W404")
    assert power_data(store) == before

    # the bill number taken by another utility's bill, on an account of one's own: refused
    moved = import_as_water(
        store, tmp_path / "moved", "bills", [head, rows[3], rows[6]], file_format
    )
    assert reasons(moved) == {
        2: (
            "bill_no",
            "没有该账单或不在本单位范围：PB01 / unknown bill PB01 or not in your utilities",
        )
    }
    assert power_data(store) == before
    with store.connect() as connection:
        amounts = dict(connection.execute(select(BillRow.bill_no, BillRow.amount)).all())
    assert str(amounts["B001"]) == "600.00" and str(amounts["B002"]) == "20.00"


def test_no_account_for_a_customer_of_another_utility(
    store: Engine, tmp_path: Path, file_format: str
) -> None:
    before = power_data(store)
    rows = [
        SETUP["accounts"][0],
        ["W900", XIAOMI, "water", "2026-01-01", "postpaid"],  # 2: attach to power's customer
        ["P001", HUAWEI, "water", "2026-01-01", "postpaid"],  # 3: take power's account
        ["P900", HUAWEI, "power", "2026-01-01", "postpaid"],  # 4: a power account
        ["W002", HUAWEI, "water", "2026-01-01", "prepaid"],  # 5: fine
        ["W003", NOBODY_YET, "water", "2026-01-01", "postpaid"],  # 6: nobody serves it yet
        ["W004", FRESH, "water", "2026-01-01", "postpaid"],  # 7: unknown subject
    ]
    report = import_as_water(store, tmp_path / "in", "accounts", rows, file_format)

    def unknown(code: str) -> tuple[str, str]:
        return (
            "subject_code",
            f"没有该主体或不在本单位范围：{code}，请先导入subjects / "
            f"unknown subject {code} or not in your utilities: import subjects first",
        )

    assert reasons(report) == {
        2: unknown(XIAOMI),
        3: (
            "account_no",
            "没有该户号或不在本单位范围：P001 / unknown account P001 or not in your utilities",
        ),
        4: (
            "utility",
            "业务类型不在本单位范围：power / utility power is not one of your utilities",
        ),
        7: unknown(FRESH),
    }
    assert power_data(store) == before
    with store.connect() as connection:
        accounts = set(connection.execute(select(AccountRow.account_no, AccountRow.utility)))
    assert accounts == {("W001", "water"), ("P001", "power"), ("W002", "water"), ("W003", "water")}


@pytest.mark.parametrize(
    ("kind", "rows", "field"),
    [
        (
            "payments",
            [["PAY-P", "PB01", "2026-02-01", "300.00"], ["PAY-X", "PB01", "2026-02-02", "1.00"]],
            "bill_no",
        ),
        (
            "incidents",
            [
                ["INC-P", "P001", "facility_damage", "2026-03-01", "serious"],
                ["INC-X", "P001", "facility_damage", "2026-03-02", "serious"],
            ],
            "account_no",
        ),
        (
            "reminders",
            [["REM-P", "P001", "2026-03-06", "letter"], ["REM-X", "P001", "2026-03-07", "sms"]],
            "account_no",
        ),
        (
            "credit_reports",
            [
                [XIAOMI, "creditchina", "2026-01-10", "true", "D", "true"],
                [XIAOMI, "creditchina", "2026-02-10", "true", "D", "true"],
            ],
            "subject_code",
        ),
    ],
)
def test_nothing_tied_to_another_utility_is_written(
    store: Engine, tmp_path: Path, file_format: str, kind: str, rows: list[list[str]], field: str
) -> None:
    before = power_data(store)
    report = import_as_water(store, tmp_path / "in", kind, [SETUP[kind][0], *rows], file_format)
    assert sorted(reasons(report)) == [2, 3]
    assert {f for f, _ in reasons(report).values()} == {field}
    assert all("不在本单位范围" in reason for _, reason in reasons(report).values())
    assert report.result is not None and report.result.inserted == 0
    assert power_data(store) == before


def test_the_importer_service_takes_the_scope(store: Engine, tmp_path: Path) -> None:
    """The use case itself, not only the runner: ``load_file`` within a scope."""
    before = power_data(store)
    head = SETUP["bills"][0]
    path = write_csv(
        tmp_path / "bills.csv",
        [head, ["PB01", "P001", "2026-01-01", "2026-01-31", "999999.99", "2026-02-15"]],
    )
    with store.begin() as connection:
        result = load_file(connection, inspect(path), scope=WATER)
    assert [r.row for r in result.rejects] == [2] and result.inserted + result.updated == 0
    assert power_data(store) == before
    with store.begin() as connection:  # the same file without a scope (the CLI) writes
        result = load_file(connection, inspect(path))
    assert (result.updated, result.rejects) == (1, [])
    assert power_data(store) != before


def test_runs_record_the_importers_utilities(store: Engine, tmp_path: Path) -> None:
    import_as_water(store, tmp_path / "in", "subjects", [SETUP["subjects"][0]], "csv")
    with store.connect() as connection:
        runs = list(connection.execute(select(ImportRunRow.actor, ImportRunRow.utilities)))
    assert dict(runs) == {
        "cli": "power,water",
        "op-water": "water",
    }


def test_the_checks_are_one_query_per_batch_and_none_without_other_utilities(
    engine: Engine, store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = lookups.hidden_keys

    def counted(*args: Any, **kwargs: Any) -> set[Any]:
        calls.append(len(args[3]))
        return real(*args, **kwargs)

    monkeypatch.setattr(lookups, "hidden_keys", counted)
    head = SETUP["bills"][0]
    rows = [
        [f"N{i:02d}", "W001", "2026-02-01", "2026-02-28", "1.00", "2026-03-15"] for i in range(9)
    ]
    report = import_as_water(store, tmp_path / "a", "bills", [head, *rows], "csv")
    assert not report.rejects and calls == [2, 2, 2, 2, 1]  # five batches of two rows
    calls.clear()
    # a power importer's reminders: the store holds none of another utility, so the file's
    # batches need no check at all (one query for the whole file said so)
    head = SETUP["reminders"][0]
    rows = [[f"R{i:02d}", "P001", "2026-04-01", "sms"] for i in range(5)]
    path = write_csv(tmp_path / "reminders.csv", [head, *rows])
    power = frozenset({Utility.POWER})
    (done,) = import_paths(engine, [path], actor="op-power", batch_rows=2, scope=power).files
    assert calls == [] and done.rejects == []
    assert done.result is not None and done.result.inserted == 5
