"""A live console on 127.0.0.1 (uvicorn in a thread) over a SQLite store with the demo utility
and the API tests' world, and a Playwright browser: Debian's Chromium (/usr/bin/chromium)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.api.world import AS_OF, World, build_world
from utilcredit import schema
from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.runner import import_paths
from utilcredit.server import create_app

CHROMIUM = os.environ.get("UTILCREDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveConsole:
    url: str
    world: World
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the console did not start")
        time.sleep(0.05)
    yield LiveConsole(f"http://127.0.0.1:{port}", world, settings.data_dir)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package (./dev setup)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: ``UTILCREDIT_SCREENSHOTS`` (e.g. docs/screenshots) or a temp dir."""
    folder = Path(os.environ.get("UTILCREDIT_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
