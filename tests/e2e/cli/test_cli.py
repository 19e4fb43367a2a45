"""The command line as a user runs it, against a real store: in-process, except where a real
process is the point (killed mid-import)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.support.shell import run_cli as run
from utilcredit import schema
from utilcredit.customers.tables import BillRow
from utilcredit.db import make_engine
from utilcredit.identifiers.model import uscc_check_char
from utilcredit.importing.tables import ImportRunRow


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def code(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


@pytest.fixture
def small_utility(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    write(
        folder / "subjects.csv",
        [
            ["code", "kind", "name"],
            [code(1), "legal", "涟水县甲公司"],
            [code(2), "legal", "涟水县乙公司"],
        ],
    )
    write(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode"],
            ["W1", code(1), "water", "2020-01-01", "postpaid"],
            ["W2", code(2), "water", "2020-01-01", "prepaid"],
        ],
    )
    write(
        folder / "bills.csv",
        [
            ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
            ["B1", "W1", "2026-01-01", "2026-01-31", "100.00", "2026-02-15"],
            ["B2", "W1", "2026-02-01", "2026-02-28", "abc", "2026-03-15"],
        ],
    )
    return folder


def test_import_reports_rejects_in_a_file_and_exits_1(
    store_env: dict[str, str], small_utility: Path, tmp_path: Path
) -> None:
    report = tmp_path / "rejects.csv"
    result = run(store_env, "import", str(small_utility), "--rejects", str(report), "-q")
    assert result.returncode == 1, result.stderr
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["row"], r["field"], r["value"]) for r in rows] == [
        ("bills.csv", "3", "amount", "abc")
    ]
    assert "not a number" in rows[0]["reason"]


def test_rate_and_explain_read_the_store(store_env: dict[str, str], small_utility: Path) -> None:
    run(store_env, "import", str(small_utility), "-q")
    rated = run(
        store_env, "rate", "--policy", "lianshui-water", "--as-of", "2026-11-22", "--format", "csv"
    )
    assert rated.returncode == 0, rated.stderr
    rows = {r["subject"]: r for r in csv.DictReader(rated.stdout.splitlines())}
    assert rows.keys() == {code(1), code(2)}
    assert (
        rows[code(1)]["level"] == "black" and "K1" in rows[code(1)]["fired"]
    )  # B1 unpaid for 9 months
    explained = run(
        store_env, "explain", code(1), "--policy", "lianshui-water", "--as-of", "2026-11-22"
    )
    assert explained.returncode == 0, explained.stderr
    assert "黑色" in explained.stdout and "K1" in explained.stdout and "B1" in explained.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rate", "--policy", "no-such-policy", "--as-of", "2026-11-22"], "no-such-policy"),
        (["rate", "--policy", "lianshui-water", "--as-of", "2026-02-30"], "invalid date"),
        (
            [
                "explain",
                "914403001922038216",
                "--policy",
                "lianshui-water",
                "--as-of",
                "2026-11-22",
            ],
            "no subject",
        ),
    ],
)
def test_wrong_key_date_or_code_is_a_clear_error(
    store_env: dict[str, str], args: list[str], message: str
) -> None:
    result = run(store_env, *args)
    assert result.returncode != 0
    assert message in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr


def test_demo_generates_imports_and_rates(store_env: dict[str, str], tmp_path: Path) -> None:
    result = run(
        store_env,
        "demo",
        "--subjects",
        "60",
        "--as-of",
        "2026-11-22",
        "--out",
        str(tmp_path / "demo"),
    )
    assert result.returncode == 0, result.stderr
    assert "lianshui-water" in result.stdout and "huaiyin-power" in result.stdout
    assert "utilcredit explain" in result.stdout
    assert (tmp_path / "demo" / "bills.csv").stat().st_size > 0


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A fresh SQLite store of this test's own (no other test, in this process or another, has
    opened it) and the environment for the CLI to use it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'own' / 'utilcredit.db'}")
    schema.upgrade(engine)
    env = dict(os.environ)
    env["UTILCREDIT_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    env["UTILCREDIT_DATA_DIR"] = str(tmp_path / "data")
    yield engine, env
    engine.dispose()


def test_killing_the_process_mid_import_leaves_the_store_as_it_was(
    own_store: tuple[Engine, dict[str, str]], small_utility: Path, tmp_path: Path
) -> None:
    engine, store_env = own_store
    assert (
        run(
            store_env,
            "import",
            str(small_utility / "subjects.csv"),
            str(small_utility / "accounts.csv"),
            "-q",
        ).returncode
        == 0
    )
    rows = [["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"]]
    rows += [
        [f"K{i:07d}", "W1", "2026-01-01", "2026-01-31", "1.00", "2026-02-15"]
        for i in range(1_500_000)  # ~10 s even at full speed: room to kill it mid-file
    ]
    big = write(tmp_path / "bills.csv", rows)
    process = subprocess.Popen(
        [sys.executable, "-m", "utilcredit", "import", str(big), "-q"],
        env=store_env,
        stderr=subprocess.DEVNULL,  # the reader workers' broken pipes when their parent dies
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if (
                    connection.execute(
                        select(ImportRunRow.status).where(ImportRunRow.kind == "bills")
                    ).scalar()
                    == "running"
                ):
                    break
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the file
        assert process.poll() is None, "the import finished before it could be interrupted"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(BillRow)).scalar_one() == 0
        status = connection.execute(
            select(ImportRunRow.status).where(ImportRunRow.kind == "bills")
        ).scalar_one()
    assert status == "running"  # visible as interrupted: it never finished
