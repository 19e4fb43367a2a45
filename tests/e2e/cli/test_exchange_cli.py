"""``utilcredit export`` and ``utilcredit batches`` as the utility's data officer runs them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.exchange.world import COMPANY, RESIDENT, build
from tests.support.platform import PlatformTestServer, returned_file
from tests.support.shell import run_cli
from utilcredit.localtime import today

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


@pytest.fixture
def platform(env: dict[str, str]) -> Iterator[PlatformTestServer]:
    with PlatformTestServer(token="cli-token") as server:
        env["UTILCREDIT_EXCHANGE_PLATFORM_URL"] = server.url
        env["UTILCREDIT_EXCHANGE_PLATFORM_TOKEN"] = "cli-token"
        env["UTILCREDIT_EXCHANGE_RETRIES"] = "0"
        yield server


def batch_json(env: dict[str, str], batch_id: int) -> dict[str, object]:
    shown = run_cli(env, "batches", "show", str(batch_id), "--format", "jsonl")
    assert shown.returncode == 0, shown.stderr
    found: dict[str, object] = json.loads(shown.stdout)
    return found


def test_send_receive_errors_correct_resubmit_accepted(
    env: dict[str, str], platform: PlatformTestServer, tmp_path: Path
) -> None:
    assert run_cli(env, "export", "--kind", "payments").returncode == 0
    platform.fail_next = 1
    failed = run_cli(env, "batches", "send", "1")
    assert failed.returncode == 6 and "HTTP 500" in failed.stderr
    assert batch_json(env, 1)["status"] == "created" and platform.submissions == []

    platform.reject_rows = {1: ("E101", "统一社会信用代码未在平台登记")}
    sent = run_cli(env, "batches", "send", "1")
    assert sent.returncode == 0, sent.stderr
    assert "PT000001" in sent.stdout
    loaded = run_cli(env, "batches", "load-returns", "1")
    assert loaded.returncode == 0, loaded.stderr
    assert "全部退回" in said(loaded.stdout) and "100.00%" in loaded.stdout
    shown = batch_json(env, 1)
    returned = shown["returned"]
    assert isinstance(returned, list)
    [row] = returned
    assert (row["source_key"], row["error_code"], row["status"]) == (
        "payment:PAY-1",
        "E101",
        "open",
    )
    assert shown["error_rate"] == "100.00%"

    no_note = run_cli(env, "batches", "correct", str(row["id"]), "--note", "")
    assert no_note.returncode == 2 and "note" in no_note.stderr
    corrected = run_cli(env, "batches", "correct", str(row["id"]), "--note", "主体已在平台补登")
    assert corrected.returncode == 0 and "已更正" in corrected.stdout

    again = run_cli(env, "export", "--kind", "payments", "--corrections")
    assert again.returncode == 0 and "批次/batch2" in said(again.stdout)
    assert run_cli(env, "batches", "send", "2").returncode == 0
    answer = tmp_path / "answer.csv"
    answer.write_bytes(returned_file([], encoding="gb18030"))
    accepted = run_cli(env, "batches", "load-returns", "2", str(answer))
    assert accepted.returncode == 0 and "已接收" in accepted.stdout
    assert batch_json(env, 1)["returned"][0]["status"] == "resubmitted"  # type: ignore[index]

    rates = run_cli(
        env, "batches", "errors", "--month", today().strftime("%Y-%m"), "--format", "jsonl"
    )
    total, *rest = [json.loads(line) for line in rates.stdout.splitlines()]
    assert (total["rows_sent"], total["rows_returned"], total["rate"]) == (2, 1, "50.00%")
    assert {"error_code": "E101", "rows": 1} in rest
    table = run_cli(env, "batches", "errors", "--month", today().strftime("%Y-%m"))
    assert "50.00%" in table.stdout and "E101" in table.stdout
    bad_month = run_cli(env, "batches", "errors", "--month", "2026-13")
    assert bad_month.returncode == 2 and "YYYY-MM" in bad_month.stderr


def test_a_bad_returned_file_is_refused_whole(
    env: dict[str, str], platform: PlatformTestServer, tmp_path: Path
) -> None:
    run_cli(env, "export", "--kind", "payments")
    run_cli(env, "batches", "send", "1")
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(returned_file([(4, "E1", "x")]))
    refused = run_cli(env, "batches", "load-returns", "1", str(unknown))
    assert refused.returncode == 2 and "4" in refused.stderr
    assert batch_json(env, 1)["status"] == "sent" and batch_json(env, 1)["returned"] == []


def test_checks_fetched_and_loaded_by_hand_with_their_use(
    env: dict[str, str], platform: PlatformTestServer, tmp_path: Path
) -> None:
    platform.reports[COMPANY] = {
        "subject_code": COMPANY,
        "source": "guangdong",
        "issued_on": "2026-11-28",
        "has_dishonesty": False,
        "on_serious_list": False,
        "rating": "A",
    }
    fetched = run_cli(env, "check", COMPANY, "--purpose", "application", "--note", "信易电报装")
    assert fetched.returncode == 0, fetched.stderr
    assert "无失信记录" in fetched.stdout
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(platform.reports[COMPANY] | {"subject_code": RESIDENT, "rating": None}),
        encoding="utf-8",
    )
    by_hand = run_cli(env, "check", RESIDENT, "--purpose", "trustworthy", "--file", str(report))
    assert by_hand.returncode == 0, by_hand.stderr
    missing = run_cli(env, "check", RESIDENT, "--purpose", "commitment")  # none at the platform
    assert missing.returncode == 6 and "失败" in missing.stdout

    used = run_cli(
        env, "check", "use", "1", "--used-for", "granted", "--note", "以报告代替产权证明"
    )
    assert used.returncode == 0 and "予以办理" in used.stdout
    twice = run_cli(env, "check", "use", "1", "--used-for", "refused")
    assert twice.returncode == 5
    listed = run_cli(env, "checks", "list", "--format", "jsonl")
    found = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(c["id"], c["source"], c["status"], c["used_for"]) for c in found] == [
        (3, "platform", "failed", None),
        (2, "manual", "done", None),
        (1, "platform", "done", "granted"),
    ]
    unused = run_cli(env, "checks", "list", "--unused", "--format", "jsonl")
    assert [json.loads(line)["id"] for line in unused.stdout.splitlines()] == [2]
