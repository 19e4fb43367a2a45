"""What the console tests share: the API tests' world on the test store with an app over it
(the page tests, through a TestClient), and a live console on 127.0.0.1 (uvicorn in a thread)
over a SQLite store with the demo utility and the same world (the browser tests; the browser is
tests/e2e/conftest.py's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.e2e.api.world import AS_OF, World, build_world
from tests.support.apps import app_for
from tests.support.live import live_server
from utilcredit import schema
from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.runner import import_paths


@dataclass(frozen=True)
class LiveConsole:
    url: str
    world: World
    data_dir: Path


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Real argon2id at minimal cost: the page tests log in dozens of times."""
    saved = passwords._hasher
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(saved)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "export")


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, world: World) -> FastAPI:
    """The API and console over the world (a page test logs in with tests/support/console.py)."""
    return app_for(settings, engine)


@pytest.fixture(scope="module")
def live_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    root = tmp_path_factory.mktemp("console")
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'store.db'}")
    engine = make_engine(settings.resolved_database_url)
    schema.upgrade(engine)
    demo = root / "demo"
    generate(DemoSpec(subjects=300, seed=7, as_of=dt.date.fromisoformat(AS_OF), years=2), demo)
    assert import_paths(engine, [demo], actor="demo").ok
    world = build_world(engine, root / "world")
    with live_server(app_for(settings, engine)) as url:
        yield LiveConsole(url, world, settings.data_dir)
    engine.dispose()
