"""``user add/list/disable/enable/reset-password/unlock`` (mounted by the main CLI as
``utilcredit user …``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from utilcredit.access import service as access
from utilcredit.access.model import LoginThrottledError
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.cli.users import user_app
from utilcredit.config import get_settings

OLD = "river-lantern-42"
NEW = "harbour-kite-77"


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


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("li", "password", "common or breached"),
        ("li", "12345678", "common or breached"),
        ("zhang", "zhang-2026", "user name"),
    ],
)
def test_user_add_refuses_weak_passwords(
    cli_store: Engine, username: str, password: str, message: str
) -> None:
    result = CliRunner().invoke(
        user_app,
        ["add", username, "--role", "operator", "--utility", "water", "--password", password],
    )
    assert result.exit_code == 2
    assert message in result.output.replace("\n", "")


def audit_actions(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntryRow.action, AuditEntryRow.entity, AuditEntryRow.entity_key).order_by(
                AuditEntryRow.id
            )
        )
        return [(r.action, r.entity, r.entity_key) for r in rows]


def login(engine: Engine, username: str, password: str, address: str | None = None) -> bool:
    with engine.begin() as connection:
        return access.authenticate(connection, username, password, address=address) is not None


def test_user_disable_enable_reset_password_and_unlock(cli_store: Engine) -> None:
    runner = CliRunner()

    def run(*args: str) -> Result:
        result = runner.invoke(user_app, list(args))
        assert result.exit_code == 0, result.output
        return result

    # Cross-utility roles are created on the server only.
    run("add", "office", "--role", "credit_office", "--utility", "water", "--password", OLD)
    with cli_store.begin() as connection:
        principal = access.authenticate(connection, "office", OLD)
        assert principal is not None
        token = access.issue_token(connection, principal)

    run("disable", "office")
    assert not login(cli_store, "office", OLD)
    with cli_store.connect() as connection:
        assert access.token_principal(connection, token) is None
    assert "disabled" in run("list").output
    run("enable", "office")
    assert login(cli_store, "office", OLD)

    weak = runner.invoke(user_app, ["reset-password", "office", "--password", "12345678"])
    assert weak.exit_code == 2 and "common or breached" in weak.output.replace("\n", "")
    run("reset-password", "office", "--password", NEW)
    assert not login(cli_store, "office", OLD)
    assert login(cli_store, "office", NEW)

    for _ in range(10):  # the default limit per account name
        login(cli_store, "office", "wrong-password")
    with pytest.raises(LoginThrottledError):
        login(cli_store, "office", NEW)
    assert "locked" in run("list").output
    assert "unlocked: office" in run("unlock", "office").output
    assert login(cli_store, "office", NEW)

    for n in range(50):  # the default limit per client address
        login(cli_store, f"sprayed{n}", "wrong-password", address="198.51.100.7")
    with pytest.raises(LoginThrottledError):
        login(cli_store, "office", NEW, address="198.51.100.7")
    assert "unlocked: 198.51.100.7" in run("unlock", "--address", "198.51.100.7").output
    assert login(cli_store, "office", NEW, address="198.51.100.7")

    done = [a for a in audit_actions(cli_store) if not a[0].startswith("login")]
    assert done == [
        ("user_create", "user", "office"),
        ("token_issue", "api_token", "api"),
        ("user_disable", "user", "office"),
        ("user_enable", "user", "office"),
        ("password_reset", "user", "office"),
    ]
    lifts = [a for a in audit_actions(cli_store) if a[0] in ("login_lockout", "login_unlock")]
    assert lifts == [
        ("login_lockout", "user", "office"),
        ("login_unlock", "user", "office"),
        ("login_lockout", "address", "198.51.100.7"),
        ("login_unlock", "address", "198.51.100.7"),
    ]


def test_user_commands_on_an_unknown_user_fail(cli_store: Engine) -> None:
    runner = CliRunner()
    for args in (["disable", "ghost"], ["enable", "ghost"], ["reset-password", "ghost"]):
        result = runner.invoke(user_app, [*args, "--password", NEW] if "reset" in args[0] else args)
        assert result.exit_code == 3, result.output
        assert "no user ghost" in result.output
    assert runner.invoke(user_app, ["unlock"]).exit_code == 2
