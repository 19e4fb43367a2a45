"""The runs sub-app's commands as the lead mounts them, in-process against the test store."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from utilcredit.cli.runs import runs_app
from utilcredit.config import get_settings
from utilcredit.identifiers.model import uscc_check_char
from utilcredit.importing.runner import import_paths


def uscc(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.fixture
def cli_store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("UTILCREDIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    folder = tmp_path / "files"
    folder.mkdir()
    write_csv(
        folder / "subjects.csv",
        [["code", "kind", "name"], [uscc(1), "legal", "甲公司"], [uscc(2), "legal", "乙公司"]],
    )
    write_csv(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode"],
            ["W1", uscc(1), "water", "2020-01-01", "postpaid"],
            ["W2", uscc(2), "water", "2020-01-01", "prepaid"],
        ],
    )
    write_csv(
        folder / "bills.csv",
        [
            ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
            ["B1", "W1", "2026-02-01", "2026-02-28", "100.00", "2026-03-31"],
        ],
    )
    write_csv(
        folder / "credit_reports.csv",
        [
            ["subject_code", "source", "issued_on", "has_dishonesty", "on_serious_list"],
            [uscc(1), "jiangsu", "2026-01-01", "false", "false"],
            [uscc(2), "jiangsu", "2026-01-01", "false", "false"],
        ],
    )
    assert import_paths(engine, [folder], actor="test").ok
    yield tmp_path
    get_settings.cache_clear()


def invoke(*args: str) -> str:
    result = CliRunner().invoke(runs_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_save_rerate_list_show_history_transitions_simulate(cli_store: Path) -> None:
    first = invoke("save", "--policy", "lianshui-water", "--as-of", "2026-06-29", "-q")
    assert "批次 / run 1  complete  full" in first
    assert "green=1 blue=0 yellow=1 red=0 black=0" in first

    daily = invoke("rerate", "--policy", "lianshui-water", "--as-of", "2026-06-30", "-q")
    assert "批次 / run 2  complete  incremental" in daily
    assert "变化 / changed: 1" in daily  # (re-rated counts: see test_runs; here all rows are
    # from the import's last second, which a re-rating always takes as changed)

    since = invoke("rerate", "--policy", "lianshui-water", "--since-import", "-q")
    assert "评定日 / as of: 2026-06-30" in since  # the current run's date
    assert "变化 / changed: 0" in since

    listing = invoke("list", "--policy", "lianshui-water")
    assert listing.splitlines()[1].split()[:6] == [
        "3",
        "lianshui-water",
        "2022.1",
        "2026-06-30",
        "incremental",
        "complete",
    ]
    assert "*current" in listing.splitlines()[1]

    show = invoke("show", "2", "--subject", uscc(1))
    assert f"{uscc(1)}  red" in show
    assert "  R1 fired value=3 evidence=B1" in show

    history = invoke("history", uscc(1))
    assert "lianshui-water    2  2026-06-30  yellow  red     新触发 R1" in history.splitlines()

    matrix = invoke("transitions", "1", "2")
    assert f"yellow → red (1): {uscc(1)}" in matrix
    assert "changed: 1 of 2" in matrix

    draft = cli_store / "draft.yaml"
    from utilcredit.policies.loader import shipped_policy_root

    text = shipped_policy_root().joinpath("lianshui-water/2022.1.yaml").read_text("utf-8")
    draft.write_text(text.replace("months: {min: 3, max: 6}", "months: {min: 4, max: 6}"), "utf-8")
    what_if = invoke(
        "simulate", "--policy", str(draft), "--against", "lianshui-water", "--as-of", "2026-06-30"
    )
    assert "nothing stored" in what_if
    assert f"red → yellow (1): {uscc(1)}" in what_if
    assert invoke("list").count("\n") == 4  # header + 3 runs: the simulation stored nothing


def test_unknown_run_is_reported_with_exit_code_3(cli_store: Path) -> None:
    result = CliRunner().invoke(runs_app, ["show", "99"])
    assert result.exit_code == 3
