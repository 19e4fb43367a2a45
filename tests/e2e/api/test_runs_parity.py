"""The API, the console and the command line tell the same story about a subject: the same
next-change date (``utilcredit explain``) and the same level history with the clauses that
fired (``utilcredit runs history``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.world import AS_OF, WATER_ONLY, World
from tests.integration.rating_runs.helpers import save
from tests.support.shell import run_cli
from utilcredit.access import service as access
from utilcredit.importing.runner import import_paths
from utilcredit.policies.service import policy_at

POLICY = "lianshui-water"


def cli(env: dict[str, str], *args: str) -> str:
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def pay_late(engine: Engine, folder: Path) -> None:
    """B1 (due 2026-02-15) paid on 2026-11-01 and three later bills paid late: no arrears left,
    four late payments within a year (red), which leave the window one by one."""
    folder.mkdir()
    bills = [["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"]]
    payments = [
        ["payment_no", "bill_no", "paid_on", "amount"],
        ["PAY-B1", "B1", "2026-11-01", "100.00"],
    ]
    for month in (3, 4, 5):
        bills.append(
            [
                f"L{month}",
                "W1",
                f"2026-0{month}-01",
                f"2026-0{month}-28",
                "10.00",
                f"2026-0{month}-15",
            ]
        )
        payments.append([f"PAY-L{month}", f"L{month}", f"2026-0{month}-25", "10.00"])
    for name, rows in (("bills", bills), ("payments", payments)):
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    report = import_paths(engine, [folder], actor="test")
    assert report.ok, [f.rejects for f in report.files]


def console_page(client: TestClient, engine: Engine, world: World) -> str:
    with engine.begin() as connection:
        tokens = access.start_session(connection, world.users["op-water"].principal)
    client.cookies.clear()
    page = client.get(
        f"/subjects/{WATER_ONLY}?policy={POLICY}&as_of={AS_OF}",
        headers={"Cookie": f"uc_session={tokens.token}"},
    )
    assert page.status_code == 200, page.text
    return str(page.text)


def test_api_console_and_cli_agree_on_next_change_and_history(
    client: TestClient, world: World, engine: Engine, store_env: dict[str, str], tmp_path: Path
) -> None:
    loaded = policy_at(POLICY, None)
    save(engine, loaded, dt.date(2026, 2, 1))  # before B1 falls due
    save(engine, loaded, dt.date(2026, 10, 1))  # B1 unpaid for months
    pay_late(engine, tmp_path / "late")

    api = client.get(
        f"/api/subjects/{WATER_ONLY}/rating?policy={POLICY}&as_of={AS_OF}",
        headers=world.headers("op-water"),
    ).json()
    explained = json.loads(
        cli(store_env, "explain", WATER_ONLY, "--policy", POLICY, "--as-of", AS_OF, "-f", "json")
    )
    history_text = cli(store_env, "runs", "history", WATER_ONLY, "--policy", POLICY)
    html = console_page(client, engine, world)

    # The next-change date: computed, the same in all three.
    on = explained["next_change"]["on"]
    assert on is not None and api["next_change"] == on
    assert re.search(rf":\s*{on}\s*</div>", html), on

    # The level history: the same runs, levels and fired clauses, newest first in the API.
    history = api["history"]
    assert len(history) == 2 and any(h["fired"] for h in history)
    rows = [line.split() for line in history_text.splitlines()[2:] if line.strip()]
    by_run = {row[1]: row for row in rows}
    assert set(by_run) == {str(h["run_id"]) for h in history}
    for entry in history:
        row = by_run[str(entry["run_id"])]
        assert row[2] == entry["as_of"] and row[4] == entry["level"]
        cause = " ".join(row[5:])
        for clause in entry["fired"]:
            assert clause in cause
        shown = f"{entry['as_of']} · {POLICY} #{entry['run_id']}"
        assert shown + (f" · {', '.join(entry['fired'])}" if entry["fired"] else "") in html
