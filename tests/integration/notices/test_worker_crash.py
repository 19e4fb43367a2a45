"""``kill -9`` of a real ``utilcredit worker`` mid-batch, then a restart: nothing is lost and
nothing is sent twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select

from tests.integration.notices.world import World, save_run
from tests.support.channels import GatewayTestServer
from utilcredit.notices.tables import NoticeRow

CLAIM_SECONDS = 2


@pytest.fixture
def gateway() -> Iterator[GatewayTestServer]:
    with GatewayTestServer() as server:
        yield server


def _worker_env(engine: Engine, gateway: GatewayTestServer) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "UTILCREDIT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "UTILCREDIT_NOTICES_SMS_URL": f"{gateway.url}/sms",
        "UTILCREDIT_NOTICES_SMS_TOKEN": gateway.token,
        "UTILCREDIT_NOTICES_BATCH_SIZE": "10",
        "UTILCREDIT_NOTICES_CLAIM_SECONDS": str(CLAIM_SECONDS),
        "UTILCREDIT_NOTICES_WORKER_INTERVAL_SECONDS": "0.2",
        "UTILCREDIT_NOTICES_DAILY_CAP": "100",
        # whatever the hour the suite runs at
        "UTILCREDIT_NOTICES_QUIET_START": "00:00",
        "UTILCREDIT_NOTICES_QUIET_END": "00:00",
    }
    return env


def _sms(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(NoticeRow.key, NoticeRow.status).where(NoticeRow.channel == "sms")
        )
        return {str(key): str(status) for key, status in rows}


def _wait_for(condition: Callable[[], bool], worker: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited: {worker.communicate()[1]}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_kill_9_mid_batch_loses_nothing_and_sends_nothing_twice(
    engine: Engine, gateway: GatewayTestServer
) -> None:
    world = World(engine)
    for n in range(30):
        world.subject(f"红色客户{n:02d}", arrears_months=4)
    save_run(engine)
    planned = _sms(engine)
    assert len(planned) == 30
    env = _worker_env(engine, gateway)
    gateway.delay = 2.0  # the gateway sends, then answers slowly: the kill lands in between
    worker = subprocess.Popen(
        [sys.executable, "-m", "utilcredit", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: len(gateway.requests) >= 2, worker)
        worker.kill()  # SIGKILL: no cleanup, the batch in flight is never recorded
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    in_flight = [key for key, status in _sms(engine).items() if status == "sending"]
    assert in_flight, "the kill should have left a claimed batch"
    assert set(in_flight) <= set(gateway.sent)  # the gateway sent them; nobody recorded it

    gateway.delay = 0.0
    time.sleep(CLAIM_SECONDS + 0.5)  # the dead worker's claims run out
    restart = subprocess.run(
        [sys.executable, "-m", "utilcredit", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restart.returncode == 0, restart.stderr
    final = _sms(engine)
    assert set(final) >= set(planned)
    assert set(final.values()) == {"sent"}, final  # nothing lost
    assert set(gateway.sent) == set(final)  # every message went out …
    assert gateway.duplicates == len(in_flight)  # … once: the resent ones were recognised


@pytest.mark.sqlite_only  # the signal handling is the worker's, the same on either store
def test_sigterm_finishes_the_batch_in_hand(engine: Engine, gateway: GatewayTestServer) -> None:
    world = World(engine)
    for n in range(12):
        world.subject(f"红色客户{n:02d}", arrears_months=4)
    save_run(engine)
    gateway.delay = 1.0
    worker = subprocess.Popen(
        [sys.executable, "-m", "utilcredit", "worker"],
        env=_worker_env(engine, gateway),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: len(gateway.requests) >= 1, worker)
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, stderr
    assert "worker stopped" in stderr
    statuses = set(_sms(engine).values())
    assert "sending" not in statuses  # the batch in hand was recorded before it stopped
    assert "sent" in statuses and "queued" in statuses  # and it took no new batch
