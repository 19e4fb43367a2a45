"""The request guard and login throttling (issue 8 item 3).

Anonymous requests to protected endpoints are refused before their body is read and never
hold a slot; bodies are read with a deadline before a slot is taken; public endpoints (log-in)
have their own small pool; failed logins lock an account name or a client address, in the store,
so every process of a deployment counts together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from starlette.types import Receive, Scope, Send

from tests.e2e.api.world import PASSWORD, World
from utilcredit.access import passwords
from utilcredit.access import service as access_service
from utilcredit.access.tables import LoginThrottleRow
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.db import make_engine
from utilcredit.http.guard import Guard
from utilcredit.server import create_app

BOUNDARY = "uc-test-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
PART_START = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
    'filename="subjects.csv"\r\nContent-Type: text/csv\r\n\r\ncode,kind,name\n'
).encode()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_app(settings: Settings, engine: Engine, **console: Any) -> FastAPI:
    console_settings = ConsoleSettings(**console)
    return create_app(settings.model_copy(update={"console": console_settings}), engine=engine)


def entries(engine: Engine, action: str) -> list[Any]:
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        return list(
            connection.execute(select(table).where(table.c.action == action).order_by(table.c.id))
        )


class Trickle:
    """A request body sent one byte every ``every`` seconds (bounded: it always ends), counting
    the chunks the server has pulled."""

    def __init__(self, first: bytes = PART_START, every: float = 0.2, limit: int = 60) -> None:
        self.first, self.every, self.limit = first, every, limit
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += 1
        yield self.first
        for _ in range(self.limit):
            await asyncio.sleep(self.every)
            self.pulled += 1
            yield b"x"


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# ---- the guard -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_anonymous_slow_uploads_are_refused_unread_and_hold_no_slot(
    settings: Settings, engine: Engine, world: World
) -> None:
    # Ten anonymous clients sending a byte now and then to the upload endpoints used to take
    # every slot (the body was read before authentication) and freeze API and console.
    app = make_app(settings, engine, max_concurrent_requests=2)
    bodies = [Trickle() for _ in range(10)]
    credentials: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer uc_forged"},
        {"Cookie": "uc_session=forged"},
    ]
    async with asgi_client(app) as client:
        async with asyncio.timeout(8):
            anonymous = [
                asyncio.create_task(
                    client.post(
                        "/api/imports" if n % 2 else "/imports",
                        content=body,
                        headers={**MULTIPART, **credentials[n % 3]},
                    )
                )
                for n, body in enumerate(bodies)
            ]
            await asyncio.sleep(0.2)
            me = await client.get("/api/me", headers=world.headers("op-water"))
            answers = await asyncio.gather(*anonymous)
    assert me.status_code == 200
    for n, answer in enumerate(answers):
        if n % 2:
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "unauthenticated"
        else:  # the console sends anonymous users to the login page
            assert answer.status_code == 303
            assert answer.headers["location"] == "/login?next=/imports"
    assert [body.pulled for body in bodies] == [0] * 10


@pytest.mark.anyio
async def test_a_slow_body_is_cut_off_with_408_without_holding_a_slot(
    settings: Settings, engine: Engine, world: World
) -> None:
    app = make_app(settings, engine, max_concurrent_requests=1, body_timeout_seconds=1.5)
    bodies = [Trickle(every=0.1, limit=100) for _ in range(3)]
    finished: list[str] = []

    async def upload(body: Trickle) -> httpx.Response:
        response = await client.post(
            "/api/imports", content=body, headers={**MULTIPART, **world.headers("op-water")}
        )
        finished.append("upload")
        return response

    async def me() -> httpx.Response:
        await asyncio.sleep(0.1)
        response = await client.get("/api/me", headers=world.headers("admin"))
        finished.append("me")
        return response

    async with asgi_client(app) as client:
        async with asyncio.timeout(8):
            *uploads, mine = await asyncio.gather(*(upload(b) for b in bodies), me())
    assert mine.status_code == 200
    assert finished[0] == "me"  # answered while the three uploads were still trickling
    for response in uploads:
        assert response.status_code == 408
        assert response.json()["error"]["code"] == "request_timeout"
        assert response.headers["connection"] == "close"


@pytest.mark.anyio
async def test_an_anonymous_login_flood_does_not_starve_logged_in_users(
    settings: Settings, engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    verify = passwords.verify_password

    def slow_verify(stored: str | None, password: str) -> bool:
        gate.wait(10)  # argon2 under a flood: every login takes its time
        return verify(stored, password)

    monkeypatch.setattr(access_service, "verify_password", slow_verify)
    app = make_app(settings, engine, max_concurrent_requests=2)
    async with asgi_client(app) as client:
        logins = [
            asyncio.create_task(
                client.post("/api/auth/token", json={"username": f"u{n}", "password": "wrong-pw"})
            )
            for n in range(8)
        ]
        try:
            await asyncio.sleep(0.3)
            async with asyncio.timeout(3):
                me = await client.get("/api/me", headers=world.headers("op-water"))
                rating = await client.get("/api/policies", headers=world.headers("op-water"))
        finally:
            gate.set()
        answers = await asyncio.gather(*logins)
    assert me.status_code == 200 and rating.status_code == 200
    assert {a.status_code for a in answers} == {401}


@pytest.mark.anyio
async def test_the_public_site_has_its_own_pool_and_never_starves_the_login_page() -> None:
    released = asyncio.Event()
    served: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/public/"):
            await released.wait()  # a crowd reading the public site, slowly
        served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Guard(app, limit=1, anonymous_limit=1, site_limit=2)
    async with asgi_client(guard) as client:
        readers = [asyncio.create_task(client.get(f"/public/lookup?q={n}")) for n in range(6)]
        try:
            await asyncio.sleep(0.2)
            async with asyncio.timeout(3):
                login = await client.get("/login")
            assert login.status_code == 200 and served == ["/login"]
        finally:
            released.set()
        answers = await asyncio.gather(*readers)
    assert {a.status_code for a in answers} == {200} and len(served) == 7


@pytest.mark.anyio
async def test_bodies_are_read_before_the_handler_and_replayed_whole() -> None:
    # 3 MiB in 64 KiB pieces: past the in-memory limit, so it goes through a temporary file.
    payload = bytes(range(256)) * (3 * 4096)
    pieces = [payload[i : i + 65536] for i in range(0, len(payload), 65536)]
    pulled = 0
    seen: dict[str, Any] = {}

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for piece in pieces:
            pulled += 1
            yield piece

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        seen["pulled_before_handler"] = pulled
        data = bytearray()
        while True:
            message = await receive()
            data += message.get("body", b"")
            if not message.get("more_body", False):
                break
        digest = hashlib.sha256(data).hexdigest().encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": digest})

    guard = Guard(echo, limit=1)
    async with asgi_client(guard) as client:
        response = await client.post("/login", content=body())
    assert response.text == hashlib.sha256(payload).hexdigest()
    assert seen["pulled_before_handler"] == len(pieces)


def test_a_body_over_the_limit_is_refused_with_413(
    settings: Settings, engine: Engine, world: World
) -> None:
    app = make_app(settings, engine, upload_max_bytes=1024)
    with TestClient(app) as client:
        response = client.post(
            "/api/imports",
            content=PART_START + b"x" * (2 << 20),
            headers={**MULTIPART, **world.headers("op-water")},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# ---- login throttling ------------------------------------------------------------------------


def token_login(client: TestClient, username: str, password: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/api/auth/token", json={"username": username, "password": password}
    )
    return response


def test_failed_logins_lock_the_account_even_for_the_right_password(
    settings: Settings, engine: Engine, world: World
) -> None:
    app = make_app(settings, engine, login_max_failures_per_user=3)
    with TestClient(app) as client:
        # A success forgets earlier failures.
        assert [token_login(client, "op-water", "wrong").status_code for _ in range(2)] == [401] * 2
        assert token_login(client, "op-water", PASSWORD).status_code == 200
        assert [token_login(client, "op-water", "wrong").status_code for _ in range(3)] == [401] * 3
        locked = token_login(client, "op-water", PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "too_many_attempts"
        assert locked.json()["error"]["message_en"].startswith("too many failed logins")
        assert 0 < int(locked.headers["retry-after"]) <= 900
        # Other accounts are not affected; an unknown name is locked the same way.
        assert token_login(client, "op-power", PASSWORD).status_code == 200
        for _ in range(3):
            token_login(client, "nobody", "wrong")
        assert token_login(client, "nobody", "wrong").status_code == 429
    lockouts = entries(engine, "login_lockout")
    assert [(e.entity, e.entity_key) for e in lockouts] == [
        ("user", "op-water"),
        ("user", "nobody"),
    ]
    assert lockouts[0].detail["failures"] == 3
    assert len(entries(engine, "login_failed")) == 2 + 3 + 3


def test_failed_logins_from_one_address_lock_that_address(
    settings: Settings, engine: Engine, world: World
) -> None:
    app = make_app(settings, engine, login_max_failures_per_address=4)
    with (
        TestClient(app, client=("198.51.100.7", 40000)) as attacker,
        TestClient(app, client=("198.51.100.8", 40000)) as colleague,
    ):
        for n in range(4):  # password spraying: a different name every time
            assert token_login(attacker, f"user{n}", "Spring2026!").status_code == 401
        assert token_login(attacker, "op-power", PASSWORD).status_code == 429
        assert token_login(colleague, "op-power", PASSWORD).status_code == 200
    lockouts = entries(engine, "login_lockout")
    assert [(e.entity, e.entity_key) for e in lockouts] == [("address", "198.51.100.7")]
    failed = entries(engine, "login_failed")
    assert {e.detail["address"] for e in failed} == {"198.51.100.7"}


def test_the_lockout_is_kept_in_the_store_for_every_process(
    settings: Settings, engine: Engine, world: World
) -> None:
    # A second engine (own connection pool) and app stand for a second worker process.
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        first = make_app(settings, engine, login_max_failures_per_user=2)
        second = make_app(settings, other_engine, login_max_failures_per_user=2)
        with TestClient(first) as one, TestClient(second) as two:
            assert token_login(one, "op-water", "wrong").status_code == 401
            assert token_login(two, "op-water", "wrong").status_code == 401
            assert token_login(one, "op-water", PASSWORD).status_code == 429
            assert token_login(two, "op-water", PASSWORD).status_code == 429
    finally:
        other_engine.dispose()


def test_a_lockout_ends_by_itself(settings: Settings, engine: Engine, world: World) -> None:
    app = make_app(
        settings,
        engine,
        login_max_failures_per_user=2,
        login_lockout_seconds=1,
        login_failure_window_seconds=1,
    )
    with TestClient(app) as client:
        for _ in range(2):
            token_login(client, "op-water", "wrong")
        assert token_login(client, "op-water", PASSWORD).status_code == 429
        time.sleep(1.2)
        assert token_login(client, "op-water", PASSWORD).status_code == 200


def test_the_console_login_says_the_account_is_locked(
    settings: Settings, engine: Engine, world: World
) -> None:
    app = make_app(settings, engine, login_max_failures_per_user=1)
    with TestClient(app) as client:
        client.get("/login")
        form = {"username": "op-water", "csrf_token": client.cookies["uc_login_csrf"]}
        failed = client.post("/login", data={**form, "password": "wrong"}, follow_redirects=False)
        assert failed.status_code == 401
        locked = client.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
        assert locked.status_code == 429
        assert "登录失败次数过多" in locked.text
        assert int(locked.headers["retry-after"]) > 0
        assert "uc_session" not in locked.cookies


def test_expired_throttle_rows_are_pruned(engine: Engine, world: World) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    with engine.begin() as connection:
        connection.execute(
            insert(LoginThrottleRow),
            [
                {
                    "scope": "user",
                    "key": f"old{n}",
                    "failures": 3,
                    "window_started_at": past,
                    "locked_until": None,
                    "expires_at": past,
                }
                for n in range(5)
            ],
        )
    with engine.begin() as connection:
        assert access_service.authenticate(connection, "someone", "wrong-password") is None
    with engine.connect() as connection:
        keys = set(connection.execute(select(LoginThrottleRow.key)).scalars())
        count = connection.execute(select(func.count()).select_from(LoginThrottleRow)).scalar()
    assert keys == {"someone"} and count == 1


@pytest.fixture(autouse=True)
def _reset_password_concurrency() -> Iterator[None]:
    yield
    passwords.limit_concurrency(passwords.DEFAULT_CONCURRENCY)
