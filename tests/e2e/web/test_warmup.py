"""The server warms up before its first request: every console template compiled and the log-in
page served once in process (FastAPI builds its routing state on the first request it
matches), so the first user after a restart does not wait for either."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from utilcredit.config import Settings
from utilcredit.server import create_app
from utilcredit.web import warmup
from utilcredit.web.rendering import TEMPLATES

pytestmark = pytest.mark.sqlite_only


def cached_templates() -> set[str]:
    return {name for _, name in TEMPLATES.env.cache} if TEMPLATES.env.cache else set()


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'store.db'}")


def test_start_up_compiles_every_template_and_serves_the_warm_up_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[int] = []
    real = warmup.warm_up

    async def recording(app: object) -> int:
        status = await real(app)  # type: ignore[arg-type]
        served.append(status)
        return status

    monkeypatch.setattr("utilcredit.server.warm_up", recording)
    assert TEMPLATES.env.cache is not None
    TEMPLATES.env.cache.clear()
    with TestClient(create_app(settings(tmp_path))) as client:
        assert served == [200]  # before the first request of the client
        names = set(TEMPLATES.env.list_templates(extensions=["html"]))
        assert {"login.html", "dashboard.html", "subject.html"} <= names
        assert names <= cached_templates()
        assert client.get(warmup.WARM_UP_PATH).status_code == 200


def test_the_warm_up_page_needs_no_store_and_its_status_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings(tmp_path))  # no lifespan: the store is not even migrated
    assert asyncio.run(warmup.warm_up(app)) == 200
    monkeypatch.setattr(warmup, "WARM_UP_PATH", "/no-such-page")
    assert asyncio.run(warmup.warm_up(app)) != 200
