"""``utilcredit calendar`` as an administrator runs it: in-process, against a real store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.shell import run_cli
from tests.unit.workdays.files import SCHEDULE_2027, SCHEDULE_2027_ROWS, calendar_csv


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, "calendar", *args)


def said(stream: str) -> str:
    """What was printed, with the console's line wrapping undone."""
    return " ".join(stream.split())


def test_load_show_and_count_deadlines(store_env: dict[str, str], tmp_path: Path) -> None:
    unknown = run(store_env, "deadline", "2026-12-31", "1")
    assert unknown.returncode == 2, unknown.stderr
    assert "2027" in unknown.stderr and "utilcredit calendar load FILE" in said(unknown.stderr)

    schedule = tmp_path / "2027.csv"
    schedule.write_bytes(SCHEDULE_2027)
    loaded = run(store_env, "load", str(schedule), "--actor", "admin")
    assert loaded.returncode == 0, loaded.stderr
    assert "2027: 19" in said(loaded.stdout) and "3 天调休上班" in said(loaded.stdout)

    shown = run(store_env, "show", "--year", "2027", "--format", "jsonl")
    assert shown.returncode == 0, shown.stderr
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [(d["date"], d["working"], d["name"], d["source"]) for d in lines] == [
        (day, kind == "workday", name, "table") for day, kind, name in SCHEDULE_2027_ROWS
    ]
    assert lines[0]["weekday"] == 5  # 2027-01-01 is a Friday

    due = run(store_env, "deadline", "2026-12-31", "1")
    assert due.returncode == 0, due.stderr
    assert due.stdout.split() == ["2027-01-04", "周一"]

    again = run(store_env, "load", str(schedule), "--actor", "admin")
    assert again.returncode == 0, again.stderr
    assert "replaced 22" in said(again.stdout)
    assert run(store_env, "show", "--year", "2027", "--format", "jsonl").stdout == shown.stdout


def test_show_a_library_year_as_a_table(store_env: dict[str, str]) -> None:
    shown = run(store_env, "show", "--year", "2026")
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "2026-10-10" in line)
    assert "周六" in row and "国庆节调休上班" in row and "library" in row
    assert "chinesecalendar" in shown.stdout
    assert run(store_env, "deadline", "2026-09-30", "1").stdout.split()[0] == "2026-10-08"


def test_a_bad_file_is_rejected_with_row_and_field(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "2028.csv"
    bad.write_bytes(calendar_csv([("2028-01-03", "holiday", "元旦"), ("2028-01-04", "rest", "x")]))
    result = run(store_env, "load", str(bad), "--actor", "admin")
    assert result.returncode == 2
    assert "row 3 · kind" in said(result.stderr) and "nothing loaded" in said(result.stderr)
    unknown = run(store_env, "show", "--year", "2028")
    assert unknown.returncode == 2 and "2028" in unknown.stderr


def test_correct_one_day(store_env: dict[str, str]) -> None:
    result = run(
        store_env, "set", "2026-10-08", "holiday", "--name", "国庆节（延长）", "--actor", "admin"
    )
    assert result.returncode == 0, result.stderr
    assert run(store_env, "deadline", "2026-09-30", "1").stdout.split()[0] == "2026-10-09"
    shown = run(store_env, "show", "--year", "2026", "--format", "jsonl")
    corrected = [json.loads(line) for line in shown.stdout.splitlines() if "2026-10-08" in line]
    assert corrected == [
        {
            "date": "2026-10-08",
            "weekday": 4,
            "working": False,
            "name": "国庆节（延长）",
            "source": "table",
        }
    ]
