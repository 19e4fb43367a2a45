"""``/api/reports/monthly`` and ``/api/reports/monthly.xlsx`` over HTTP on both stores: the
credit office reads every utility, others only their own (another utility's figures are not
in the answer, and asking for them is refused and audited); bad months name their field."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from tests.e2e.api.world import PASSWORD
from tests.integration.supervision.world import Month, build
from tests.support.apps import app_for
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.supervision import model as supervision
from utilcredit.supervision import service

URL = "/api/reports/monthly"
READERS = {
    "office": (Role.CREDIT_OFFICE, frozenset({Utility.WATER})),
    "op-water": (Role.OPERATOR, frozenset({Utility.WATER})),
    "op-power": (Role.OPERATOR, frozenset({Utility.POWER})),
}


def make_readers(engine: Engine) -> dict[str, dict[str, str]]:
    """The credit office and one operator of each utility; their bearer headers."""
    headers = {}
    with engine.begin() as connection:
        for name, (role, utilities) in READERS.items():
            access.create_user(
                connection,
                username=name,
                display_name=name,
                password=PASSWORD,
                roles=frozenset({role}),
                utilities=utilities,
                actor="setup",
            )
            principal = access.authenticate(connection, name, PASSWORD)
            assert principal is not None
            headers[name] = {"Authorization": f"Bearer {access.issue_token(connection, principal)}"}
    return headers


@pytest.fixture
def month(engine: Engine) -> Month:
    return build(engine)


@pytest.fixture
def readers(engine: Engine, month: Month) -> dict[str, dict[str, str]]:
    return make_readers(engine)


@pytest.fixture
def http(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )
    with TestClient(app_for(settings, engine), raise_server_exceptions=False) as c:
        yield c


def test_the_credit_office_reads_every_utility(
    http: TestClient, engine: Engine, readers: dict[str, dict[str, str]]
) -> None:
    response = http.get(URL, params={"month": "2026-11"}, headers=readers["office"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == "2026-11"
    assert [r["utility"] for r in body["reports"]] == ["water", "power"]
    water = body["reports"][0]
    with engine.connect() as connection:
        (expected,) = service.monthly_reports(
            connection, None, supervision.Month(2026, 11), Utility.WATER
        )
    assert water["levels"]["run"]["id"] == expected.levels.run.id  # type: ignore[union-attr]
    assert [c["count"] for c in water["levels"]["distribution"]] == [
        c.count for c in expected.levels.distribution
    ]
    assert water["objections"]["on_time"] == {"numerator": 1, "denominator": 2, "display": "50.0%"}
    assert water["exchange"]["error_rate"]["numerator"] == 12
    assert water["exchange"]["error_rate"]["denominator"] == 160
    assert all(t["direction"] for t in water["levels"]["transitions"])


def test_an_operator_sees_only_its_own_utility(
    http: TestClient, engine: Engine, readers: dict[str, dict[str, str]]
) -> None:
    response = http.get(URL, params={"month": "2026-11"}, headers=readers["op-water"])
    assert response.status_code == 200
    reports = response.json()["reports"]
    assert [r["utility"] for r in reports] == ["water"]
    # none of the power utility's figures leak: its batch of 30 rows, its minor violation
    assert 30 not in [b["rows"] for b in reports[0]["exchange"]["batches"]]
    assert "minor" not in [c["record_class"] for c in reports[0]["records"]["cells"]]
    refused = http.get(
        URL, params={"month": "2026-11", "utility": "power"}, headers=readers["op-water"]
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    with engine.connect() as connection:
        keys = connection.execute(select(AuditEntryRow.entity_key)).scalars().all()
    assert "2026-11:power" in keys
    xlsx = http.get(
        f"{URL}.xlsx", params={"month": "2026-11", "utility": "power"}, headers=readers["op-water"]
    )
    assert xlsx.status_code == 403


def test_the_workbook_has_a_sheet_per_section(
    http: TestClient, readers: dict[str, dict[str, str]]
) -> None:
    response = http.get(
        f"{URL}.xlsx", params={"month": "2026-11", "utility": "water"}, headers=readers["office"]
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "supervision-2026-11-water.xlsx" in response.headers["content-disposition"]
    book = load_workbook(BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "概览", "等级分布", "等级变动", "失信记录", "异议与修复", "信用承诺", "通知", "报送批次"
    ]  # fmt: skip
    cases = [list(row) for row in book["异议与修复"].iter_rows(values_only=True)]
    assert cases[0][:4] == ["行业", "类别", "受理数", "办结数"]
    assert cases[1] == ["供水", "异议", 4, 2, 1, 1, 1, "50.0%"]
    records = {(r[1], r[2]): r[3] for r in book["失信记录"].iter_rows(min_row=2, values_only=True)}
    assert records == {("窃水/窃电", "一般"): 2, ("欠费经催告逾期未缴", "严重"): 1}
    utilities = {r[0] for r in book["报送批次"].iter_rows(min_row=2, values_only=True)}
    assert utilities == {"供水"}


@pytest.mark.parametrize("bad", ["2026-13", "11-2026", "2026-1", "x" * 16])
def test_a_bad_month_names_its_field(
    http: TestClient, readers: dict[str, dict[str, str]], bad: str
) -> None:
    response = http.get(URL, params={"month": bad}, headers=readers["office"])
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["month"]


def test_reports_need_a_reader(http: TestClient, month: Month) -> None:
    assert http.get(URL, params={"month": "2026-11"}).status_code == 401
