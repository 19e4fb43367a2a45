"""The console's lists over HTTP (SQLite and PostgreSQL): the customer list with saved levels,
count, filters, sorting, paging and XLSX export; the red/black list; the rating runs — start
one, a run's subjects, and the transitions between two runs. A reader of one utility never
sees another utility's subjects, levels or runs, whatever the address asks for."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from tests.e2e.api.world import (
    AS_OF,
    BOTH,
    PERSON,
    POWER_ONLY,
    WATER_ONLY,
    World,
)
from tests.integration.rating_runs.helpers import save
from tests.support.apps import app_for
from tests.support.console import page_csrf, submit_login
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.localtime import SHANGHAI
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import reads
from utilcredit.rating.runs import service as run_service
from utilcredit.rating.runs.model import RunHeader, RunStatus
from utilcredit.web import search

DAY = dt.date.fromisoformat(AS_OF)
EARLIER = dt.date(2025, 6, 1)  # before the water subject's bill fell due: a better level then
WATER_SUBJECTS = {WATER_ONLY, BOTH, PERSON}
CODE_LINK = re.compile(r'<tr>\s*<td><a href="/subjects/[^"]+">([^<]+)</a></td>')
NAME_LINK = re.compile(r'</a></td>\s*<td><a href="/subjects/[^"]+">([^<]+)</a></td>')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def runs(engine: Engine, world: World) -> dict[str, RunHeader]:
    """An earlier and a current run of the water policy, and a current power run."""
    return {
        "water-earlier": save(engine, policy_at("lianshui-water", EARLIER), EARLIER),
        "water": save(engine, policy_at("lianshui-water", DAY), DAY),
        "power": save(engine, policy_at("huaiyin-power", DAY), DAY),
    }


class Clients(dict[str, TestClient]):
    """A logged-in client per user name, made on first use."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__()
        self.app = app

    def __missing__(self, username: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        submit_login(client, username)
        self[username] = client
        return client


@pytest.fixture
def clients(engine: Engine, world: World, settings: Settings) -> Iterator[Clients]:
    made = Clients(app_for(settings, engine))
    yield made
    for client in made.values():
        client.close()


def codes(html: str) -> list[str]:
    return CODE_LINK.findall(html)


def total(html: str) -> int:
    found = re.search(r'id="total" data-total="(\d+)"', html)
    assert found is not None, html
    return int(found.group(1))


def row_levels(html: str) -> list[list[str]]:
    """Per result row, the levels of its badges."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r'data-level="(\w+)"', row) for row in body.split("<tr>")[1:]]


def workbook_rows(content: bytes) -> list[list[str | None]]:
    """The export's cells as text (``None`` for an empty one)."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [
        [None if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


# ---- the customer list -------------------------------------------------------------------------


def test_search_shows_levels_count_and_only_the_readers_utility(
    clients: Clients, runs: dict[str, RunHeader]
) -> None:
    page = clients["op-water"].get("/subjects")
    assert page.status_code == 200
    assert total(page.text) == len(WATER_SUBJECTS)
    assert POWER_ONLY not in page.text and PERSON not in page.text  # masked, never in clear
    shown = dict(zip(codes(page.text), row_levels(page.text), strict=True))
    assert shown[WATER_ONLY] == ["black"]  # the saved level of the current water run
    assert all(len(levels) == 1 for levels in shown.values())  # no power level for BOTH
    # Asking for the power utility by address lists nothing, never power subjects.
    forced = clients["op-water"].get("/subjects", params={"utility": "power"})
    assert total(forced.text) == 0 and POWER_ONLY not in forced.text


def test_a_subject_rated_under_two_policies_shows_both_levels(
    clients: Clients, runs: dict[str, RunHeader], engine: Engine
) -> None:
    page = clients["op-both"].get("/subjects", params={"q": BOTH})
    expected = []
    with engine.connect() as connection:
        for key in ("huaiyin-power", "lianshui-water"):  # the page orders runs by policy key
            header = reads.current_run(connection, key)
            assert header is not None
            rating = reads.stored_rating(connection, header, BOTH)
            assert rating is not None
            expected.append(rating.level.value)
    assert codes(page.text) == [BOTH]
    assert row_levels(page.text) == [expected]


def test_filters_by_level_area_and_kind(clients: Clients, runs: dict[str, RunHeader]) -> None:
    admin = clients["admin"]
    assert codes(admin.get("/subjects", params={"level": "black"}).text) == [WATER_ONLY]
    by_area = admin.get("/subjects", params={"area": "高沟镇"}).text
    assert codes(by_area) == [POWER_ONLY] and total(by_area) == 1
    people = admin.get("/subjects", params={"kind": "natural"}).text
    assert total(people) == 1 and PERSON not in people and "张**" in people
    organisations = admin.get("/subjects", params={"kind": "legal"}).text
    assert set(codes(organisations)) == {WATER_ONLY, POWER_ONLY, BOTH}
    assert admin.get("/subjects", params={"level": "purple"}).status_code == 422


def test_sorts_by_level_green_to_black_and_pages(
    clients: Clients, runs: dict[str, RunHeader], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = clients["op-water"].get("/subjects", params={"sort": "level"}).text
    badness = [Level(levels[0]).badness for levels in row_levels(page)]
    assert badness == sorted(badness) and badness[-1] == Level.BLACK.badness
    by_name = clients["admin"].get("/subjects", params={"sort": "name"}).text
    names = NAME_LINK.findall(by_name)
    assert len(names) == 4 and names == sorted(names)
    monkeypatch.setattr(search, "PAGE", 2)
    first = clients["op-water"].get("/subjects", params={"sort": "level"}).text
    second = clients["op-water"].get("/subjects", params={"sort": "level", "offset": 2}).text
    assert len(codes(first)) == 2 and len(codes(second)) == 1
    assert total(first) == total(second) == len(WATER_SUBJECTS)
    assert "offset=2" in first and "sort=level" in first  # the next link keeps the sort
    assert codes(second) == [WATER_ONLY]


def test_export_is_the_filtered_list_masked(clients: Clients, runs: dict[str, RunHeader]) -> None:
    response = clients["op-water"].get("/subjects/export.xlsx", params={"sort": "level"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    rows = workbook_rows(response.content)
    header, body = rows[0], rows[1:]
    assert header[0] == "统一社会信用代码/证件号" and any("等级" in str(h) for h in header)
    assert len(body) == len(WATER_SUBJECTS)
    exported = [str(row[0]) for row in body]
    assert PERSON not in exported and POWER_ONLY not in exported
    assert any(code.startswith(PERSON[:10]) and "*" in code for code in exported)
    assert body[-1][0] == WATER_ONLY and "黑色" in body[-1]
    black = clients["op-water"].get("/subjects/export.xlsx", params={"level": "black"})
    assert [row[0] for row in workbook_rows(black.content)[1:]] == [WATER_ONLY]
    english = clients["admin"]
    english.cookies.set("lang", "en")
    head = workbook_rows(english.get("/subjects/export.xlsx").content)[0]
    assert head[0] == "Code" and not any(re.search(r"[\u4e00-\u9fff]", str(h)) for h in head[:5])
    english.cookies.set("lang", "zh")


# ---- the red/black list ------------------------------------------------------------------------


def test_red_black_list_only_red_and_black_of_readable_utilities(
    clients: Clients, runs: dict[str, RunHeader]
) -> None:
    page = clients["op-water"].get("/lists/red-black")
    assert page.status_code == 200
    assert codes(page.text) == [WATER_ONLY] and total(page.text) == 1
    assert all(set(levels) <= {"red", "black"} for levels in row_levels(page.text))
    assert total(clients["op-water"].get("/lists/red-black", params={"level": "red"}).text) == 0
    # A green level asked for by address is still only red and black.
    assert codes(clients["op-water"].get("/lists/red-black?level=green").text) == [WATER_ONLY]
    assert total(clients["op-power"].get("/lists/red-black").text) == 0
    exported = clients["op-water"].get("/lists/red-black/export.xlsx")
    assert [row[0] for row in workbook_rows(exported.content)[1:]] == [WATER_ONLY]
    assert 'href="/lists/red-black"' in page.text  # the nav link


# ---- rating runs -------------------------------------------------------------------------------


def test_runs_list_orders_levels_and_hides_other_utilities(
    clients: Clients, runs: dict[str, RunHeader]
) -> None:
    page = clients["op-power"].get("/runs").text
    assert f'href="/runs/{runs["power"].id}"' in page
    assert f'href="/runs/{runs["water"].id}"' not in page
    water = clients["op-water"].get("/runs").text
    row = water.split(f'<td><a href="/runs/{runs["water"].id}">', 1)[1].split("</tr>", 1)[0]
    shown = re.findall(r'data-level="(\w+)"', row)
    assert shown == sorted(shown, key=lambda level: Level(level).badness) and len(shown) >= 2
    assert clients["op-power"].get(f"/runs/{runs['water'].id}").status_code == 404


def test_run_page_lists_its_subjects_by_level_in_local_time(
    clients: Clients, runs: dict[str, RunHeader]
) -> None:
    run = runs["water"]
    page = clients["op-water"].get(f"/runs/{run.id}").text
    assert total(page) == run.subjects == len(WATER_SUBJECTS)
    assert run.finished_at is not None
    local = run.finished_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert local in page
    black = clients["op-water"].get(f"/runs/{run.id}", params={"level": "black"}).text
    assert codes(black) == [WATER_ONLY] and total(black) == 1
    assert f'href="/runs/compare?a={runs["water-earlier"].id}&b={run.id}"' in page


def test_compare_shows_the_transitions_matrix_and_who_moved(
    clients: Clients, runs: dict[str, RunHeader], engine: Engine
) -> None:
    a, b = runs["water-earlier"].id, runs["water"].id
    with engine.connect() as connection:
        before = reads.stored_rating(connection, runs["water-earlier"], WATER_ONLY)
    assert before is not None and before.level is not Level.BLACK  # the fixture's premise
    page = clients["op-water"].get("/runs/compare", params={"a": a, "b": b}).text
    header = page.split('id="matrix"', 1)[1].split("</thead>", 1)[0]
    columns = re.findall(r"level-(\w+)", header)
    assert columns == [level.value for level in Level]  # 绿 蓝 黄 红 黑
    cell = re.search(
        rf'data-from="{before.level.value}" data-to="black"><a href="([^"]+)">(\d+)</a>', page
    )
    assert cell is not None and int(cell.group(2)) >= 1
    moved = clients["op-water"].get(cell.group(1).replace("&amp;", "&")).text
    assert WATER_ONLY in codes(moved) and total(moved) == int(cell.group(2))
    other = clients["op-power"].get("/runs/compare", params={"a": a, "b": b})
    assert other.status_code == 404


def _finished(engine: Engine, run_id: int, seconds: float = 60.0) -> RunHeader:
    """The run once it no longer runs (the console rates in a thread of its own)."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as connection:
            header = reads.get_run(connection, run_id)
        assert header is not None
        if header.status is not RunStatus.RUNNING or time.monotonic() > deadline:
            return header
        time.sleep(0.05)


def test_a_running_run_s_page_says_so_and_refreshes_itself(
    clients: Clients, engine: Engine
) -> None:
    with engine.begin() as connection:
        run_id = run_service.begin_run(
            connection,
            policy_at("lianshui-water", dt.date.fromisoformat(AS_OF)),
            dt.date.fromisoformat(AS_OF),
            engine="duckdb",
            actor="op-water",
        )
    page = clients["op-water"].get(f"/runs/{run_id}").text
    assert 'id="run-running"' in page and '<meta http-equiv="refresh" content="2">' in page
    with engine.begin() as connection:
        run_service.fail_run(connection, run_id, "stopped by the test")
    page = clients["op-water"].get(f"/runs/{run_id}").text
    assert 'id="run-running"' not in page and 'http-equiv="refresh"' not in page
    assert "stopped by the test" in page


def test_start_a_run_needs_import_for_the_policy_utility(
    clients: Clients, runs: dict[str, RunHeader], engine: Engine
) -> None:
    operator = clients["op-water"]
    started = operator.post(
        "/runs",
        data={
            "policy": "lianshui-water",
            "as_of": AS_OF,
            "csrf_token": page_csrf(operator, "/runs"),
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    header = _finished(engine, run_id)
    assert header.status is RunStatus.COMPLETE and header.subjects == len(WATER_SUBJECTS)
    assert header.level_counts == runs["water"].level_counts
    with engine.connect() as connection:
        entry = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.detail).where(
                AuditEntryRow.action == "start_rating_run",
                AuditEntryRow.entity_key == str(run_id),
            )
        ).one()
    assert entry.actor == "op-water" and entry.detail == {
        "policy": "lianshui-water",
        "as_of": AS_OF,
    }
    power = operator.post(
        "/runs",
        data={
            "policy": "huaiyin-power",
            "as_of": AS_OF,
            "csrf_token": page_csrf(operator, "/runs"),
        },
        follow_redirects=False,
    )
    assert power.status_code == 403
    reviewer = clients["rev-water"]
    refused = reviewer.post(
        "/runs",
        data={
            "policy": "lianshui-water",
            "as_of": AS_OF,
            "csrf_token": page_csrf(reviewer, "/runs"),
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert 'id="start-run"' not in reviewer.get("/runs").text
    assert 'id="start-run"' in operator.get("/runs").text
    with engine.connect() as connection:
        latest, _ = reads.list_runs(connection, "lianshui-water")
    assert latest[0].id == run_id  # neither refusal began a run
