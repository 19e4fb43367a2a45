"""``utilcredit export`` and ``utilcredit batches`` as the utility's data officer runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.exchange.world import COMPANY, build
from tests.support.shell import run_cli

pytestmark = pytest.mark.sqlite_only


def said(stream: str) -> str:
    return "".join(stream.split())  # the console's line wrapping undone


@pytest.fixture
def env(engine: Engine, store_env: dict[str, str]) -> dict[str, str]:
    with engine.begin() as connection:
        build(connection)
    return store_env


def test_export_a_kind_then_list_show_and_validate_its_batch(env: dict[str, str]) -> None:
    done = run_cli(env, "export", "--kind", "payments", "--as-of", "2026-11-30")
    assert done.returncode == 0, done.stderr
    assert "批次/batch1" in said(done.stdout) and "1行rows" in said(done.stdout)

    listed = run_cli(env, "batches", "list", "--format", "jsonl")
    [batch] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (batch["kind"], batch["mode"], batch["status"], batch["rows"]) == (
        "payments",
        "full",
        "created",
        1,
    )
    shown = json.loads(run_cli(env, "batches", "show", "1", "--format", "jsonl").stdout)
    data = next(f for f in shown["files"] if f["role"] == "data")
    path = Path(shown["folder"]) / data["name"]
    assert len(data["sha256"]) == 64 and path.stat().st_size == data["bytes"]

    checked = run_cli(env, "export", "validate", str(path), "--as-of", "2026-11-30")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "公用事业缴费信息：1行rows，0行未通过" in said(checked.stdout)


def test_validate_names_the_row_item_and_reason_and_exits_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    run_cli(env, "export", "--kind", "payments", "--format", "csv", "--as-of", "2026-11-30")
    shown = json.loads(run_cli(env, "batches", "show", "1", "--format", "jsonl").stdout)
    source = Path(shown["folder"]) / shown["files"][0]["name"]
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([row[0], COMPANY[:-1] + "R", *row[2:]])
        writer.writerow([*row[:8], "-3.00", *row[9:]])
    checked = run_cli(env, "export", "validate", str(edited), "--as-of", "2026-11-30")
    assert checked.returncode == 1
    assert "2行rows，2行未通过" in said(checked.stdout)
    as_lines = run_cli(
        env, "export", "validate", str(edited), "--as-of", "2026-11-30", "--format", "jsonl"
    )
    problems = [json.loads(line) for line in as_lines.stdout.splitlines()]
    assert [(p["row"], p["item"]) for p in problems] == [(1, "统一社会信用代码"), (2, "缴费金额")]
    assert "校验位" in problems[0]["reason"] and problems[1]["value"] == "-3.00"
    assert "金额不能为负" in problems[1]["reason"]


def test_bad_requests_are_clear_errors_that_write_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    unknown_kind = run_cli(env, "export", "--kind", "gas-bills")
    assert unknown_kind.returncode == 2 and "payments-natural" in said(unknown_kind.stderr)
    unknown_catalog = run_cli(env, "export", "--catalog", "nowhere-2030", "--kind", "payments")
    assert unknown_catalog.returncode == 2 and "zhanjiang-2022" in said(unknown_catalog.stderr)
    no_kind = run_cli(env, "export")
    assert no_kind.returncode == 2 and "--kind" in no_kind.stderr
    stray = tmp_path / "stray.csv"
    stray.write_text("甲,乙\n1,2\n", encoding="utf-8")
    refused = run_cli(env, "export", "validate", str(stray))
    assert refused.returncode == 2 and "表头" in said(refused.stderr)
    listed = run_cli(env, "batches", "list", "--format", "jsonl")
    assert listed.stdout.strip() == ""  # no batch was made by any of them
    missing = run_cli(env, "batches", "show", "9")
    assert missing.returncode == 3
