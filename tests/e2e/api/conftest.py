"""API fixtures: the app on the test store (SQLite and PostgreSQL), the world, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.world import World, build_world
from tests.support.apps import app_for
from utilcredit.access import passwords
from utilcredit.config import Settings


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> None:
    # Real argon2id, minimal cost: user set-up in every test stays fast.
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
    )


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "export")


@pytest.fixture
def client(settings: Settings, engine: Engine, world: World) -> Iterator[TestClient]:
    app = app_for(settings, engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
