"""The public site over a published world (tests/integration/disclosure/world.py) dated today,
as the site reads ``localtime.today()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.disclosure.world import World, build
from tests.support.apps import app_for
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.disclosure import service
from utilcredit.localtime import today

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def world(engine: Engine) -> World:
    with engine.begin() as connection:
        built, _ = build(connection, today())
        service.publish(connection, today())
    return built


@pytest.fixture
def make_client(engine: Engine, tmp_path: Path, world: World) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def make(**console: object) -> TestClient:
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=engine.url.render_as_string(hide_password=False),
            console=ConsoleSettings(**{"public_burst": 10_000, **console}),  # type: ignore[arg-type]
        )
        client = TestClient(app_for(settings, engine), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
