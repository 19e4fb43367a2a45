"""Shared fixtures: a migrated store on SQLite (a file) and on the real PostgreSQL server.

PostgreSQL is at ``UTILCREDIT_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, trust auth); the
suite creates its own database and drops it afterwards. When the server is down the
PostgreSQL cases fail with a clear message rather than being skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tests.support.stores import empty_tables
from utilcredit import schema
from utilcredit.db import make_engine
from utilcredit.rating.sql.snapshot import drop_snapshot

POSTGRES_ADMIN_URL = os.environ.get(
    "UTILCREDIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_dsn() -> str:
    url = make_url(POSTGRES_ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"utilcredit_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}. Start it (see .ci/run)."
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'utilcredit.db'}"


_E2E = Path(__file__).parent / "e2e"


def _sqlite_only(item: pytest.Item) -> bool:
    """Entry-point tests (``tests/e2e``, and those marked ``sqlite_only`` elsewhere) check what
    the front door does — permissions, parsing, rendering, printing — which is the same on
    either store; the services behind them run on PostgreSQL in their integration tests
    (``tests/integration``). An entry-point test about the store itself (concurrent requests,
    locks) is marked ``both_stores``."""
    if item.get_closest_marker("both_stores") is not None:
        return False
    return item.get_closest_marker("sqlite_only") is not None or _E2E in item.path.parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL copies of SQLite-only tests (:func:`_sqlite_only`) are deselected (counted
    in the summary), which keeps CI under 20 minutes."""
    dropped = [
        item
        for item in items
        if isinstance(item, pytest.Function)
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("store_url") == "postgresql"
        and _sqlite_only(item)
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        kept = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in kept]


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def store_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session")
def migrated_engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """The migrated store, emptied before each test (committed data is what tests inspect)."""
    empty_tables(migrated_engine)
    drop_snapshot(migrated_engine.url)
    return migrated_engine


@pytest.fixture
def store_env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI against the test store."""
    env = dict(os.environ)
    env["UTILCREDIT_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    env["UTILCREDIT_DATA_DIR"] = str(tmp_path / "data")
    return env
