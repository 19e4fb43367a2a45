"""``user add`` / ``user list`` (mounted by the main CLI as ``utilcredit user …``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from utilcredit.access import service as access
from utilcredit.config import get_settings
from utilcredit.web.cli import user_app


@pytest.fixture
def cli_store(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, store_env: dict[str, str]
) -> Iterator[Engine]:
    monkeypatch.setenv("UTILCREDIT_DATABASE_URL", store_env["UTILCREDIT_DATABASE_URL"])
    monkeypatch.setenv("UTILCREDIT_DATA_DIR", store_env["UTILCREDIT_DATA_DIR"])
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def test_user_add_and_list(cli_store: Engine) -> None:
    runner = CliRunner()
    added = runner.invoke(
        user_app,
        [
            "add",
            "wang",
            "--role",
            "operator",
            "--role",
            "reviewer",
            "--utility",
            "water",
            "--password",
            "long-enough-1",
        ],
    )
    assert added.exit_code == 0, added.output
    with cli_store.connect() as connection:
        principal = access.authenticate(connection, "wang", "long-enough-1")
    assert principal is not None and {r.value for r in principal.roles} == {"operator", "reviewer"}
    listed = runner.invoke(user_app, ["list"])
    assert "wang" in listed.output and "operator, reviewer" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss", "--utility", "water"], "unknown role"),
        (["--role", "operator", "--utility", "gas"], "unknown utility"),
        (["--role", "operator", "--utility", "water", "--password", "short"], "8+"),
    ],
)
def test_user_add_refuses_bad_input(cli_store: Engine, args: list[str], message: str) -> None:
    result = CliRunner().invoke(user_app, ["add", "li", *args])
    assert result.exit_code != 0
    assert message in result.output.replace("\n", "")
