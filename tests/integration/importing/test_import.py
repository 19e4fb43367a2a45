"""The canonical import against real SQLite and PostgreSQL stores."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select, text

from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.customers.writes import set_aside_evidence
from utilcredit.importing.repository import runs, upserts
from utilcredit.importing.runner import FileReport, import_paths
from utilcredit.importing.tables import ImportRunRow

HUAWEI, XIAOMI = "914403001922038216", "91110108551385082Q"

SUBJECTS = [
    ["code", "kind", "name", "id_type", "legal_rep", "phone", "address", "area"],
    [
        HUAWEI,
        "legal",
        "华为技术有限公司",
        "",
        "任正非",
        "0755-28780808",
        "深圳市龙岗区坂田华为基地",
        "龙岗",
    ],
    [XIAOMI, "legal", "小米科技有限责任公司", "", "雷军", "", "北京市海淀区", "海淀"],
    ["11010519491231002X", "natural", "张三", "身份证", "", "13800138000", "", ""],
]
ACCOUNTS = [
    ["account_no", "subject_code", "utility", "opened_on", "payment_mode", "address", "area"],
    ["W001", HUAWEI, "water", "2019-03-01", "postpaid", "", ""],
    ["P001", XIAOMI, "power", "2020-05-20", "prepaid", "", ""],
]
BILLS = [
    ["bill_no", "account_no", "period_start", "period_end", "usage", "unit", "amount", "due_on"],
    ["B001", "W001", "2026-01-01", "2026-01-31", "120.5", "m3", "512.13", "2026-02-15"],
    ["B002", "W001", "2026-02-01", "2026-02-28", "98", "m3", "416.50", "2026-03-15"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding=encoding)
    return path


def count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def load(engine: Engine, *paths: Path, batch_rows: int = 5000) -> list[FileReport]:
    return import_paths(engine, paths, actor="test", batch_rows=batch_rows).files


@pytest.fixture
def base(engine: Engine, tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    write_csv(folder / "bills.csv", BILLS)
    reports = load(engine, folder)
    assert [r.kind for r in reports] == ["subjects", "accounts", "bills"]
    assert all(r.result and not r.rejects for r in reports)
    return folder


def test_folder_imports_parents_first_and_keeps_money_exact(engine: Engine, base: Path) -> None:
    assert (count(engine, SubjectRow), count(engine, AccountRow), count(engine, BillRow)) == (
        3,
        2,
        2,
    )
    with engine.connect() as connection:
        amount, usage = connection.execute(
            select(BillRow.amount, BillRow.usage).where(BillRow.bill_no == "B001")
        ).one()
        stored = connection.execute(
            text("SELECT amount_fen FROM bills WHERE bill_no = 'B001'")
        ).scalar_one()
    assert (amount, usage) == (Decimal("512.13"), Decimal("120.500"))
    assert stored == 51213  # integer fen on disk: sums in SQL stay exact


def test_reimporting_the_same_files_changes_nothing(engine: Engine, base: Path) -> None:
    reports = load(engine, base)
    results = [r.result for r in reports]
    assert [(x.inserted, x.updated, x.unchanged) for x in results if x] == [
        (0, 0, 3),
        (0, 0, 2),
        (0, 0, 2),
    ]
    assert (count(engine, SubjectRow), count(engine, AccountRow), count(engine, BillRow)) == (
        3,
        2,
        2,
    )


def test_same_key_with_new_values_updates_in_place(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    changed = [BILLS[0], [*BILLS[1][:6], "600.00", BILLS[1][7]], BILLS[2]]
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", changed))
    assert report.result is not None
    assert (report.result.inserted, report.result.updated, report.result.unchanged) == (0, 1, 1)
    with engine.connect() as connection:
        assert connection.execute(
            select(BillRow.amount).where(BillRow.bill_no == "B001")
        ).scalar_one() == Decimal("600.00")
    assert count(engine, BillRow) == 2


INCIDENTS = [
    ["incident_no", "account_no", "kind", "occurred_on", "amount", "note"],
    ["I001", "W001", "theft", "2026-04-01", "9000.00", ""],
    ["I002", "W001", "violation", "2026-04-02", "", ""],
]


def test_reimporting_set_aside_records_keeps_them_set_aside(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    """Imports never write ``set_aside_by`` (the register's mark): re-importing a set-aside
    incident or bill, changed or not, and even with a column of that name, keeps the mark."""
    (report,) = load(engine, write_csv(tmp_path / "incidents.csv", INCIDENTS))
    assert report.result is not None and report.result.inserted == 2
    with engine.begin() as connection:
        ids = dict(connection.execute(select(IncidentRow.incident_no, IncidentRow.id)).all())
        bill = connection.execute(select(BillRow.id).where(BillRow.bill_no == "B001")).scalar_one()
        set_aside_evidence(connection, record_id=42, incident_ids=[ids["I001"]], bill_ids=[bill])

    def marks() -> dict[str, int | None]:
        with engine.connect() as connection:
            rows = connection.execute(select(IncidentRow.incident_no, IncidentRow.set_aside_by))
            found = dict(rows.all())
            bills = connection.execute(select(BillRow.bill_no, BillRow.set_aside_by))
            found.update(bills.all())
        return found

    expected = {"I001": 42, "I002": None, "B001": 42, "B002": None}
    assert marks() == expected
    # the same rows again (unchanged), then with new values and a set_aside_by column
    assert all(r.result and not r.rejects for r in load(engine, tmp_path / "incidents.csv"))
    assert all(r.result and not r.rejects for r in load(engine, base / "bills.csv"))
    assert marks() == expected
    changed = [
        [*INCIDENTS[0], "set_aside_by"],
        [*INCIDENTS[1][:4], "9500.00", "", ""],
        [*INCIDENTS[2], ""],
    ]
    (report,) = load(engine, write_csv(tmp_path / "incidents.csv", changed))
    assert report.result is not None and report.result.updated == 1
    assert "set_aside_by" in report.result.ignored_columns
    bills = [[*BILLS[0], "set_aside_by"], [*BILLS[1][:6], "600.00", BILLS[1][7], ""]]
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", bills))
    assert report.result is not None and report.result.updated == 1
    assert marks() == expected
    with engine.connect() as connection:
        amount = connection.execute(
            select(IncidentRow.amount).where(IncidentRow.incident_no == "I001")
        ).scalar_one()
    assert amount == Decimal("9500.00")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_keep_chinese_text(engine: Engine, tmp_path: Path, encoding: str) -> None:
    (report,) = load(engine, write_csv(tmp_path / "subjects.csv", SUBJECTS, encoding))
    assert report.result is not None and report.result.inserted == 3
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(SubjectRow.name).where(SubjectRow.code == HUAWEI)
            ).scalar_one()
            == "华为技术有限公司"
        )


def test_chinese_headers_are_understood(engine: Engine, tmp_path: Path) -> None:
    rows = [
        ["统一社会信用代码", "主体类型", "单位名称", "法定代表人"],
        [HUAWEI, "法人", "华为技术有限公司", "任正非"],
    ]
    (report,) = load(engine, write_csv(tmp_path / "subjects.csv", rows, "gb18030"))
    assert report.result is not None and report.result.inserted == 1 and not report.rejects


def test_xlsx_import_with_spreadsheet_typed_cells(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["payment_no", "bill_no", "paid_on", "amount"])
    sheet.append(
        ["PAY1", "B001", dt.datetime(2026, 2, 10), 512.13]
    )  # a float and a datetime, as Excel stores them
    sheet.append(["PAY2", "B002", "2026-03-20", 100])
    workbook.save(tmp_path / "payments.xlsx")
    (report,) = load(engine, tmp_path / "payments.xlsx")
    assert report.result is not None and report.result.inserted == 2 and not report.rejects
    with engine.connect() as connection:
        paid = connection.execute(
            select(PaymentRow.amount).where(PaymentRow.payment_no == "PAY1")
        ).scalar_one()
    assert paid == Decimal("512.13")


def test_json_lines_import_with_native_types(engine: Engine, base: Path, tmp_path: Path) -> None:
    lines = [
        {
            "subject_code": HUAWEI,
            "source": "jiangsu",
            "issued_on": "2026-10-01",
            "has_dishonesty": False,
            "rating": "A",
            "on_serious_list": False,
        },
        {
            "subject_code": XIAOMI,
            "source": "jiangsu",
            "issued_on": "2026-10-02",
            "has_dishonesty": True,
            "on_serious_list": False,
        },
    ]
    path = tmp_path / "credit_reports.jsonl"
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\nnot json\n"
    )
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 2
    assert [(r.row, r.field) for r in report.rejects] == [(3, None)]
    assert count(engine, CreditReportRow) == 2
    (again,) = load(engine, path)
    assert (
        again.result is not None
        and again.result.unchanged == 2
        and count(engine, CreditReportRow) == 2
    )


def test_every_kind_of_bad_row_is_reported_and_good_rows_still_load(
    engine: Engine, base: Path, tmp_path: Path
) -> None:
    rows = [
        BILLS[0],
        ["B010", "W001", "2026-03-01", "2026-03-31", "10", "m3", "40.00", "2026-04-15"],  # good
        [
            "B011",
            "W001",
            "2026-03-01",
            "2026-03-31",
            "10",
            "m3",
            "",
            "2026-04-15",
        ],  # missing amount
        ["B012", "W001", "2026-03-01", "2026-03-31", "10", "m3", "40.00", "2026-04-31"],  # bad date
        [
            "B013",
            "W999",
            "2026-03-01",
            "2026-03-31",
            "10",
            "m3",
            "40.00",
            "2026-04-15",
        ],  # unknown account
        [
            "B014",
            "W001",
            "2026-03-01",
            "2026-03-31",
            "10",
            "m3",
            "-40.00",
            "2026-04-15",
        ],  # negative amount
        [
            "B010",
            "W001",
            "2026-03-01",
            "2026-03-31",
            "10",
            "m3",
            "41.00",
            "2026-04-15",
        ],  # duplicate key
    ]
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", rows))
    assert report.result is not None
    found = {(r.row, r.field) for r in report.rejects}
    assert found == {(3, "amount"), (4, "due_on"), (5, "account_no"), (6, "amount"), (7, "bill_no")}
    assert report.result.rejected_rows == 5 and report.result.inserted == 1
    reasons = {r.row: r.reason for r in report.rejects}
    assert (
        "required" in reasons[3]
        and "invalid date" in reasons[4]
        and "unknown account" in reasons[5]
    )
    assert "negative" in reasons[6] and "row 2" in reasons[7]
    assert count(engine, BillRow) == 3
    with engine.connect() as connection:
        stored = runs.rejects_of(connection, report.run_id or 0)
    assert [row for row, *_ in stored] == [3, 4, 5, 6, 7]


def test_bad_subject_code_is_reported_with_the_reason(engine: Engine, tmp_path: Path) -> None:
    rows = [
        SUBJECTS[0],
        ["914403001922038217", "legal", "坏码公司", "", "", "", "", ""],
        SUBJECTS[1],
    ]
    (report,) = load(engine, write_csv(tmp_path / "subjects.csv", rows))
    assert [(r.row, r.field) for r in report.rejects] == [(2, "code")]
    assert "check character should be 6" in report.rejects[0].reason
    assert count(engine, SubjectRow) == 1


def test_missing_required_column_rejects_the_file_and_records_the_run(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [["code", "name"], [HUAWEI, "华为"]]
    (report,) = load(engine, write_csv(tmp_path / "subjects.csv", rows))
    assert report.error is not None and "kind" in report.error
    assert count(engine, SubjectRow) == 0
    with engine.connect() as connection:
        assert connection.execute(select(ImportRunRow.status)).scalar_one() == "failed"


def test_a_failure_mid_file_leaves_the_store_as_it_was(
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
    assert (
        count(engine, BillRow) == 2
    )  # the two batches written before the failure were rolled back
    with engine.connect() as connection:
        status, error = connection.execute(
            select(ImportRunRow.status, ImportRunRow.error)
            .order_by(ImportRunRow.id.desc())
            .limit(1)
        ).one()
    assert status == "failed" and "disk full" in (error or "")


def test_founding_dates_import_in_any_accepted_date_form(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "founded"
    folder.mkdir()
    write_csv(
        folder / "subjects.csv",
        [
            ["统一社会信用代码", "主体类型", "名称", "成立日期"],
            [HUAWEI, "legal", "华为技术有限公司", "1987/9/15"],
            [XIAOMI, "legal", "小米科技有限责任公司", "2010年3月3日"],
            ["91110000710925462X", "legal", "中国石油天然气股份有限公司", "1999-13-01"],
        ],
    )
    (report,) = load(engine, folder)
    with engine.connect() as connection:
        founded = dict(connection.execute(select(SubjectRow.code, SubjectRow.founded_on)).all())
    assert founded == {HUAWEI: dt.date(1987, 9, 15), XIAOMI: dt.date(2010, 3, 3)}
    assert [(r.field, r.value) for r in report.rejects] == [("founded_on", "1999-13-01")]
