"""``utilcredit rate --save``, ``notices …`` and ``worker --once`` as an operator runs them:
the Typer app in-process against the test store and the local test servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tests.integration.notices.world import World
from tests.integration.records.builders import PASSWORD
from tests.support.channels import GatewayTestServer
from utilcredit.access import passwords
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.cli.main import app
from utilcredit.config import get_settings
from utilcredit.customers.model import Utility

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def gateway() -> Iterator[GatewayTestServer]:
    with GatewayTestServer() as server:
        yield server


@pytest.fixture
def office(
    engine: Engine,
    store_env: dict[str, str],
    gateway: GatewayTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """Two red customers, one yellow one, an operator of the water utility; the SMS gateway
    configured; no quiet hours (the suite runs at any hour)."""
    monkeypatch.setenv("UTILCREDIT_DATABASE_URL", store_env["UTILCREDIT_DATABASE_URL"])
    monkeypatch.setenv("UTILCREDIT_DATA_DIR", store_env["UTILCREDIT_DATA_DIR"])
    monkeypatch.setenv("UTILCREDIT_NOTICES_SMS_URL", f"{gateway.url}/sms")
    monkeypatch.setenv("UTILCREDIT_NOTICES_SMS_TOKEN", gateway.token)
    monkeypatch.setenv("UTILCREDIT_NOTICES_QUIET_START", "00:00")
    monkeypatch.setenv("UTILCREDIT_NOTICES_QUIET_END", "00:00")
    monkeypatch.setenv("UTILCREDIT_CONSOLE_DEFAULT_POLICIES", '{"water": "lianshui-water"}')
    get_settings.cache_clear()
    saved = passwords._hasher
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with engine.begin() as connection:
        access.create_user(
            connection,
            username="op",
            display_name=None,
            password=PASSWORD,
            roles=frozenset({Role.OPERATOR}),
            utilities=frozenset({Utility.WATER}),
            actor="test",
        )
    world = World(engine)
    world.subject("甲公司", arrears_months=4)
    world.subject("乙公司", arrears_months=4, phone="1381234")  # not a mobile number
    world.subject("丙公司", arrears_months=2.5)
    yield world
    passwords.use_hasher(saved)
    get_settings.cache_clear()


def cli(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def jsonl(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in cli(*args, "--format", "jsonl").stdout.splitlines()]


def test_from_a_saved_run_to_sent_messages_and_a_print_batch(
    office: World, gateway: GatewayTestServer, tmp_path: Path
) -> None:
    saved = cli("rate", "--policy", "lianshui-water", "--as-of", "2026-11-20", "--save")
    assert "通知已入队 / notices queued: 5" in saved.stderr
    run_id = 1
    preview = jsonl("notices", "plan", "--run", str(run_id))
    assert preview[-1]["summary"]["new"] == 0  # all planned with the run already
    assert preview[-1]["summary"]["already_planned"] == 5

    listed = jsonl("notices", "list", "--channel", "sms")
    assert {n["recipient"] for n in listed} == {"138****5678", "*******"}  # too short to show
    assert all(n["status"] == "queued" for n in listed)

    cli("worker", "--once")  # plans the day's payment demands too, then sends everything due
    level_kinds = ("--kind", "letter_pointer", "--kind", "reminder")
    after = {n["subject_name"]: n for n in jsonl("notices", "list", *level_kinds)}
    assert after["甲公司"]["status"] == "sent" and after["丙公司"]["status"] == "sent"
    assert after["乙公司"]["status"] == "failed"
    assert "手机号码无效" in after["乙公司"]["last_error"]
    demands = jsonl("notices", "list", "--kind", "demand")
    assert {n["subject_name"] for n in demands} == {"甲公司", "乙公司", "丙公司"}
    sent_keys = set(gateway.sent)
    assert {n["key"] for n in [*after.values(), *demands] if n["status"] == "sent"} == sent_keys
    assert len(sent_keys) == 4

    failed = after["乙公司"]["id"]
    shown = jsonl("notices", "show", str(failed))[0]
    assert [a["action"] for a in shown["attempts"]] == ["claim", "reject"]
    refused = cli("notices", "resend", str(failed), "--to", "12", "--actor", "op", code=2)
    assert "手机号码无效" in "".join(refused.stderr.split())
    cli("notices", "resend", str(failed), "--to", "13912345678", "--actor", "op")
    dispatched = jsonl("notices", "dispatch")
    assert dispatched[0]["dispatch"]["sent"] == 1
    assert "13912345678" in {m["to"] for m in gateway.sent.values()}

    out = tmp_path / "print"
    batch = cli("notices", "print-batch", "--utility", "water", "--out", str(out), "--actor", "op")
    assert "2 封" in batch.stdout
    assert (out / "print-batch-1.pdf").read_bytes().startswith(b"%PDF")
    assert "甲公司" in (out / "print-batch-1.csv").read_text(encoding="utf-8-sig")
    cli("notices", "mark-batch", "1", "printed", "--actor", "op")
    cli("notices", "mark-batch", "1", "posted", "--actor", "op")
    letters = jsonl("notices", "list", "--channel", "letter")
    assert {n["status"] for n in letters} == {"sent"}


def test_opt_outs_and_contacts_from_the_shell(office: World) -> None:
    code = "913208260000000" + "1X"  # not a subject
    missing = cli("notices", "opt-out", code, "--channel", "sms", "--actor", "op", code=3)
    assert "没有该主体" in missing.stderr
    refused = cli(
        "notices", "opt-out", _code(office, "甲公司"), "--channel", "letter", "--actor", "op",
        code=2,
    )  # fmt: skip
    assert "channel" in refused.stderr
    cli("notices", "opt-out", _code(office, "甲公司"), "--channel", "sms", "--actor", "op")
    cli("rate", "--policy", "lianshui-water", "--as-of", "2026-11-20", "--save")
    mine = [n for n in jsonl("notices", "list") if n["subject_name"] == "甲公司"]
    assert [n["channel"] for n in mine] == ["letter"]  # the letter still goes


def _code(world: World, name: str) -> str:
    from sqlalchemy import select

    from utilcredit.customers.tables import SubjectRow

    with world.engine.connect() as connection:
        subject_id = world.subjects[name]
        return str(connection.scalar(select(SubjectRow.code).where(SubjectRow.id == subject_id)))
