"""``utilcredit report monthly``: tables, JSON lines and the XLSX workbook from the same
figures; a bad month or utility is refused with its reason and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.integration.supervision.world import build
from tests.support.shell import run_cli

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def env(engine: Engine, store_env: dict[str, str]) -> dict[str, str]:
    build(engine)
    return store_env


def test_jsonl_is_one_report_per_utility(env: dict[str, str]) -> None:
    done = run_cli(env, "report", "monthly", "--month", "2026-11", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["utility"] for r in reports] == ["water", "power"]
    water = reports[0]
    assert water["month"] == "2026-11"
    assert water["records"]["total"] == 3
    assert water["repairs"]["on_time"] == {"numerator": 2, "denominator": 3, "display": "66.7%"}
    assert water["commitments"] == {"made": 2, "fulfilled": 1, "breached": 1}


def test_one_utility_as_tables(env: dict[str, str]) -> None:
    done = run_cli(
        env, "report", "monthly", "--month", "2026-11", "--utility", "power", "--format", "table"
    )
    assert done.returncode == 0, done.stderr
    for title in ("概览", "等级分布", "异议与修复", "报送批次"):
        assert title in done.stdout
    assert "供电" in done.stdout and "供水" not in done.stdout


def test_xlsx_is_written_where_asked(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "nov.xlsx"
    done = run_cli(
        env, "report", "monthly", "--month", "2026-11", "--format", "xlsx", "--out", str(target)
    )
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout
    book = load_workbook(target, read_only=True)
    summary = list(book["概览"].iter_rows(values_only=True))
    assert summary[0][0] == "行业" and [row[0] for row in summary[1:]] == ["供水", "供电"]
    rate = [row for row in book["报送批次"].iter_rows(values_only=True) if row[1] == "合计"]
    assert [(row[0], row[-1]) for row in rate] == [("供水", "7.5%"), ("供电", "3.8%")]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--month", "2026-13"), "--month"),
        (("--month", "November"), "YYYY-MM"),
        (("--month", "2026-11", "--utility", "gas"), "gas"),
    ],
)
def test_bad_input_is_refused(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    target = tmp_path / "never.xlsx"
    done = run_cli(env, "report", "monthly", *args, "--format", "xlsx", "--out", str(target))
    assert done.returncode == 2
    assert said in done.stderr
    assert not target.exists()
