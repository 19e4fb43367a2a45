"""The reject report CSV is opened in spreadsheet programs: no cell may run as a formula
(OWASP "CSV injection"), and every cell is text a UTF-8 file can hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from utilcredit.importing.runner import FileReport, ImportReport, write_reject_report
from utilcredit.importing.service import LoadResult, Reject


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+2", "'＝1+2"),
        ("1=1", "1=1"),
        ("华为", "华为"),
        ("bad \udce9 byte", "bad \ufffd byte"),
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralised(
    tmp_path: Path, value: str, shown: str
) -> None:
    result = LoadResult(rejects=[Reject(2, "name", value, '=HYPERLINK("x")')])
    report = ImportReport([FileReport(Path("=cmd.csv"), "subjects", 1, result)])
    destination = tmp_path / "rejects.csv"
    assert write_reject_report(report, destination) == 1
    with destination.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row == {
        "file": "'=cmd.csv",
        "row": "2",
        "field": "name",
        "value": shown,
        "reason": '\'=HYPERLINK("x")',
    }
