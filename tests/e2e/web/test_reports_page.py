"""The supervision report page over HTTP: the charts' data are in the page (the JSON island
``static/reports.js`` draws from) and equal the report, the tables show the same figures, the
navigation leads there, and a utility's operator never gets another utility's figures.

Entry-point checks (the queries run on both stores in the integration and API tests): SQLite
only, like the other console pages."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.test_auth import login_console
from tests.e2e.api.test_reports_api import make_readers
from tests.integration.supervision.world import build
from tests.support.apps import app_for
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.supervision import service
from utilcredit.supervision.model import Month

pytestmark = pytest.mark.sqlite_only

ISLAND = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


@pytest.fixture
def console(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    build(engine)
    make_readers(engine)
    settings = Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )
    with TestClient(app_for(settings, engine), raise_server_exceptions=False) as c:
        yield c


def _island(page: str) -> dict[str, Any]:
    found = ISLAND.search(page)
    assert found, "no chart data in the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_charts_data_are_the_report(console: TestClient, engine: Engine) -> None:
    login_console(console, "office")
    page = console.get("/reports/monthly", params={"month": "2026-11"})
    assert page.status_code == 200, page.text
    assert '<script src="/static/reports.js" defer></script>' in page.text
    assert "/static/vendor/echarts.min.js" in page.text
    data = _island(page.text)
    with engine.connect() as connection:
        expected = service.monthly_reports(connection, None, Month(2026, 11))
    assert [r["utility"] for r in data["reports"]] == [r.utility for r in expected]
    for shown, report in zip(data["reports"], expected, strict=True):
        assert [c["count"] for c in shown["levels"]["distribution"]] == [
            c.count for c in report.levels.distribution
        ]
        assert [
            (t["from_level"], t["to_level"], t["count"]) for t in shown["levels"]["transitions"]
        ] == [(t.from_level, t.to_level, t.count) for t in report.levels.transitions]
        assert [c["count"] for c in shown["records"]["cells"]] == [
            c.count for c in report.records.cells
        ]
        assert shown["exchange"]["error_rate"]["numerator"] == report.exchange.error_rate.numerator
        assert [c["sent"] for c in shown["notices"]["channels"]] == [
            c.sent for c in report.notices.channels
        ]
        # every chart the script draws has its element
        for chart in ("levels", "cases"):
            assert f'id="chart-{report.utility}-{chart}"' in page.text
    assert data["colours"]["red"] and data["words"]["level"]["red"] == "红色"
    text = html.unescape(page.text)
    assert 'id="error-rate-water" title="12/160">7.5%' in text
    assert 'href="/api/reports/monthly.xlsx?month=2026-11"' in text
    assert 'id="nav-reports"' in page.text


def test_an_operator_gets_only_its_utility(console: TestClient) -> None:
    login_console(console, "op-water")
    page = console.get("/reports/monthly", params={"month": "2026-11"})
    assert page.status_code == 200
    assert [r["utility"] for r in _island(page.text)["reports"]] == ["water"]
    assert 'id="report-power"' not in page.text
    assert '<option value="power"' not in page.text
    refused = console.get("/reports/monthly", params={"month": "2026-11", "utility": "power"})
    assert refused.status_code == 403
    assert "report-data" not in refused.text
    # the workbook link works with the console's session
    xlsx = console.get("/api/reports/monthly.xlsx", params={"month": "2026-11"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_page_opens_on_this_month_and_refuses_a_bad_one(console: TestClient) -> None:
    login_console(console, "office")
    page = console.get("/reports/monthly")
    assert page.status_code == 200
    assert f'value="{service.default_month()}"' in page.text
    bad = console.get("/reports/monthly", params={"month": "2026-13"})
    assert bad.status_code == 422
    assert "2026-13" in html.unescape(bad.text)


def test_english_words_for_the_charts(console: TestClient) -> None:
    login_console(console, "office")
    console.cookies.set("lang", "en")
    data = _island(console.get("/reports/monthly", params={"month": "2026-11"}).text)
    assert data["words"]["level"]["red"] == "Red"
    assert data["words"]["channel"]["sms"] == "SMS"
    assert Utility.WATER.value in [r["utility"] for r in data["reports"]]
