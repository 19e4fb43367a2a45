"""A month's error rates and corrections of returned rows through the REST API (SQLite and
PostgreSQL), over the API world, against the local platform:

* ``GET /api/batches/errors?month=YYYY-MM`` counts the batches sent that month that the reader
  reads (another utility's are left out), per kind and in total, with the error codes; a month
  not ``YYYY-MM`` names its field.
* ``POST /api/returned-rows/{id}/correct`` marks an open returned row corrected with a note
  (audited); another utility's row is not found, a reviewer is refused, a blank note names its
  field and changes nothing, a corrected row is not corrected twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, select

from tests.e2e.api.world import World
from tests.support.platform import PlatformTestServer
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.localtime import today

WATER_PAYMENTS = 25  # the world's payments, all of the water company


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def platform(settings: Settings) -> Iterator[PlatformTestServer]:
    with PlatformTestServer(token="api-platform") as server:
        settings.exchange.platform_url = server.url
        settings.exchange.platform_token = SecretStr("api-platform")
        settings.exchange.retries = 0
        yield server


def answered_batch(client: TestClient, world: World, platform: PlatformTestServer) -> int:
    """The water operator's payments, sent, two rows returned by the platform."""
    platform.reject_rows = {2: ("E101", "统一社会信用代码未登记"), 5: ("E207", "金额有误")}
    batch = ok(
        client.post(
            "/api/exports",
            json={"kind": "payments", "as_of": "2026-11-22"},
            headers=world.headers("op-water"),
        ),
        201,
    )
    url = f"/api/batches/{batch['id']}"
    ok(client.post(f"{url}/send", headers=world.headers("op-water")))
    ok(client.post(f"{url}/returns", headers=world.headers("op-water")))
    return int(batch["id"])


def test_a_months_error_rates_count_the_readers_batches(
    client: TestClient, world: World, platform: PlatformTestServer
) -> None:
    month = today().strftime("%Y-%m")
    url = f"/api/batches/errors?month={month}"
    empty = ok(client.get(url, headers=world.headers("op-water")))
    assert (empty["total"]["batches"], empty["total"]["rate"], empty["by_kind"]) == (0, "—", [])

    answered_batch(client, world, platform)
    found = ok(client.get(url, headers=world.headers("rev-water")))
    total = found["total"]
    assert found["month"] == month
    assert (total["batches"], total["rows_sent"], total["rows_returned"]) == (
        1,
        WATER_PAYMENTS,
        2,
    )
    assert (total["rate"], total["rate_permille"], total["pending"]) == ("8.00%", 80, 0)
    assert [k["label"] for k in found["by_kind"]] == ["payments"]
    assert sorted((c["code"], c["rows"]) for c in found["codes"]) == [("E101", 1), ("E207", 1)]

    other = ok(client.get(url, headers=world.headers("op-power")))  # not the reader's batch
    assert other["total"]["batches"] == 0 and other["codes"] == []
    earlier = ok(client.get("/api/batches/errors?month=2020-01", headers=world.headers("op-water")))
    assert earlier["total"]["batches"] == 0

    for bad in ("2026-13", "november"):
        refused = client.get(f"/api/batches/errors?month={bad}", headers=world.headers("op-water"))
        assert refused.status_code == 422, refused.text
        assert [f["field"] for f in refused.json()["error"]["fields"]] == ["month"]
    missing = client.get("/api/batches/errors", headers=world.headers("op-water"))
    assert missing.status_code == 422


def test_a_returned_row_is_corrected_by_a_member_with_a_note(
    client: TestClient, world: World, engine: Engine, platform: PlatformTestServer
) -> None:
    batch_id = answered_batch(client, world, platform)
    rows = ok(client.get(f"/api/batches/{batch_id}/returns", headers=world.headers("op-water")))
    first, second = sorted(rows, key=lambda r: r["row_no"])
    url = f"/api/returned-rows/{first['id']}/correct"

    assert (
        client.post(url, json={"note": "x"}, headers=world.headers("op-power")).status_code == 404
    )
    assert (
        client.post(url, json={"note": "x"}, headers=world.headers("rev-water")).status_code == 403
    )
    missing = client.post(
        "/api/returned-rows/999999/correct", json={"note": "x"}, headers=world.headers("op-water")
    )
    assert missing.status_code == 404
    blank = client.post(url, json={"note": "   "}, headers=world.headers("op-water"))
    assert blank.status_code == 422, blank.text
    assert [f["field"] for f in blank.json()["error"]["fields"]] == ["note"]

    still = ok(client.get(f"/api/batches/{batch_id}/returns", headers=world.headers("op-water")))
    assert {r["status"] for r in still} == {"open"}

    corrected = ok(client.post(url, json={"note": "已核对代码"}, headers=world.headers("op-water")))
    assert (corrected["id"], corrected["status"], corrected["corrected_by"]) == (
        first["id"],
        "corrected",
        "op-water",
    )
    assert corrected["correction"]["note"] == "已核对代码" and corrected["corrected_at"]
    again = client.post(url, json={"note": "再次"}, headers=world.headers("op-water"))
    assert again.status_code in (409, 422), again.text
    after = ok(client.get(f"/api/batches/{batch_id}/returns", headers=world.headers("op-water")))
    assert {r["id"]: r["status"] for r in after} == {
        first["id"]: "corrected",
        second["id"]: "open",
    }
    with engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.entity_key, AuditEntryRow.reason).where(
                AuditEntryRow.action == "exchange.correct"
            )
        ).all()
    assert [tuple(a) for a in audited] == [("op-water", str(first["id"]), "已核对代码")]
