"""The console defects of issue 14 (item 7), each with the check that would have caught it:
the dashboard (trend per policy, no developer placeholder, levels best to worst), the import
page (names in any script, failures said as failures, the reject report after the upload and
in its words, local times, thousands separators) and manual levels (one pending request per
subject and policy, no default level, the next change bounded by the override's expiry).

Over HTTP with FastAPI's TestClient, on SQLite and PostgreSQL; the rules the services own are
also checked on the services themselves."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select

from tests.e2e.api.world import WATER_ONLY, World
from tests.support.console import Session, log_in
from utilcredit.access.model import Principal
from utilcredit.config import ConsoleSettings
from utilcredit.creditfile import service as creditfile
from utilcredit.errors import ConflictError
from utilcredit.localtime import SHANGHAI
from utilcredit.overrides import repository as override_store
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import (
    EffectiveLevel,
    Override,
    OverrideState,
    next_change_on,
)
from utilcredit.overrides.tables import OverrideRow
from utilcredit.policies.model.levels import Level, in_level_order
from utilcredit.policies.service import policy_at
from utilcredit.rating import service as rating
from utilcredit.rating.runs import service as runs
from utilcredit.rating.service import Distribution
from utilcredit.rating.sql.engines import ReferenceEngine
from utilcredit.web.i18n import CATALOG

LEVELS_ZH = ["绿色", "蓝色", "黄色", "红色", "黑色"]


def text_of(html: str) -> str:
    """The page's visible text, roughly: no scripts, styles or tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def save_run(engine: Engine, policy_key: str, as_of: dt.date) -> int:
    loaded = policy_at(policy_key, as_of)
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, loaded, as_of, engine="reference", actor="test")
    with engine.begin() as connection:
        runs.write_run(connection, run_id, loaded, ReferenceEngine())
    return run_id


def chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


# ---- dashboard -------------------------------------------------------------------------


def test_the_trend_draws_one_series_per_policy_over_its_own_dates(
    app: FastAPI, engine: Engine
) -> None:
    water = [dt.date(2026, 9, 30), dt.date(2026, 10, 31)]
    power = [dt.date(2026, 10, 15)]
    ids = {day: save_run(engine, "lianshui-water", day) for day in water}
    power_id = save_run(engine, "huaiyin-power", power[0])
    page = log_in(app, "admin").get("/")
    assert page.status_code == 200
    trend = chart_data(page.text)["trend"]
    by_policy = {line["policy"]: line for line in trend}
    assert set(by_policy) == {"lianshui-water", "huaiyin-power"}
    water_line, power_line = by_policy["lianshui-water"], by_policy["huaiyin-power"]
    assert water_line["utility"] == "water" and power_line["utility"] == "power"
    # Each series over its own runs' dates, oldest first; no run in two series.
    assert [p["as_of"] for p in water_line["points"]] == [d.isoformat() for d in water]
    assert [p["run"] for p in water_line["points"]] == [ids[d] for d in water]
    assert [p["run"] for p in power_line["points"]] == [power_id]
    # One chart per series, each under its policy's heading.
    charts = re.findall(r'id="(trend-\d+)" data-chart="trend" data-policy="([^"]+)"', page.text)
    assert sorted(policy for _, policy in charts) == sorted(by_policy)
    assert {chart_id for chart_id, _ in charts} == {line["id"] for line in trend}


def test_no_developer_placeholder_and_a_reason_when_nothing_moved(
    app: FastAPI, engine: Engine
) -> None:
    admin = log_in(app, "admin")
    empty = text_of(admin.get("/").text)
    assert "暂无评级运行记录" in empty  # truly no runs: said plainly
    run_id = save_run(engine, "lianshui-water", dt.date(2026, 10, 31))
    text = text_of(admin.get("/").text)
    assert "暂无评级运行记录" not in text  # runs exist: never "no runs"
    assert "接入" not in text and "模块" not in text
    assert f"评级运行 #{run_id}" in text and f"run:{run_id}" not in text
    assert CATALOG["dashboard.no_moves"][0] in text  # the first run of its policy
    # No developer wording anywhere in the catalogue.
    assert not [k for k, (zh, en) in CATALOG.items() if "接入后" in zh or "module" in en]


def test_levels_are_listed_best_to_worst_everywhere(app: FastAPI, engine: Engine) -> None:
    # The source: any counts, whatever order they come in, leave best to worst.
    shuffled = {"black": 1, "blue": 2, "green": 3, "red": 4, "yellow": 5}
    assert list(in_level_order(shuffled)) == [level.value for level in Level]
    distribution = Distribution(
        "water", "x", dt.date(2026, 1, 1), "live", 15, shuffled, {"A": dict(shuffled)}
    )
    assert list(distribution.by_level) == ["green", "blue", "yellow", "red", "black"]
    assert list(distribution.by_area["A"]) == ["green", "blue", "yellow", "red", "black"]
    # The page: the dashboard's count badges in that order.
    save_run(engine, "lianshui-water", dt.date(2026, 10, 31))
    page = log_in(app, "admin").get("/").text
    card = page[page.index("· lianshui-water</h2>") :]
    table = card[card.index('<table class="levels">') :]
    table = table[: table.index("</table>")]
    shown = re.findall(r'class="badge level-\w+">([^<]+)<', table)
    assert len(shown) >= 2  # the world's water subjects are not all at one level
    assert shown == sorted(shown, key=LEVELS_ZH.index)


# ---- import page ----------------------------------------------------------------------


def upload(session: Session, name: str, content: bytes) -> str:
    """Upload one file from the console and wait for the result; the result's HTML."""
    response = session.client.post(
        "/imports",
        files={"files": (name, content, "text/csv")},
        headers={"X-CSRF-Token": session.csrf},
    )
    assert response.status_code == 200, response.text
    found = re.search(r'hx-get="/imports/jobs/([0-9a-f]{32})"', response.text)
    if found is None:
        return str(response.text)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        polled = session.get(f"/imports/jobs/{found.group(1)}")
        if 'id="import-result"' in polled.text:
            return str(polled.text)
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_a_chinese_file_name_is_kept_and_a_failure_is_said(app: FastAPI) -> None:
    operator = log_in(app, "op-water")
    result = upload(operator, "客户清单.csv", "统一社会信用代码,主体类型,名称\n".encode())
    text = text_of(result)
    assert "客户清单.csv" in text and "_.csv" not in text
    assert "导入失败" in text and "导入完成" not in text
    assert "无法从文件名判断数据类型" in text  # the reason, in the page's language
    assert 'data-outcome="failed"' in result
    # The reject report downloads under the upload's name (RFC 5987 for the Chinese).
    link = re.search(r'id="reject-report" href="([^"]+)"', result)
    assert link is not None
    report = operator.get(link.group(1))
    assert report.status_code == 200
    disposition = report.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('客户清单-拒收.csv')}" in disposition
    assert 'filename="' in disposition  # an ASCII fallback for old clients
    assert "upload-" not in disposition


def test_the_reject_report_uses_the_uploads_own_headers(app: FastAPI) -> None:
    operator = log_in(app, "op-water")
    content = (
        "统一社会信用代码,主体类型,名称\n"
        "91320826MA1XXXXXX0,法人,甲公司\n"  # a wrong check character
        f"{WATER_ONLY},法人,涟水县甲水业用户公司\n"
    ).encode()
    result = upload(operator, "subjects_客户清单.csv", content)
    text = text_of(result)
    assert "导入完成，部分行被拒收" in text and "导入失败" not in text
    assert "subjects_客户清单.csv" in text
    link = re.search(r'id="reject-report" href="([^"]+)"', result)
    assert link is not None
    report = operator.get(link.group(1))
    assert quote("subjects_客户清单-拒收.csv") in report.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["文件", "行号", "字段", "值", "原因"]
    assert rows[1][0] == "subjects_客户清单.csv"
    assert rows[1][2] == "统一社会信用代码"  # not the canonical "code"


def test_import_runs_show_local_times_separators_and_wrapped_errors(app: FastAPI) -> None:
    operator = log_in(app, "op-water")
    lines = ["code,kind,name"] + [
        f"{WATER_ONLY[:-1]}{n},legal,公司{n}" for n in range(1, 1101)
    ]  # mostly wrong check characters: 1,100 rows read
    upload(operator, "subjects.csv", "\n".join(lines).encode())
    before = dt.datetime.now(SHANGHAI)
    page = operator.get("/imports")
    assert page.status_code == 200
    rows = re.findall(r'<tr class="import-run"[^>]*>(.*?)</tr>', page.text, flags=re.S)
    newest = rows[0]
    assert "1,100" in newest  # rows read, with a thousands separator
    shown = re.search(r'<td class="when">([^<]+)</td>', newest)
    assert shown is not None
    moment = dt.datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert abs((moment - before).total_seconds()) < 180  # local time, not UTC (8 h off)
    # Status and kind in Chinese, never the stored words.
    cells = text_of(newest)
    assert "已完成" in cells or "失败" in cells
    assert not re.search(r"(?<![\w.])(done|failed|running|subjects)(?![\w.])", cells)
    # An error has a row of its own, wrapping there, not a squeezed cell.
    if 'class="import-error"' in page.text:
        assert 'colspan="10" class="error-cell"' in page.text


def test_a_long_error_gets_a_wrapping_row_of_its_own(app: FastAPI) -> None:
    operator = log_in(app, "op-water")
    result = upload(operator, "payments_" + "很长的文件名" * 5 + ".csv", b"nonsense\n")
    assert re.search(r'<tr class="import-error"><td colspan="7" class="error-cell">', result)
    css = (Path(__file__).parents[3] / "src/utilcredit/web/static/console.css").read_text()
    assert re.search(r"tr\.import-error td\.error-cell \{[^}]*overflow-wrap:anywhere", css)
    # The numbers stay in their own cells, never beside the error.
    numbers = re.findall(r'<td class="num">([^<]*)</td>', result)
    assert numbers and all(re.fullmatch(r"[\d,]+", n) for n in numbers)


# ---- manual levels --------------------------------------------------------------------


def principal_of(world: World, username: str) -> Principal:
    return world.users[username].principal


def request_for(
    engine: Engine, world: World, level: Level = Level.YELLOW, *, user: str = "op-water"
) -> Override:
    today = dt.date.today()
    with engine.begin() as connection:
        return overrides.request_override(
            connection,
            principal_of(world, user),
            code=WATER_ONLY,
            policy=policy_at("lianshui-water", today).policy,
            level=level,
            reason="已与客户签订还款协议",
            expires_on=today + dt.timedelta(days=30),
            today=today,
        )


def test_a_second_pending_request_is_refused_naming_the_first(
    engine: Engine, world: World, app: FastAPI
) -> None:
    first = request_for(engine, world)
    with pytest.raises(ConflictError) as refused:
        request_for(engine, world, Level.RED, user="op-both")
    assert f"#{first.id}" in str(refused.value) and "待审核" in str(refused.value)
    # The API and the console answer the same (the service decides).
    api = TestClient(app, raise_server_exceptions=False).post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json={
            "policy": "lianshui-water",
            "level": "red",
            "reason": "再次申请调整",
            "expires_on": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
        },
        headers=world.headers("op-both"),
    )
    assert api.status_code == 409 and f"#{first.id}" in api.text
    # Once the first is withdrawn, a new request is taken.
    assert first.id is not None
    with engine.begin() as connection:
        overrides.withdraw(
            connection, principal_of(world, "op-water"), first.id, today=dt.date.today()
        )
    second = request_for(engine, world, Level.RED)
    assert second.id != first.id and second.state == OverrideState.REQUESTED


@pytest.mark.both_stores  # the subject lock: FOR UPDATE on PostgreSQL, the writer lock on SQLite
def test_two_requests_at_once_one_is_taken_the_other_refused(
    app: FastAPI, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests are in their transactions before either checks for a pending one (a
    barrier), the interleaving a check without the lock lets through twice."""
    barrier = threading.Barrier(2, timeout=30)
    original = override_store.lock_subject

    def lock_subject(connection: Any, subject_id: int) -> None:
        barrier.wait()
        original(connection, subject_id)

    monkeypatch.setattr(override_store, "lock_subject", lock_subject)
    client = TestClient(app, raise_server_exceptions=False)

    def request(user: str, level: str) -> Response:
        response: Response = client.post(
            f"/api/subjects/{WATER_ONLY}/overrides",
            json={
                "policy": "lianshui-water",
                "level": level,
                "reason": "已签订分期还款协议",
                "expires_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            },
            headers=world.headers(user),
        )
        return response

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(request, "op-water", "yellow"),
            pool.submit(request, "op-both", "red"),
        ]
        responses = [future.result(timeout=60) for future in futures]
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    with engine.connect() as connection:
        states = connection.execute(select(OverrideRow.state)).scalars().all()
    assert states == ["requested"]


def test_the_request_form_has_no_default_level(app: FastAPI) -> None:
    page = log_in(app, "op-water").get(f"/subjects/{WATER_ONLY}?policy=lianshui-water")
    assert page.status_code == 200
    form = page.text[page.text.index('id="override-form"') :]
    select = form[form.index("<select") : form.index("</select>")]
    assert re.match(r'<select name="level" required>', select)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select)
    assert options[0] == (' value="" selected disabled', "请选择")
    assert all("selected" not in attrs for attrs, _ in options[1:])


def test_the_next_change_is_bounded_by_the_overrides_expiry(engine: Engine, world: World) -> None:
    # The rule: the earlier of the computed next change and the day the override ends.
    day = dt.date(2026, 11, 1)
    override = Override(
        1, "c", "p", Level.GREEN, Level.BLACK, "理由四字", day, OverrideState.APPROVED, "a", day
    )
    in_force = EffectiveLevel(Level.BLACK, Level.GREEN, override)
    assert next_change_on(dt.date(2027, 5, 1), in_force) == day + dt.timedelta(days=1)
    assert next_change_on(None, in_force) == day + dt.timedelta(days=1)
    assert next_change_on(dt.date(2026, 10, 1), in_force) == dt.date(2026, 10, 1)
    plain = EffectiveLevel(Level.BLACK, Level.BLACK, None)
    assert next_change_on(dt.date(2027, 5, 1), plain) == dt.date(2027, 5, 1)
    # The credit file: approved, the override's end is the next change.
    today = dt.date.today()
    requested = request_for(engine, world, Level.YELLOW)
    assert requested.id is not None
    with engine.begin() as connection:
        overrides.decide(
            connection,
            principal_of(world, "rev-water"),
            requested.id,
            approve=True,
            note=None,
            today=today,
        )
    with engine.connect() as connection:
        view = creditfile.rate_live(
            connection,
            principal_of(world, "rev-water"),
            WATER_ONLY,
            policy_key="lianshui-water",
            as_of=today,
            console=ConsoleSettings(),
        )
        policy = policy_at("lianshui-water", today).policy
        computed = rating.explain_subject(connection, WATER_ONLY, policy, today)[1].on
    ends = requested.expires_on + dt.timedelta(days=1)
    assert view.level.override is not None
    assert view.next_change == (ends if computed is None else min(computed, ends))
