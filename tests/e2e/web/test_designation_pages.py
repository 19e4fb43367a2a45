"""Designations in the console (SQLite and PostgreSQL): the credit file shows each current one
as a badge with its Chinese title beside the level, search results list them, per utility the
reader sees; an undecided one is marked to verify."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.test_designations_api import AS_OF, SHAOGUAN, ZHANJIANG, _trusted
from tests.e2e.api.world import BOTH, POWER_ONLY, World, build_world
from tests.integration.rating_runs.helpers import save
from tests.support.apps import app_for
from tests.support.console import submit_login
from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.rating.sql.engines import DatabaseEngine

BADGE = re.compile(
    r'<span class="badge designation designation-(\w+)" data-designation="(\w+)"[^>]*>([^<]+)</span>'
)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(engine, tmp_path / "export")


@pytest.fixture
def console(engine: Engine, world: World, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )
    with TestClient(app_for(settings, engine), raise_server_exceptions=False) as client:
        yield client


def _badges(html: str) -> list[tuple[str, str, str]]:
    return [(status, key, title) for status, key, title in BADGE.findall(html)]


def test_the_credit_file_page_shows_designation_badges_beside_the_level(
    console: TestClient, world: World, engine: Engine
) -> None:
    console.cookies.clear()
    submit_login(console, "admin")
    page = console.get(f"/subjects/{BOTH}?as_of={AS_OF}")
    assert page.status_code == 200 and _badges(page.text) == []  # no run yet
    _trusted(engine, POWER_ONLY, BOTH)
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    save(engine, SHAOGUAN, AS_OF, batch=DatabaseEngine())
    page = console.get(f"/subjects/{BOTH}?as_of={AS_OF}")
    assert _badges(page.text) == [
        ("held", "excellent_subject", "优良信用用水主体"),
        ("held", "trustworthy_subject", "守信用电主体"),
    ]
    level_box = page.text.split('class="level-box"', 1)[1].split("</section>", 1)[0]
    assert level_box.index('id="level-badge"') < level_box.index("守信用电主体")
    console.cookies.clear()
    submit_login(console, "op-water")  # reads water only
    page = console.get(f"/subjects/{BOTH}?as_of={AS_OF}")
    assert _badges(page.text) == [("held", "excellent_subject", "优良信用用水主体")]


def test_an_undecided_designation_is_marked_to_verify(
    console: TestClient, world: World, engine: Engine
) -> None:
    _trusted(engine, POWER_ONLY)
    with engine.begin() as connection:  # the report goes: not on the serious list is unknown
        connection.exec_driver_sql("DELETE FROM credit_reports")
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    console.cookies.clear()
    submit_login(console, "op-power")
    page = console.get(f"/subjects/{POWER_ONLY}?as_of={AS_OF}")
    assert _badges(page.text) == [("unknown", "trustworthy_subject", "守信用电主体（待核验）")]


def test_search_results_show_designations(
    console: TestClient, world: World, engine: Engine
) -> None:
    _trusted(engine, POWER_ONLY, BOTH)
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    console.cookies.clear()
    submit_login(console, "admin")
    page = console.get("/subjects?q=涟水县")
    assert page.status_code == 200
    rows = {
        code: _badges(row)
        for row in page.text.split("<tr>")[1:]
        for code in re.findall(r'<a href="/subjects/[^"]+">(\w{18})</a>', row)
    }
    assert rows[POWER_ONLY] == rows[BOTH] == [("held", "trustworthy_subject", "守信用电主体")]
    assert "信用称号" in page.text
