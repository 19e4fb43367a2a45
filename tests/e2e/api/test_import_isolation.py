"""Imports stay within the importer's utilities (issue 8, items 1 and 6).

A water operator uploads files aimed at a power-only customer: updating the subject, raising
a power bill, opening a water account for the customer (which would make its unmasked file
readable to them). Every such row is rejected exactly like an unknown key and the store keeps
the power data as it was. Power's import runs, their reject CSVs and its upload's reject
report are answered 404 to water, and no run shows a server path.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.test_auth import login_console
from tests.e2e.api.world import POWER_ONLY, WATER_ONLY, World, uscc
from utilcredit.customers.tables import AccountRow, BillRow, SubjectRow
from utilcredit.importing.tables import ImportRunRow

POWER_FILE = "bills_power-only.csv"
BILLS_HEADER = "bill_no,account_no,period_start,period_end,amount,due_on\n"


def upload(client: TestClient, world: World, username: str, name: str, text: str) -> Any:
    response = client.post(
        "/api/imports",
        files=[("files", (name, text.encode(), "text/csv"))],
        headers=world.headers(username),
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def power_upload(client: TestClient, world: World) -> Any:
    """Power's own upload: a bill for its customer, and a bad row (so it has rejects)."""
    bills = (
        BILLS_HEADER
        + "PB2,P2,2026-01-01,2026-01-31,80.00,2026-02-15\n"
        + "PB3,P2,2026-01-01,2026-01-31,,2026-02-15\n"
    )
    result = upload(client, world, "op-power", POWER_FILE, bills)
    [file] = result["files"]
    assert (file["inserted"], file["rejected"]) == (1, 1), result
    assert result["reject_report_url"]
    return result


def power_data(engine: Engine) -> list[list[dict[str, Any]]]:
    """The power-only customer's rows as stored (timestamps included: an update would show)."""
    queries = [
        select(SubjectRow).where(SubjectRow.code == POWER_ONLY),
        select(AccountRow).where(
            AccountRow.subject_id.in_(select(SubjectRow.id).where(SubjectRow.code == POWER_ONLY))
        ),
        select(BillRow).where(BillRow.bill_no.in_(["PB2", "PB3"])),
    ]
    with engine.connect() as connection:
        return [[dict(row._mapping) for row in connection.execute(query)] for query in queries]


def rejects(client: TestClient, world: World, username: str, result: Any) -> list[dict[str, str]]:
    report = client.get(result["reject_report_url"], headers=world.headers(username))
    assert report.status_code == 200, report.text
    return list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))


def test_water_cannot_update_a_power_only_subject(
    client: TestClient, world: World, engine: Engine, power_upload: Any
) -> None:
    before = power_data(engine)
    subjects = (
        "code,kind,name,phone\n"
        f"{POWER_ONLY},legal,被篡改的电力客户,13999999999\n"
        f"{uscc(20)},legal,涟水县新水务客户,13800000020\n"
    )
    result = upload(client, world, "op-water", "subjects.csv", subjects)
    [file] = result["files"]
    assert (file["inserted"], file["updated"], file["rejected"]) == (1, 0, 1)
    [row] = rejects(client, world, "op-water", result)
    assert (row["row"], row["field"], row["value"]) == ("2", "code", POWER_ONLY)
    assert row["reason"] == (
        f"没有该主体或不在本单位范围：{POWER_ONLY} / "
        f"unknown subject {POWER_ONLY} or not in your utilities"
    )
    assert power_data(engine) == before


def test_water_cannot_raise_or_take_a_power_bill(
    client: TestClient, world: World, engine: Engine, power_upload: Any
) -> None:
    before = power_data(engine)
    bills = (
        BILLS_HEADER
        + "PB2,P2,2026-01-01,2026-01-31,999999.99,2026-02-15\n"  # raise power's bill
        + "B404,W404,2026-01-01,2026-01-31,1.00,2026-02-15\n"  # an account that does not exist
        + "B9,W1,2026-03-01,2026-03-31,1.00,2026-04-15\n"  # water's own: fine
    )
    result = upload(client, world, "op-water", "bills.csv", bills)
    assert result["files"][0]["inserted"] == 1
    by_row = {r["row"]: r for r in rejects(client, world, "op-water", result)}
    assert sorted(by_row) == ["2", "3"]
    # another utility's account is answered exactly like an account that does not exist
    assert by_row["2"]["reason"].replace("P2", "W404") == by_row["3"]["reason"]
    assert "不在本单位范围" in by_row["2"]["reason"]

    taken = BILLS_HEADER + "PB2,W1,2026-01-01,2026-01-31,999999.99,2026-02-15\n"
    result = upload(client, world, "op-water", "bills.csv", taken)
    [row] = rejects(client, world, "op-water", result)
    assert (row["field"], row["value"]) == ("bill_no", "PB2")
    assert power_data(engine) == before
    with engine.connect() as connection:
        amount = connection.execute(select(BillRow.amount).where(BillRow.bill_no == "PB2"))
        assert str(amount.scalar_one()) == "80.00"


def test_water_cannot_open_an_account_for_a_power_customer(
    client: TestClient, world: World, engine: Engine, power_upload: Any
) -> None:
    before = power_data(engine)
    accounts = (
        "account_no,subject_code,utility,opened_on,payment_mode\n"
        f"W9,{POWER_ONLY},water,2026-01-01,postpaid\n"
        f"P2,{WATER_ONLY},water,2026-01-01,postpaid\n"
        f"W10,{WATER_ONLY},power,2026-01-01,postpaid\n"
    )
    result = upload(client, world, "op-water", "accounts.csv", accounts)
    assert [f["rejected"] for f in result["files"]] == [3]
    fields = [(r["row"], r["field"]) for r in rejects(client, world, "op-water", result)]
    assert fields == [("2", "subject_code"), ("3", "account_no"), ("4", "utility")]
    assert power_data(engine) == before
    unmasked = client.get(
        f"/api/subjects/{POWER_ONLY}?unmasked=true", headers=world.headers("op-water")
    )
    assert unmasked.status_code == 404
    assert "涟水县乙电力用户公司" not in unmasked.text


def test_power_import_runs_and_rejects_are_not_found_for_water(
    client: TestClient, world: World, power_upload: Any
) -> None:
    run_id = power_upload["files"][0]["run_id"]
    water = world.headers("op-water")
    listed = client.get("/api/imports?limit=200", headers=water).json()["items"]
    assert run_id not in [run["id"] for run in listed]
    assert POWER_FILE not in str(listed)
    missing = client.get("/api/imports/999999", headers=water).json()["error"]
    for path in (f"/api/imports/{run_id}", f"/api/imports/{run_id}/rejects.csv"):
        response = client.get(path, headers=water)
        assert response.status_code == 404, path
        error = response.json()["error"]
        assert error["code"] == missing["code"] == "not_found"
        assert error["message"] == missing["message"].replace("999999", str(run_id))
        assert POWER_FILE not in response.text
    for username in ("op-power", "admin"):
        run = client.get(f"/api/imports/{run_id}", headers=world.headers(username))
        assert run.status_code == 200 and run.json()["file_name"] == POWER_FILE
        per_run = client.get(f"/api/imports/{run_id}/rejects.csv", headers=world.headers(username))
        assert per_run.status_code == 200 and POWER_FILE in per_run.text


def test_an_uploads_reject_report_is_its_uploaders(
    client: TestClient, world: World, power_upload: Any
) -> None:
    url = power_upload["reject_report_url"]
    # not another utility's operator, nor an operator of both who did not upload it
    for username in ("op-water", "op-both"):
        response = client.get(url, headers=world.headers(username))
        assert response.status_code == 404, username
        assert response.json()["error"]["code"] == "not_found"
    for username in ("op-power", "admin"):  # the uploader; an administrator of every utility
        assert client.get(url, headers=world.headers(username)).status_code == 200


def test_runs_show_base_names_never_server_paths(
    client: TestClient, world: World, power_upload: Any
) -> None:
    for username in ("admin", "op-power", "op-water"):
        runs = client.get("/api/imports?limit=200", headers=world.headers(username)).json()
        names = [run["file_name"] for run in runs["items"]]
        assert names, username
        assert all("/" not in name and "\\" not in name for name in names), names
        for run in runs["items"]:
            one = client.get(f"/api/imports/{run['id']}", headers=world.headers(username))
            assert one.json()["file_name"] == run["file_name"]


def test_the_console_lists_only_the_readers_runs_and_imports_within_scope(
    client: TestClient, world: World, engine: Engine, power_upload: Any
) -> None:
    before = power_data(engine)
    csrf = login_console(client, "op-water")
    page = client.get("/imports")
    assert page.status_code == 200
    assert POWER_FILE not in page.text and "subjects.csv" in page.text  # the CLI's set-up runs
    with engine.connect() as connection:
        paths = list(connection.execute(select(ImportRunRow.file_name)).scalars())
    assert all(path not in page.text for path in paths if "/" in path)

    accounts = f"account_no,subject_code,utility,opened_on,payment_mode\nW9,{POWER_ONLY},water,2026-01-01,postpaid\n"
    started = client.post(
        "/imports",
        data={"csrf_token": csrf},
        files=[("files", ("accounts.csv", accounts.encode(), "text/csv"))],
        headers={"X-CSRF-Token": csrf},
    )
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as connection:
            status = connection.execute(
                select(ImportRunRow.status, ImportRunRow.rejected, ImportRunRow.utilities).where(
                    ImportRunRow.actor == "op-water"
                )
            ).one_or_none()
        if status is not None and status.status != "running":
            break
        assert time.monotonic() < deadline, "the console import did not finish"
        time.sleep(0.05)
    assert tuple(status) == ("done", 1, "water")
    assert power_data(engine) == before
