"""``utilcredit records | objections | repairs`` as a utility runs them: the command line in-
process, a real store, the roles of the named ``--actor`` users."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.records.builders import Store, pay, staff
from tests.support.shell import run_cli as run

pytestmark = pytest.mark.sqlite_only

D = dt.date


def jsonl(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    done = run(env, "records", "list", "--format", "jsonl", *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_derive_confirm_object_and_repair_from_the_shell(
    engine: Engine, store_env: dict[str, str], tmp_path: Path
) -> None:
    staff(engine)
    with engine.begin() as connection:
        store = Store(connection)
        store.account("ACC-1")
        bill = store.bill("ACC-1", D(2026, 1, 5), "12000.00")
        store.reminder("ACC-1", D(2026, 1, 15))
        store.incident("ACC-1", "theft", D(2026, 2, 1), "300.00")

    derived = run(
        store_env, "records", "derive", "--policy", "shaoguan-water", "--as-of", "2026-03-01"
    )
    assert derived.returncode == 0, derived.stderr
    assert "new candidates 2" in " ".join(derived.stdout.split())
    again = run(
        store_env, "records", "derive", "--policy", "shaoguan-water", "--as-of", "2026-03-01"
    )
    assert "new candidates 0" in " ".join(again.stdout.split())

    records = jsonl(store_env)
    assert {r["kind"] for r in records} == {"arrears", "theft"}
    for key in (
        "id",
        "subject",
        "kind",
        "class",
        "status",
        "determined_on",
        "publish_from",
        "publish_until",
    ):
        assert all(key in r for r in records)
    arrears = next(r for r in records if r["kind"] == "arrears")
    theft = next(r for r in records if r["kind"] == "theft")

    refused = run(
        store_env, "records", "confirm", str(theft["id"]), "--actor", "op", "--date", "2026-03-02"
    )
    assert refused.returncode == 4, refused.stderr  # operators file, reviewers decide
    for record in (arrears, theft):
        confirmed = run(
            store_env,
            "records",
            "confirm",
            str(record["id"]),
            "--actor",
            "rev",
            "--date",
            "2026-03-02",
        )
        assert confirmed.returncode == 0, confirmed.stderr
    published = jsonl(store_env, "--status", "published")
    assert {r["id"] for r in published} == {arrears["id"], theft["id"]}
    assert all(r["publish_until"] == "2027-03-01" for r in published)

    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4\n")
    filed = run(
        store_env,
        "objections",
        "file",
        str(theft["id"]),
        "--actor",
        "op",
        "--reason",
        "表计故障，非窃水",
        "--attach",
        str(proof),
        "--date",
        "2026-09-30",
    )
    assert filed.returncode == 0, filed.stderr
    assert "2026-10-13" in filed.stdout
    shown = json.loads(run(store_env, "records", "show", str(theft["id"])).stdout)
    assert shown["status"] == "under_objection"
    objection_id = shown["objections"][0]["id"]
    decided = run(
        store_env,
        "objections",
        "decide",
        str(objection_id),
        "--actor",
        "rev",
        "--decision",
        "remove",
        "--note",
        "核实为表计故障",
        "--date",
        "2026-10-09",
    )
    assert decided.returncode == 0, decided.stderr
    assert jsonl(store_env, "--status", "removed")[0]["id"] == theft["id"]

    early = run(
        store_env,
        "repairs",
        "apply",
        str(arrears["id"]),
        "--actor",
        "op",
        "--statement",
        "已缴清欠费",
        "--commitment-signed",
        "2026-05-01",
        "--date",
        "2026-05-01",
    )
    assert early.returncode == 2
    assert "2026-06-02" in early.stderr and "仍有未付清的账单" in early.stderr
    with engine.begin() as connection:
        pay(connection, bill, D(2026, 6, 3), "12000.00")
    applied = run(
        store_env,
        "repairs",
        "apply",
        str(arrears["id"]),
        "--actor",
        "op",
        "--statement",
        "已缴清欠费",
        "--commitment-signed",
        "2026-06-09",
        "--date",
        "2026-06-10",
    )
    assert applied.returncode == 0, applied.stderr
    repair_id = json.loads(run(store_env, "records", "show", str(arrears["id"])).stdout)["repairs"][
        0
    ]["id"]
    for step in (
        ("accept", str(repair_id), "--actor", "rev", "--date", "2026-06-11"),
        (
            "decide",
            str(repair_id),
            "--actor",
            "rev",
            "--decision",
            "approved",
            "--date",
            "2026-06-12",
        ),
        ("close", str(repair_id), "--actor", "rev", "--date", "2026-06-15"),
    ):
        done = run(store_env, "repairs", *step)
        assert done.returncode == 0, done.stderr
    final = json.loads(run(store_env, "records", "show", str(arrears["id"])).stdout)
    assert final["status"] == "repaired"
    assert [h["action"] for h in final["history"] if h["case"].startswith("repair")] == [
        "submit",
        "accept",
        "approve",
        "close",
    ]
