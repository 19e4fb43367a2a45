"""Exports and submission batches through the REST API (SQLite and PostgreSQL), over the API
world: the water utility's payments and arrears, its operator, the power utility's operator,
an operator of both, the credit office and a reviewer.

An export answers 201 with the batch; its files download with their type and name and hold
the catalog's data items; it covers only the exporter's own utilities (another is 403,
audited, nothing written); a batch is listed for and read by those who read each of its
utilities (another utility's batch: 404, audited); bad input names its field and writes
nothing; an uploaded file is checked as the platform would.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from tests.e2e.api.world import WATER_ONLY, World
from tests.support.platform import PlatformTestServer, returned_file
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.tables import ExchangeBatchRow

PAYMENTS = ZHANJIANG_2022.kind("payments")
WATER_PAYMENTS = 25  # the world's payments, all of the water company WATER_ONLY


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def export(client: TestClient, world: World, user: str, **body: Any) -> Response:
    response: Response = client.post(
        "/api/exports",
        json={"kind": "payments", "as_of": "2026-11-22", **body},
        headers=world.headers(user),
    )
    return response


def audited(engine: Engine, action: str) -> list[Any]:
    """The audit entries of ``action``, oldest first (actor, entity, entity_key, detail)."""
    columns = (AuditEntryRow.actor, AuditEntryRow.entity, AuditEntryRow.entity_key)
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(*columns, AuditEntryRow.detail)
                .where(AuditEntryRow.action == action)
                .order_by(AuditEntryRow.id)
            ).all()
        )


def batch_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(ExchangeBatchRow)).scalar_one()
        )


def exchange_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "exchange"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def csv_rows(content: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def test_an_operator_exports_their_utility_and_downloads_the_files(
    client: TestClient, world: World, engine: Engine
) -> None:
    batch = ok(export(client, world, "op-water"), 201)
    assert (batch["kind"], batch["utilities"], batch["mode"], batch["status"]) == (
        "payments",
        ["water"],
        "full",
        "created",
    )
    assert (batch["rows"], batch["invalid_rows"], batch["problems"]) == (WATER_PAYMENTS, 0, [])
    assert batch["created_by"] == "op-water" and "folder" not in batch
    assert {f["role"] for f in batch["files"]} == {"data", "keys"}

    data = client.get(batch["file_urls"]["data"], headers=world.headers("op-water"))
    assert data.status_code == 200, data.text
    assert data.headers["content-type"] == "text/csv; charset=utf-8"
    name = next(f["name"] for f in batch["files"] if f["role"] == "data")
    assert f'filename="{name}"' in data.headers["content-disposition"]
    assert data.headers["content-disposition"].startswith("attachment")
    assert data.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads Chinese
    header, *rows = csv_rows(data.content)
    assert tuple(header) == PAYMENTS.headers
    assert len(rows) == WATER_PAYMENTS and {r[1] for r in rows} == {WATER_ONLY}

    keys = client.get(f"/api/batches/{batch['id']}/files/keys", headers=world.headers("op-water"))
    assert keys.status_code == 200 and keys.headers["content-type"].startswith("text/plain")
    assert len(keys.text.splitlines()) == WATER_PAYMENTS
    assert all(line.startswith("payment:") for line in keys.text.splitlines())

    downloads = audited(engine, "exchange.download")
    assert [(d.actor, d.entity_key, d.detail["role"]) for d in downloads] == [
        ("op-water", str(batch["id"]), "data"),
        ("op-water", str(batch["id"]), "keys"),
    ]
    missing = client.get(
        f"/api/batches/{batch['id']}/files/invalid", headers=world.headers("op-water")
    )
    assert missing.status_code == 404  # no row failed: no report


def test_formats_and_encodings_are_served_as_exported(client: TestClient, world: World) -> None:
    gb = ok(export(client, world, "op-water", encoding="gb18030"), 201)
    data = client.get(gb["file_urls"]["data"], headers=world.headers("op-water"))
    assert data.headers["content-type"] == "text/csv; charset=gb18030"
    assert tuple(csv_rows(data.content, "gb18030")[0]) == PAYMENTS.headers

    book = ok(export(client, world, "op-water", format="xlsx"), 201)
    data = client.get(book["file_urls"]["data"], headers=world.headers("op-water"))
    assert data.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert data.content.startswith(b"PK")  # a zip: the workbook

    listed = ok(export(client, world, "op-water", format="json"), 201)
    data = client.get(listed["file_urls"]["data"], headers=world.headers("op-water"))
    assert data.headers["content-type"] == "application/json"
    assert len(data.json()) == WATER_PAYMENTS and list(data.json()[0]) == list(PAYMENTS.headers)


def test_rows_failing_the_checks_are_reported_and_their_report_downloads(
    client: TestClient, world: World, settings: Settings
) -> None:
    # A determining unit with a wrong check character: every row's 经办机关 code fails.
    settings.records.determining_units = {
        **settings.records.determining_units,
        "water": ("示范供水有限公司", "91440200617512345A"),
    }
    batch = ok(export(client, world, "op-water"), 201)
    assert (batch["rows"], batch["invalid_rows"]) == (0, WATER_PAYMENTS)
    assert {p["item"] for p in batch["problems"]} == {"经办机关统一社会信用代码"}
    report = client.get(batch["file_urls"]["invalid"], headers=world.headers("op-water"))
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    header, *lines = csv_rows(report.content)
    assert header == ["来源记录", "数据项", "值", "原因"]
    assert len(lines) == WATER_PAYMENTS and lines[0][2] == "91440200617512345A"


def test_an_export_covers_only_the_exporters_own_utilities(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    refused = export(client, world, "op-water", utility=["power"])
    assert refused.status_code == 403, refused.text
    assert set(refused.json()) == {"error"}
    [denial] = audited(engine, "access_denied")
    assert denial.actor == "op-water" and denial.entity == "exchange_batch"
    assert batch_count(engine) == 0 and exchange_files(settings) == []

    mixed = export(client, world, "op-water", utility=["water", "power"])
    assert mixed.status_code == 403 and batch_count(engine) == 0

    both = ok(export(client, world, "op-both"), 201)  # by default: all of the user's own
    assert both["utilities"] == ["power", "water"]
    one = ok(export(client, world, "op-both", utility="power"), 201)
    assert one["utilities"] == ["power"] and one["rows"] == 0  # power has no payment

    for user in ("rev-water", "office"):  # no exchange permission
        assert export(client, world, user).status_code == 403
    assert batch_count(engine) == 2


def test_batches_are_listed_and_read_by_readers_of_each_of_their_utilities(
    client: TestClient, world: World, engine: Engine
) -> None:
    water = ok(export(client, world, "op-water"), 201)["id"]
    power = ok(export(client, world, "op-power", kind="arrears"), 201)["id"]
    both = ok(export(client, world, "op-both"), 201)["id"]

    def listed(user: str, **params: Any) -> list[int]:
        page = ok(client.get("/api/batches", params=params, headers=world.headers(user)))
        return [item["id"] for item in page["items"]]

    assert listed("op-water") == [water]
    assert listed("op-power") == [power]
    assert listed("op-both") == [both, power, water]
    assert listed("office") == [both, power, water]  # the credit office reads every utility
    assert listed("rev-water") == [water]
    assert listed("op-both", kind="arrears") == [power]
    assert listed("op-both", status="sent") == []
    first = ok(client.get("/api/batches?limit=2", headers=world.headers("op-both")))
    assert [i["id"] for i in first["items"]] == [both, power] and first["has_more"]

    shown = ok(client.get(f"/api/batches/{water}", headers=world.headers("rev-water")))
    assert shown["id"] == water and shown["status_zh"] == "已生成"
    assert (shown["error_rate"], shown["error_rate_permille"]) == ("—", None)  # no answer yet

    before = len(audited(engine, "access_denied"))
    for user, batch_id in (("op-power", water), ("op-water", both), ("op-water", power)):
        hidden = client.get(f"/api/batches/{batch_id}", headers=world.headers(user))
        assert hidden.status_code == 404, (user, batch_id)
        assert hidden.json()["error"]["code"] == "not_found"
        files = client.get(f"/api/batches/{batch_id}/files/data", headers=world.headers(user))
        assert files.status_code == 404
    assert len(audited(engine, "access_denied")) == before + 6
    unknown = client.get("/api/batches/999", headers=world.headers("op-water"))
    assert unknown.status_code == 404
    # The reviewer reads the batch but may not take its files (they hold ID numbers in clear).
    assert (
        client.get(
            f"/api/batches/{water}/files/data", headers=world.headers("rev-water")
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"catalog": "beijing-2030"}, "catalog"),
        ({"format": "pdf"}, "format"),
        ({"encoding": "latin-1"}, "encoding"),
        ({"utility": ["gas"]}, "utility"),
        ({"as_of": "2026-13-01"}, "as_of"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    client: TestClient,
    world: World,
    engine: Engine,
    settings: Settings,
    body: dict[str, Any],
    field: str,
) -> None:
    refused = export(client, world, "op-water", **body)
    assert refused.status_code == 422, refused.text
    fields = [f["field"] for f in refused.json()["error"]["fields"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), fields
    assert batch_count(engine) == 0 and exchange_files(settings) == []


def test_an_uploaded_file_is_checked_as_the_platform_would(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    batch = ok(export(client, world, "op-water"), 201)
    content = client.get(batch["file_urls"]["data"], headers=world.headers("op-water")).content
    header, *rows = csv_rows(content)
    rows[2][1] = WATER_ONLY[:-1] + ("0" if WATER_ONLY[-1] != "0" else "1")  # a wrong check char
    rows[4][PAYMENTS.headers.index("缴费金额")] = "-1.00"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    upload = {"file": ("编辑过的.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")}

    def check(**params: Any) -> Response:
        response: Response = client.post(
            "/api/exports/validate",
            params={"as_of": "2026-11-22", **params},
            files=upload,
            headers=world.headers("op-water"),
        )
        return response

    checked = ok(check())
    assert (checked["kind"], checked["rows"], checked["invalid_rows"]) == (
        "payments",
        WATER_PAYMENTS,
        2,
    )
    found = {(p["row"], p["item"]) for p in checked["problems"]}
    assert found == {(3, "统一社会信用代码"), (5, "缴费金额")}
    assert all(" / " in p["reason"] for p in checked["problems"])  # Chinese, then English
    assert not checked["more"]
    shortened = ok(check(limit=1))
    assert len(shortened["problems"]) == 1 and shortened["more"]

    wrong_kind = check(kind="arrears")
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["error"]["fields"][0]["field"] == "header"

    for name, payload, code in (
        ("notes.txt", b"hello", "invalid_input"),
        ("broken.xlsx", b"PK\x03\x04 not a workbook", "file_unreadable"),
        ("broken.json", b'{"not": "a list"', "file_unreadable"),
    ):
        bad = client.post(
            "/api/exports/validate",
            files={"file": (name, payload)},
            headers=world.headers("op-water"),
        )
        assert bad.status_code == 422, (name, bad.text)
        assert bad.json()["error"]["code"] == code, (name, bad.text)
        assert name in bad.json()["error"]["message"]

    assert (
        client.post(
            "/api/exports/validate", files=upload, headers=world.headers("office")
        ).status_code
        == 403
    )


def test_a_batch_is_sent_answered_and_its_returned_rows_listed(
    client: TestClient, world: World, settings: Settings, engine: Engine
) -> None:
    with PlatformTestServer(token="api-platform") as platform:
        settings.exchange.platform_url = platform.url
        settings.exchange.platform_token = SecretStr("api-platform")
        settings.exchange.retries = 0
        batch = ok(export(client, world, "op-water"), 201)
        url = f"/api/batches/{batch['id']}"

        # another utility's operator: not found (audited), nothing pushed
        hidden = client.post(f"{url}/send", headers=world.headers("op-power"))
        assert hidden.status_code == 404 and platform.uploads == 0
        assert client.post(f"{url}/send", headers=world.headers("rev-water")).status_code == 403

        # the platform answers 500: a bad gateway here, the batch waits to be sent again
        platform.fail_next = 1
        failed = client.post(f"{url}/send", headers=world.headers("op-water"))
        assert failed.status_code == 502, failed.text
        assert failed.json()["error"]["code"] == "platform_error"
        assert ok(client.get(url, headers=world.headers("op-water")))["status"] == "created"

        platform.reject_rows = {2: ("E101", "统一社会信用代码未登记")}
        sent = ok(client.post(f"{url}/send", headers=world.headers("op-water")))
        assert sent["status"] == "sent" and sent["platform_ref"] and sent["sent_at"]
        assert (
            len(platform.submissions) == 1 and len(platform.submissions[0].rows) == WATER_PAYMENTS
        )
        again = client.post(f"{url}/send", headers=world.headers("op-water"))
        assert again.status_code == 422 and platform.uploads == 1  # sent once only

        answered = ok(client.post(f"{url}/returns", headers=world.headers("op-water")))
        assert (answered["rows"], answered["batch"]["status"]) == (1, "partly_rejected")
        assert answered["batch"]["returned_rows"] == 1
        assert answered["batch"]["error_rate"] == "4.00%"  # 1 of 25 rows
        assert answered["batch"]["error_rate_permille"] == 40
        [row] = ok(client.get(f"{url}/returns", headers=world.headers("rev-water")))
        assert (row["row_no"], row["error_code"], row["status"]) == (2, "E101", "open")
        assert row["source_key"].startswith("payment:")
        assert client.get(f"{url}/returns", headers=world.headers("op-power")).status_code == 404


def test_returns_are_loaded_from_an_uploaded_file_and_bad_files_write_nothing(
    client: TestClient, world: World, settings: Settings
) -> None:
    with PlatformTestServer(token="api-platform") as platform:
        settings.exchange.platform_url = platform.url
        settings.exchange.platform_token = SecretStr("api-platform")
        batch = ok(export(client, world, "op-water"), 201)
        url = f"/api/batches/{batch['id']}"
        ok(client.post(f"{url}/send", headers=world.headers("op-water")))
        unknown = returned_file([(99, "E1", "无此行")])
        refused = client.post(
            f"{url}/returns",
            files={"file": ("errors.csv", unknown, "text/csv")},
            headers=world.headers("op-water"),
        )
        assert refused.status_code == 422, refused.text
        assert ok(client.get(url, headers=world.headers("op-water")))["status"] == "sent"
        good = returned_file([(1, "E2", "金额有误"), (3, "E2", "金额有误")])
        loaded = ok(
            client.post(
                f"{url}/returns",
                files={"file": ("errors.csv", good, "text/csv")},
                headers=world.headers("op-water"),
            )
        )
        assert (loaded["rows"], loaded["batch"]["status"]) == (2, "partly_rejected")


def test_credit_checks_are_listed_and_refused_outside_the_users_utilities(
    client: TestClient, world: World, engine: Engine
) -> None:
    assert ok(client.get("/api/checks", headers=world.headers("op-water")))["items"] == []
    form = {"subject": WATER_ONLY, "purpose": "application"}
    hidden = client.post("/api/checks", data=form, headers=world.headers("op-power"))
    assert hidden.status_code == 404, hidden.text
    # No platform configured and no report given: refused, nothing stored.
    refused = client.post("/api/checks", data=form, headers=world.headers("op-water"))
    assert refused.status_code == 503, refused.text  # no platform configured here
    assert ok(client.get("/api/checks", headers=world.headers("op-water")))["items"] == []
    assert client.post("/api/checks", data=form, headers=world.headers("office")).status_code == 403
