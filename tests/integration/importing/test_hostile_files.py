"""Files nobody meant to import, on SQLite and PostgreSQL: binary garbage, the wrong encoding,
huge fields and numbers, too many rejects, an unexpected error. Each becomes rejects with a
reason (row by row where rows can be told apart, else the file), the good rows load, the run
and the failure are recorded and audited, and the next file is imported."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.integration.importing.test_import import HUAWEI, SUBJECTS, XIAOMI, count, write_csv
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.tables import AccountRow, BillRow, SubjectRow
from utilcredit.importing import runner, service
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.repository import runs
from utilcredit.importing.runner import FileReport, import_paths
from utilcredit.importing.tables import ImportRunRow

ACCEPTED = "UTF-8 (with or without BOM) or GB18030"
HEADER = "code,kind,name\n"
GOOD = f"{HUAWEI},legal,Huawei\n"


def load(engine: Engine, *paths: Path, limits: ImportLimits | None = None) -> list[FileReport]:
    if limits is None:
        return import_paths(engine, paths, actor="tester").files
    return import_paths(engine, paths, actor="tester", limits=limits).files


def last_run(engine: Engine) -> tuple[str, str | None, int]:
    with engine.connect() as connection:
        run = connection.execute(
            select(ImportRunRow.status, ImportRunRow.error, ImportRunRow.id)
            .order_by(ImportRunRow.id.desc())
            .limit(1)
        ).one()
    return run[0], run[1], run[2]


def audit_actions(engine: Engine) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntryRow.action, AuditEntryRow.reason, AuditEntryRow.detail).order_by(
                AuditEntryRow.id
            )
        ).all()
    return [(action, reason, detail) for action, reason, detail in rows]


def stored_rejects(engine: Engine, run_id: int) -> list[tuple[int, str | None, str | None, str]]:
    with engine.connect() as connection:
        return runs.rejects_of(connection, run_id)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("garbage", random.Random(7).randbytes(4000), "is it a binary"),
        ("utf16", (HEADER + GOOD).encode("utf-16"), "UTF-16 and UTF-32 files are not accepted"),
        ("utf16_no_bom", (HEADER + GOOD).encode("utf-16-le"), "(is it a binary or UTF-16 file?)"),
    ],
)
def test_a_file_that_is_not_text_is_one_reject_naming_the_accepted_encodings(
    engine: Engine, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / f"subjects_{name}.csv"
    path.write_bytes(content)
    (report,) = load(engine, path)
    assert report.error is not None and expected in report.error
    assert ACCEPTED in report.error
    assert [(r.row, r.reason) for r in report.rejects] == [(0, report.error)]
    status, error, run_id = last_run(engine)
    assert (status, error) == ("failed", report.error)
    assert stored_rejects(engine, run_id) == [(0, None, None, report.error)]
    [(action, reason, detail)] = audit_actions(engine)
    assert action == "import_failed" and reason == report.error[:500]
    assert detail is not None and detail["run_id"] == run_id
    assert count(engine, SubjectRow) == 0


def test_a_latin1_row_is_rejected_and_the_others_load(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes(
        HEADER.encode() + GOOD.encode() + f"{XIAOMI},legal,Caf\xe9 Xiaomi\n".encode("latin-1")
    )
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 1
    [reject] = report.rejects
    assert (reject.row, reject.field) == (3, "name")
    assert "cannot be decoded" in reject.reason and ACCEPTED in reject.reason
    assert reject.value is not None and "\ufffd" in reject.value  # storable, shown as U+FFFD
    status, _error, run_id = last_run(engine)
    assert status == "done" and [r[0] for r in stored_rejects(engine, run_id)] == [3]
    assert [action for action, _, _ in audit_actions(engine)] == ["import"]


def test_nul_characters_reject_their_row(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes((HEADER + GOOD + f"{XIAOMI},legal,Xiao\x00mi\n").encode())
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 1
    assert [(r.row, r.field) for r in report.rejects] == [(3, "name")]
    assert "NUL" in report.rejects[0].reason


@pytest.mark.parametrize("size", [10 * 1024 * 1024, 200_000, 5_000])
def test_a_huge_field_rejects_its_row_and_the_others_load(
    engine: Engine, tmp_path: Path, size: int
) -> None:
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + f"{XIAOMI},legal,{'x' * size}\n" + GOOD, encoding="utf-8")
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 1
    [reject] = report.rejects
    assert reject.row == 2 and "longer than 4096 characters" in reject.reason
    assert last_run(engine)[0] == "done"


@pytest.mark.parametrize("amount", ["1e400", "99999999999999999999", "9" * 5000, "1E+15"])
def test_absurd_amounts_reject_their_row(
    engine: Engine, tmp_path: Path, amount: str, base: Path
) -> None:
    bill = ["W001", "2026-03-01", "2026-03-31", "1", "m3"]
    rows = [
        [
            "bill_no",
            "account_no",
            "period_start",
            "period_end",
            "usage",
            "unit",
            "amount",
            "due_on",
        ],
        ["X1", *bill, amount, "2026-04-15"],
        ["X2", *bill, "12.50", "2026-04-15"],
    ]
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", rows))
    assert report.result is not None and report.result.inserted == 1
    assert [(r.row, r.field) for r in report.rejects] == [(2, "amount")]
    assert len(report.rejects[0].reason) < 300
    assert count(engine, BillRow) == 3


@pytest.fixture
def base(engine: Engine, tmp_path: Path) -> None:
    from tests.integration.importing.test_import import ACCOUNTS, BILLS

    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    write_csv(folder / "bills.csv", BILLS)
    assert all(report.result and not report.rejects for report in load(engine, folder))


def test_json_lines_that_break_the_parser_are_row_rejects(engine: Engine, tmp_path: Path) -> None:
    lines = [
        json.dumps({"code": HUAWEI, "kind": "legal", "name": "Huawei"}),
        '{"code": "' + XIAOMI + '", "kind": "legal", "name": ' + "9" * 5000 + "}",  # int limit
        "[" * 100_000 + "]" * 100_000,  # nesting past the recursion limit
        json.dumps({"code": XIAOMI, "kind": "legal", "name": "nul\u0000"}),
        json.dumps({"code": XIAOMI, "kind": "legal", "name": "lone \ud800"}),
        json.dumps({"code": XIAOMI, "kind": "legal", "name": ["a", "list"]}),
        json.dumps({"code": XIAOMI, "kind": "legal", "name": "Xiaomi", "x": "=1+2"}),
    ]
    path = tmp_path / "subjects.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 2
    assert [(r.row, r.field) for r in report.rejects] == [
        (2, None),
        (3, None),
        (4, "name"),
        (5, "name"),
        (6, "name"),
    ]
    assert all(r.reason for r in report.rejects)
    assert last_run(engine)[0] == "done"


def test_too_many_rejects_stop_the_file_and_keep_nothing_of_it(
    engine: Engine, tmp_path: Path
) -> None:
    rows = "".join(f"BAD{i},legal,x\n" for i in range(40))
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + GOOD + rows, encoding="utf-8")
    (report,) = load(engine, path, limits=ImportLimits(max_rejects=5))
    assert report.result is None and report.error is not None
    assert "more than 5 rejects" in report.error
    assert [r.row for r in report.rejects] == [0, 3, 4, 5, 6, 7]  # the reason, then the first 5
    assert count(engine, SubjectRow) == 0  # the good row is not kept either
    status, _error, run_id = last_run(engine)
    assert status == "failed" and [r[0] for r in stored_rejects(engine, run_id)] == [
        0,
        3,
        4,
        5,
        6,
        7,
    ]
    [(action, _reason, detail)] = audit_actions(engine)
    assert action == "import_failed" and detail is not None and detail["rejects"] == 5


def test_a_file_past_the_row_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_text(HEADER + GOOD * 30, encoding="utf-8")
    (report,) = load(engine, path, limits=ImportLimits(max_rows=10))
    assert report.error is not None and "more than 10 rows" in report.error
    assert count(engine, SubjectRow) == 0 and last_run(engine)[0] == "failed"


def test_an_unexpected_error_fails_its_file_and_the_folder_goes_on(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    (folder / "accounts.csv").write_text(
        "account_no,subject_code,utility,opened_on,payment_mode\n"
        f"W001,{HUAWEI},water,2019-03-01,postpaid\n",
        encoding="utf-8",
    )
    real = service.load_file

    def failing(connection: Any, source: Any, **kwargs: Any) -> Any:
        if source.kind == "accounts":
            raise RuntimeError("disk full")
        return real(connection, source, **kwargs)

    monkeypatch.setattr(runner, "load_file", failing)
    (folder / "bills.csv").write_text("not,a,bills,file\n", encoding="utf-8")
    subjects, accounts, bills = load(engine, folder)
    assert subjects.result is not None and subjects.result.inserted == 3
    assert accounts.error is not None and "internal error" in accounts.error
    assert "RuntimeError: disk full" in accounts.error
    assert bills.error is not None and "missing required columns" in bills.error
    assert count(engine, AccountRow) == 0
    with engine.connect() as connection:
        statuses = connection.execute(
            select(ImportRunRow.kind, ImportRunRow.status).order_by(ImportRunRow.id)
        ).all()
    assert [tuple(s) for s in statuses] == [
        ("subjects", "done"),
        ("accounts", "failed"),
        ("bills", "failed"),
    ]
    assert [action for action, _, _ in audit_actions(engine)] == [
        "import",
        "import_failed",
        "import_failed",
    ]


def test_a_file_that_cannot_even_be_identified_is_audited(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    (report,) = load(engine, path)
    assert report.error is not None and "cannot tell the kind" in report.error
    [(action, reason, detail)] = audit_actions(engine)
    assert action == "import_failed" and reason == report.error
    assert detail is not None and detail["run_id"] is None
